import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callText, sleep, waitFor } from '../cluster/launcher/admin.js';
import { keyHashSlot } from '../cluster/store/slot.js';
import { MigrationError } from '../migration/errors.js';
import { keysFor } from '../migration/keys.js';
import { runMigration } from '../migration/run.js';
import { parseSlotRange } from '../migration/slots.js';
import { VersionedWorkload } from '../migration/versioned-workload.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';
import { liveSlotOwnersAt, waitReplicaInSync } from './support/slot-owners.js';

/*
 * A migration interrupted by killing the destination master (kill -9) of a kvnetlab
 * 3P-1R cluster under `up`: the migration fails, the group in progress goes back to the
 * source (SETSLOT STABLE), the groups already moved are served by the destination's
 * replica once it fails over, and every key is read back with its value; no slot is
 * left without a live owner. Ports 19101-19112.
 */
const RANGE = parseSlotRange('0-599');
const KILL_AFTER = 200;

describe('migration, interrupted', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 1, basePort: 19101, nodeTimeout: 2000 });
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('migrate redis, destination killed midway: the source serves the groups not moved, the promoted replica the moved ones, every key is there, every slot has a live owner', async () => {
    const masters = c.state.nodes.filter((n) => n.role === 'master');
    const [src, dst] = masters;
    const redis = new Cluster(c.seeds, { redisOptions: { connectTimeout: 1000 }, scaleReads: 'master', retryDelayOnClusterDown: 200, retryDelayOnFailover: 200, maxRedirections: 64 });
    const keys = keysFor(RANGE, 200, 'int:');
    const wl = new VersionedWorkload(redis, { keys, writers: 0, readers: 4, writePauseMs: 0, maxOps: 100_000 });
    try {
      await wl.load();
      wl.start();
      let killed = false;
      const run = runMigration({
        from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: RANGE, protocol: 'redis', timeoutMs: 2000,
        afterGroup: async (slot) => {
          if (slot !== RANGE.first + KILL_AFTER - 1) return;
          // Let the replica catch up first: a kill -9 loses what replication had not sent, migration or not.
          await waitReplicaInSync('127.0.0.1', dst!.port);
          process.kill(dst!.pid, 'SIGKILL');
          killed = true;
        },
      });
      const failed = await run.then(() => undefined, (e: unknown) => e);
      expect(killed).toBe(true);
      expect(failed).toBeInstanceOf(MigrationError);

      // The source took the group in progress back at once: no MIGRATING marker left.
      const srcNodes = await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES']);
      expect(srcNodes).not.toMatch(/\[\d+-[<>]-/);
      // The destination's replica takes over the groups already moved.
      await waitFor('cluster_state:ok after the failover', 30_000, async () => (await callText('127.0.0.1', src!.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
      const owner = await liveSlotOwnersAt('127.0.0.1', src!.port);
      expect(owner.size).toBe(16384);
      const promoted = owner.get(RANGE.first)!;
      expect(promoted).not.toBe(src!.id);
      expect(owner.get(RANGE.first + KILL_AFTER)).toBe(src!.id);
      expect(owner.get(RANGE.last)).toBe(src!.id);

      await sleep(500);
      const history = await wl.stop();
      expect(history.reads.length).toBeGreaterThan(100);
      const finals = await wl.finals();
      const missing = keys.filter((k) => finals.get(k) !== 1);
      expect(missing.map((k) => `${k}@${keyHashSlot(k)}`)).toEqual([]);
    } finally {
      await wl.stop();
      redis.disconnect();
    }
  }, 120_000);
});
