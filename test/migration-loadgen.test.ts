import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoadgen } from '../loadgen/main.js';
import { preset } from '../loadgen/presets.js';
import { GroupTable } from '../migration/group-state.js';
import { routedLoadgenClient } from '../migration/loadgen-client.js';
import { fulvaProtocol } from '../migration/fulva-protocol.js';
import { connectRouter } from '../migration/router.js';
import { type MigrationResult, runMigration } from '../migration/run.js';
import { parseSlotRange, slotsOf } from '../migration/slots.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';

/*
 * The load generator speaking Fulva (runLoadgen's wrapClient + migration/loadgen-client.ts)
 * while slots 0-299 move from master 1 to master 2 of a kvnetlab 3P-0R cluster under
 * `up` (ports 19601-19606); --verify reads every key back afterwards.
 */
describe('migration with the load generator', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 0, basePort: 19601 });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('loadgen speaking fulva: a 70/30 GET/SET memtier run during the move loses no acknowledged write and reads nothing stale; reads of moving keys went to both nodes', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const range = parseSlotRange('0-299');
    const groups = new GroupTable(slotsOf(range));
    const { router, close } = await connectRouter(groups, { host: '127.0.0.1', port: dst!.port });
    let moving: Promise<MigrationResult> | undefined;
    try {
      const s = await runLoadgen({
        spec: { ...preset('memtier-get'), recordCount: 5000, valueSize: 200, operationCount: 0, durationS: 8, proportions: { read: 0.7, update: 0.3, insert: 0, scan: 0, rmw: 0 } },
        phase: 'both', seeds: c.seeds, connections: 4, target: 0, seed: 7, memoryBytes: 0, runId: 'mig-loadgen', out: null,
        progress: () => undefined, verify: true,
        wrapClient: (client) => routedLoadgenClient(router, client),
        beforeRun: async () => {
          moving = runMigration({
            from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: range, protocol: 'fulva',
            groups, protocolImpl: fulvaProtocol(router), groupPauseMs: 1,
          });
          moving.catch(() => undefined);
        },
      });
      const out = await moving!;
      expect(out.groups.migrated).toBe(300);
      expect(s.verify).toMatchObject({ lost: 0, stale: 0, unreadable: 0 });
      expect(s.verify!.acknowledged_writes).toBeGreaterThan(100);
      expect(router.counters.duplicateReads).toBeGreaterThan(0);
      process.stderr.write(`loadgen fulva: ${s.operations} ops, migration ${out.ms} ms, ${out.keys} keys, counters ${JSON.stringify(router.counters)}\n`);
    } finally {
      await moving?.catch(() => undefined);
      close();
    }
  }, 180_000);
});
