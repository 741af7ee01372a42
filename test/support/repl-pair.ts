import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvNode } from '../../cluster/node/node.js';
import { type NodeConfig, defaultConfig } from '../../cluster/node/config.js';
import { call, fields, text, waitFor } from '../../cluster/launcher/admin.js';

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
  /**
   * Stops the replica node and starts a new one on the same dir. With `snapshot` it
   * SAVEs first (the file carries its replid/offset) and the new node loads it at
   * start; without, the file is removed and the new node starts empty.
   */
  restartReplica(opts: { snapshot: boolean; whileDown?: () => Promise<void> }): Promise<void>;
  /** SAVE on the master, stop it, start a new master node from the same dir. */
  restartMaster(): Promise<void>;
  stop(): Promise<void>;
}

export const info = async (port: number, section = 'replication'): Promise<Record<string, string>> => fields(text(await call('127.0.0.1', port, ['INFO', section])));

export async function startPair(masterPort: number, replicaPort: number, extra: Partial<NodeConfig> = {}): Promise<ReplPair> {
  const dirs = [mkdtempSync(join(tmpdir(), 'kvnetlab-repl-m-')), mkdtempSync(join(tmpdir(), 'kvnetlab-repl-r-'))];
  const make = (port: number, dir: string, more: Partial<NodeConfig> = {}) => new KvNode(defaultConfig({ port, dir, nodeTimeout: 5000, ...extra, ...more }));
  let master = make(masterPort, dirs[0]);
  let replica = make(replicaPort, dirs[1]);
  await master.start();
  await replica.start();
  await call('127.0.0.1', masterPort, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
  await call('127.0.0.1', replicaPort, ['CLUSTER', 'MEET', '127.0.0.1', masterPort]);
  await waitFor('the replica knows the master', 10_000, async () => replica.cluster.lookup(master.cluster.myself.name) !== undefined && replica.cluster.slots[0] !== undefined);
  text(await call('127.0.0.1', replicaPort, ['CLUSTER', 'REPLICATE', master.cluster.myself.name]));
  await waitFor('link up', 10_000, async () => (await info(replicaPort)).master_link_status === 'up');
  const pair: ReplPair = {
    get master() {
      return master;
    },
    get replica() {
      return replica;
    },
    masterPort,
    replicaPort,
    dirs,
    async restartMaster() {
      master.saver.save();
      await master.stop();
      master = make(masterPort, dirs[0]);
      await master.start();
    },
    async restartReplica(opts) {
      if (opts.snapshot) replica.saver.save();
      else rmSync(join(dirs[1], replica.config.dbfilename), { force: true });
      await replica.stop();
      await opts.whileDown?.();
      replica = make(replicaPort, dirs[1]);
      await replica.start();
    },
    async stop() {
      await replica.stop();
      await master.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
  return pair;
}
