import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callText, sleep, waitFor } from '../cluster/launcher/admin.js';
import { MigrationError } from '../migration/errors.js';
import { checkHistory } from '../migration/linearizability.js';
import { keysFor } from '../migration/keys.js';
import { runMigration } from '../migration/run.js';
import { parseSlotRange, slotsOf } from '../migration/slots.js';
import { VersionedWorkload } from '../migration/versioned-workload.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';
import { liveSlotOwners } from './support/slot-owners.js';

/*
 * Source-based migration on the nodes (KVNETLAB.MIGRATE-OUT), interrupted by killing the
 * destination master (kill -9) midway, under a read/write load of plain ioredis Cluster
 * clients, on kvnetlab 3P-1R under `up` (the killed master's replica keeps its own slots
 * owned). Ports 20221-20232 (bus 30221-30232).
 */
describe('migration, source protocol on the nodes, interrupted', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 1, basePort: 20221, nodeTimeout: 2000 });
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('migrate source, destination killed (-9) midway: the migration fails, the source serves every key with its latest acknowledged value; no stale read, no lost acknowledged write; no slot owned by nobody', async () => {
    const masters = c.state.nodes.filter((n) => n.role === 'master');
    const src = masters[0]!;
    const dst = masters[2]!;
    const range = parseSlotRange('1000-1299');
    const redis = new Cluster(c.seeds, { redisOptions: { connectTimeout: 1000 }, scaleReads: 'master', retryDelayOnClusterDown: 200, retryDelayOnFailover: 200, maxRedirections: 64 });
    const keys = keysFor(range, 200, 'sint:');
    const wl = new VersionedWorkload(redis, { keys, writers: 4, readers: 4, writePauseMs: 2, maxOps: 100_000 });
    try {
      await wl.load();
      wl.start();
      let killed = false;
      const failed = await runMigration({
        from: { host: '127.0.0.1', port: src.port }, to: { host: '127.0.0.1', port: dst.port }, slots: range, protocol: 'source', timeoutMs: 2000, groupPauseMs: 2,
        afterGroup: async (slot) => {
          if (slot !== range.first + 100) return;
          process.kill(dst.pid, 'SIGKILL');
          killed = true;
        },
      }).then(() => undefined, (e: unknown) => e);
      expect(killed).toBe(true);
      expect(failed).toBeInstanceOf(MigrationError);
      // The source dropped the migration: nothing held, nothing forwarded.
      expect(await callText('127.0.0.1', src.port, ['KVNETLAB.MIGRATE-OUT', 'STATUS'])).toMatch(/^state:idle\r\n/);
      await sleep(500); // the workload goes on against the source alone
      const history = await wl.stop();
      const finals = await wl.finals();
      console.log(`source interrupted: ${(failed as Error).message}; ${history.reads.length} reads, ${history.writes.length} writes, errors ${JSON.stringify([...history.errors])}`);
      expect(checkHistory(history.writes, history.reads, finals).slice(0, 5)).toEqual([]);
      expect(keys.every((k) => (finals.get(k) ?? 0) >= 1)).toBe(true);
      // Every slot of the range is still the source's, with no MIGRATING/IMPORTING marker.
      const srcNodes = await callText('127.0.0.1', src.port, ['CLUSTER', 'NODES']);
      expect(srcNodes).not.toMatch(/\[\d+-[<>]-/);
      expect(slotsOf(range).filter((s) => liveSlotOwners(srcNodes).get(s) !== src.id)).toEqual([]);
      // No slot owned by nobody: once the killed master's replica took over, every slot has a live owner.
      await waitFor('cluster_state:ok after the failover', 30_000, async () => (await callText('127.0.0.1', src.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
      const owners = liveSlotOwners(await callText('127.0.0.1', src.port, ['CLUSTER', 'NODES']));
      expect(owners.size).toBe(16384);
      expect(slotsOf(range).every((s) => owners.get(s) === src.id)).toBe(true);
    } finally {
      await wl.stop();
      redis.disconnect();
    }
  }, 120_000);
});
