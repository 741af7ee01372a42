import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callText, sleep } from '../cluster/launcher/admin.js';
import { keyHashSlot } from '../cluster/store/slot.js';
import { GroupTable } from '../migration/group-state.js';
import { checkHistory } from '../migration/linearizability.js';
import { keysFor } from '../migration/keys.js';
import { fulvaProtocol } from '../migration/fulva-protocol.js';
import { connectRouter } from '../migration/router.js';
import { runMigration } from '../migration/run.js';
import { parseSlotRange, slotsOf } from '../migration/slots.js';
import { VersionedWorkload } from '../migration/versioned-workload.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';

/*
 * Fulva (its client is migration/router.ts, in the process that runs the load) on a
 * kvnetlab 3P-0R cluster under `up`, moving 200 slots from master 1 to 2 under a
 * versioned read/write workload through that client. (source, rocksteady and proxy run
 * on the cluster alone: test/migration-source, -rocksteady, -proxy-route.) Ports 19201-19206.
 */
const CASES = [['fulva', '400-599']] as const;

describe('migration, routed protocols', () => {
  let c: TestCluster;
  let base: Cluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 0, basePort: 19201 });
    base = new Cluster(c.seeds, { redisOptions: { connectTimeout: 2000 }, scaleReads: 'master', retryDelayOnMoved: 5, maxRedirections: 32 });
  }, 90_000);
  afterAll(async () => {
    base?.disconnect();
    await c?.stop();
  });

  for (const [protocol, slots] of CASES) {
    it(`migrate ${protocol}: every key exists once afterwards with its latest value; no stale read, no lost acknowledged write`, async () => {
      const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
      const range = parseSlotRange(slots);
      const groups = new GroupTable(slotsOf(range));
      const { router, close } = await connectRouter(groups, { host: '127.0.0.1', port: dst!.port });
      try {
        const keys = keysFor(range, 200, `${protocol}:`);
        const wl = new VersionedWorkload(router.client(base), { keys, writers: 4, readers: 4, writePauseMs: 2, maxOps: 100_000, valueBytes: 64 });
        await wl.load();
        wl.start();
        await sleep(200);
        const out = await runMigration({
          from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: range, protocol,
          groups, protocolImpl: fulvaProtocol(router), batchKeys: 20,
        });
        await sleep(200);
        const history = await wl.stop();
        const finals = await wl.finals();
        console.log(`${protocol}: ${out.ms} ms, ${out.keys} keys copied, counters ${JSON.stringify(router.counters)}; ${history.reads.length} reads, ${history.writes.length} writes, errors ${JSON.stringify([...history.errors])}`);
        expect(out.groups).toEqual({ 'not-migrated': 0, ongoing: 0, migrated: 200 });
        expect(checkHistory(history.writes, history.reads, finals).slice(0, 5)).toEqual([]);
        expect(history.reads.length).toBeGreaterThan(200);
        expect([...finals.values()].every((v) => v >= 1)).toBe(true);
        // Exactly once: on the destination only.
        for (const s of new Set(keys.map(keyHashSlot))) {
          const atSrc = await call('127.0.0.1', src!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s]);
          expect(atSrc).toEqual({ t: 'int', v: 0 });
        }
        const atDest = await Promise.all([...new Set(keys.map(keyHashSlot))].map((s) => call('127.0.0.1', dst!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s])));
        expect(atDest.reduce((n, r) => n + (r.t === 'int' ? r.v : 0), 0)).toBe(200);
        expect(await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES'])).not.toMatch(/\[\d+-[<>]-/);
        expect(router.counters.duplicateReads).toBeGreaterThan(0);
      } finally {
        close();
      }
    }, 120_000);
  }
});
