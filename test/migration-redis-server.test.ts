import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sleep } from '../cluster/launcher/admin.js';
import { keyHashSlot } from '../cluster/store/slot.js';
import { GroupTable } from '../migration/group-state.js';
import { checkHistory } from '../migration/linearizability.js';
import { keysFor } from '../migration/keys.js';
import type { ProtocolName } from '../migration/protocol.js';
import { fulvaProtocol } from '../migration/fulva-protocol.js';
import { connectRouter } from '../migration/router.js';
import { runMigration } from '../migration/run.js';
import { parseSlotRange, slotsOf } from '../migration/slots.js';
import { VersionedWorkload } from '../migration/versioned-workload.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';

/*
 * The same migrations on real redis-server 7.0 (3P-0R under `up --redis`, proxies in
 * front; ports 19501-19506): `redis` (the real-world baseline: its SETSLOT / MIGRATE /
 * ASK sequence must be what Redis itself accepts) and `fulva` (its client in this
 * process), whose copy relies on
 * Redis' MIGRATE COPY and RESTORE's BUSYKEY.
 */
const CASES: Array<[ProtocolName, string]> = [
  ['redis', '0-149'],
  ['fulva', '150-299'],
];

describe('migration on redis-server', () => {
  let c: TestCluster;
  let base: Cluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 0, basePort: 19501, redis: true });
    base = new Cluster(c.seeds, { redisOptions: { connectTimeout: 2000 }, scaleReads: 'master', retryDelayOnMoved: 5, retryDelayOnTryAgain: 20, maxRedirections: 32 });
  }, 90_000);
  afterAll(async () => {
    base?.disconnect();
    await c?.stop();
  });

  for (const [protocol, slots] of CASES) {
    it(`migrate ${protocol} on redis-server: every key once with its latest value, no stale read, no lost acknowledged write`, async () => {
      const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
      const range = parseSlotRange(slots);
      const groups = new GroupTable(slotsOf(range));
      const routed = protocol === 'redis' ? undefined : await connectRouter(groups, { host: '127.0.0.1', port: dst!.port });
      try {
        const keys = keysFor(range, 150, `rs-${protocol}:`);
        const wl = new VersionedWorkload(routed ? routed.router.client(base) : base, { keys, writers: 3, readers: 3, writePauseMs: 2, maxOps: 60_000 });
        await wl.load();
        wl.start();
        await sleep(200);
        const out = await runMigration({
          from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: range, protocol, groups, batchKeys: 10,
          protocolImpl: routed ? fulvaProtocol(routed.router) : undefined,
        });
        await sleep(200);
        const history = await wl.stop();
        const finals = await wl.finals();
        expect(out.groups.migrated).toBe(150);
        expect(checkHistory(history.writes, history.reads, finals).slice(0, 5)).toEqual([]);
        expect(history.reads.length).toBeGreaterThan(100);
        let atDest = 0;
        for (const s of new Set(keys.map(keyHashSlot))) {
          expect(await call('127.0.0.1', src!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s])).toEqual({ t: 'int', v: 0 });
          const r = await call('127.0.0.1', dst!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s]);
          atDest += r.t === 'int' ? r.v : 0;
        }
        expect(atDest).toBe(150);
      } finally {
        routed?.close();
      }
    }, 120_000);
  }
});
