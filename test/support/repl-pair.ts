import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvNode } from '../../cluster/node/node.js';
import { type NodeConfig, defaultConfig } from '../../cluster/node/config.js';
import { call, fields, text, waitFor } from '../../cluster/launcher/admin.js';
import { loadSnapshotFile, saveSnapshotSync, startSnapshot } from '../../cluster/persistence/index.js';

/**
 * What a node's start-up load does with a snapshot (the persistence helper's Saver, once
 * merged): entries into the keyspace, replid/offset into the replication history.
 */
export function loadSnapshotInto(node: KvNode, path: string): void {
  const { header } = loadSnapshotFile(path, (e) => node.db.set(e.key, e.value, { expireAt: e.expireAt }));
  node.replication.restore(header.replId, header.replOffset);
}

/**
 * A master owning every slot and one replica of it, as two in-process KvNodes on real
 * TCP ports (replicas connect to the master's announced port, so port 0 will not do).
 */
export interface ReplPair {
  master: KvNode;
  replica: KvNode;
  masterPort: number;
  replicaPort: number;
  dirs: string[];
  /** Stops the replica node (keeping its directory) and starts a new one on the same dir. */
  restartReplica(opts?: { config?: Partial<NodeConfig>; beforeStart?: (n: KvNode) => void }): Promise<void>;
  /** Writes the replica's snapshot (stamped with its replid/offset) into its dir. */
  saveReplicaSnapshot(): string;
  stop(): Promise<void>;
}

export const info = async (port: number, section = 'replication'): Promise<Record<string, string>> => fields(text(await call('127.0.0.1', port, ['INFO', section])));

export async function startPair(masterPort: number, replicaPort: number, extra: Partial<NodeConfig> = {}): Promise<ReplPair> {
  const dirs = [mkdtempSync(join(tmpdir(), 'kvnetlab-repl-m-')), mkdtempSync(join(tmpdir(), 'kvnetlab-repl-r-'))];
  const make = (port: number, dir: string, more: Partial<NodeConfig> = {}) => new KvNode(defaultConfig({ port, dir, nodeTimeout: 5000, ...extra, ...more }));
  const master = make(masterPort, dirs[0]);
  let replica = make(replicaPort, dirs[1]);
  await master.start();
  await replica.start();
  await call('127.0.0.1', masterPort, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
  await call('127.0.0.1', replicaPort, ['CLUSTER', 'MEET', '127.0.0.1', masterPort]);
  await waitFor('the replica knows the master', 10_000, async () => replica.cluster.lookup(master.cluster.myself.name) !== undefined && replica.cluster.slots[0] !== undefined);
  text(await call('127.0.0.1', replicaPort, ['CLUSTER', 'REPLICATE', master.cluster.myself.name]));
  await waitFor('link up', 10_000, async () => (await info(replicaPort)).master_link_status === 'up');
  const pair: ReplPair = {
    master,
    get replica() {
      return replica;
    },
    masterPort,
    replicaPort,
    dirs,
    async restartReplica(opts = {}) {
      await replica.stop();
      replica = make(replicaPort, dirs[1], opts.config);
      opts.beforeStart?.(replica);
      await replica.start();
    },
    saveReplicaSnapshot() {
      const path = join(dirs[1], 'dump.kvnl');
      saveSnapshotSync(path, startSnapshot(replica.db, replica.replication.position()));
      return path;
    },
    async stop() {
      await replica.stop();
      await master.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
  return pair;
}
