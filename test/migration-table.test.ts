import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MigrationTableRow, formatTable, migrationTable } from '../migration/table.js';
import { channelBytesFromFiles } from '../migration/traffic-files.js';
import { parseSlotRange } from '../migration/slots.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';

/*
 * The migration table at test scale (kvnetlab 3P-0R under `up`, proxies writing JSON
 * lines; ports 19301-19306): every protocol at write ratios 0 and 30 %, and the
 * seeds' ordering. The full 0/5/10/20/30 table is `npm run bench:migration`.
 */
describe('migration table', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 0, basePort: 19301 });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('migration table: source-based server-side extra grows with the write ratio, Fulva has the largest client-side extra, proxy-tracked the smallest extra of all', async () => {
    const [a, b] = c.state.nodes.filter((n) => n.role === 'master');
    const slots = parseSlotRange('0-99');
    const rows = await migrationTable({
      host: '127.0.0.1', masters: [a!.port, b!.port], seeds: c.seeds.map((s) => s.port),
      channelBytes: (from, to) => channelBytesFromFiles(c.dir, from, to),
      slots, keys: 1000, valueBytes: 1000, clients: 4, beforeMs: 1200, groupPauseMs: 10,
      protocols: ['redis', 'source', 'rocksteady', 'fulva', 'proxy'], writeRatios: [0, 30],
      log: (l) => console.log(l),
    });
    console.log(formatTable(rows, slots));
    const at = (p: string, w: number) => rows.find((r) => r.protocol === p && r.writeRatio === w)!;
    // The seeds give each side's extra in percent (client-side of the load's bytes,
    // server-side of the data moved): the smallest extra is the smallest sum of the two.
    const total = (r: MigrationTableRow) => r.clientExtraPct + r.serverExtraPct;
    expect(rows).toHaveLength(10);
    expect(at('source', 30).serverExtraPct).toBeGreaterThan(at('source', 0).serverExtraPct);
    // With writes, Fulva's double reads find the value at both nodes. (At 0 % the
    // destination answers nil for keys not yet copied, a few bytes: see migration/README.md.)
    const others = rows.filter((r) => r.writeRatio === 30 && r.protocol !== 'fulva');
    expect(others.every((r) => at('fulva', 30).clientExtraPct > r.clientExtraPct)).toBe(true);
    const at30 = rows.filter((r) => r.writeRatio === 30);
    expect(at30.every((r) => r.protocol === 'proxy' || total(at('proxy', 30)) < total(r))).toBe(true);
  }, 300_000);
});
