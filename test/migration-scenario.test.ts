import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MigrationTableRow } from '../migration/table.js';
import { type MigrationSqlRow, migrateEventBytes, migrationTableFromStore } from '../migration/table-sql.js';
import type { ReportData } from '../scenario/report-data.js';
import { openQueryStore } from '../telemetry/open-sink.js';
import { checkReport } from './support/report-browser.js';
import { runCli } from './support/run-cli.js';
import { scenarioWorkspace } from './support/scenario-workspace.js';

/*
 * `kvnetlab run` of the shipped `migration` scenario, smaller: the same file with write
 * ratios 0 and 30 % and 500 keys in slots 0-49 (the full 0/5/10/20/30 table is
 * `kvnetlab run migration`, 3-4 min). Checks the seeds' ordering on the report's
 * table (SQL on the store), the SQL against the figures measured in process in the same
 * run, and the report in Chromium. Ports: cluster 20601-20606 (bus +10000), collector 20790.
 */

const ws = scenarioWorkspace('migration-scenario', 'migration-scenario-test');

describe('kvnetlab run migration', () => {
  it('migration scenario: source-based server-side extra grows with writes, Fulva has the largest client-side extra, proxy-tracked the smallest extra; the SQL table equals the in-process one', async () => {
    const shipped = readFileSync(new URL('../scenarios/migration.yaml', import.meta.url), 'utf8');
    const small = shipped.replace(/write_ratios: \[[^\]]*\]/, 'write_ratios: [0, 30]').replace('slots: 0-99', 'slots: 0-49')
      .replace('keys: 1000', 'keys: 500').replace('before_s: 1.5', 'before_s: 1');
    expect(small).toContain('write_ratios: [0, 30]');
    const file = join(ws.work, 'migration-small.yaml');
    writeFileSync(file, small);
    const r = await runCli(['run', file, ...ws.cliArgs(20601, 20790)], 150_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toContain('migration table (SQL on the store');

    const dir = join(ws.results, ws.runId);
    const data = JSON.parse(readFileSync(join(dir, 'report-data.json'), 'utf8')) as ReportData;
    const measured = JSON.parse(readFileSync(join(dir, 'migration-measured.json'), 'utf8')) as Array<MigrationTableRow & { run_id: string }>;
    const rows = data.migration!;
    expect(rows.map((x) => `${x.protocol} ${x.writeRatio}`)).toEqual(
      ['redis', 'source', 'rocksteady', 'fulva', 'proxy'].flatMap((p) => [`${p} 0`, `${p} 30`]),
    );
    const at = (p: string, w: number) => rows.find((x) => x.protocol === p && x.writeRatio === w)!;
    // The seeds give each side's extra in percent (client-side of the load's bytes,
    // server-side of the data moved): the smallest extra is the smallest sum of the two.
    const totalExtra = (x: MigrationSqlRow) => x.clientExtraPct + x.serverExtraPct;
    expect(at('source', 30).serverExtraPct).toBeGreaterThan(at('source', 0).serverExtraPct);
    for (const x of rows.filter((y) => y.writeRatio === 30 && y.protocol !== 'fulva')) expect(at('fulva', 30).clientExtraPct, x.protocol).toBeGreaterThan(x.clientExtraPct);
    for (const x of rows.filter((y) => y.writeRatio === 30 && y.protocol !== 'proxy')) expect(totalExtra(at('proxy', 30)), x.protocol).toBeLessThan(totalExtra(x));

    // The SQL on the store against the same run's in-process figures: bytes and operation
    // counts exact, the downtime of 100 ms buckets a lower bound within 300 ms.
    expect(measured).toHaveLength(rows.length);
    for (const [i, m] of measured.entries()) {
      const s = rows[i]!;
      const what = `${m.protocol} ${m.writeRatio}`;
      expect({ what, clientBefore: s.clientBefore, clientDuring: s.clientDuring, migrationBytes: s.migrationBytes, okBefore: s.okBefore, okDuring: s.okDuring, dataBytes: s.dataBytes })
        .toEqual({ what, clientBefore: m.clientBytesBefore, clientDuring: m.clientBytesDuring, migrationBytes: m.migrationBytes, okBefore: m.opsBefore, okDuring: m.opsDuring, dataBytes: m.dataBytes });
      expect(s.clientExtraPct, what).toBeCloseTo(m.clientExtraPct, 6);
      expect(s.serverExtraPct, what).toBeCloseTo(m.serverExtraPct, 6);
      expect(s.during.tput, what).toBeCloseTo(m.during.tput, 6);
      expect(s.downtimeBucketsMs, what).toBeLessThanOrEqual(m.downtimeMs + 100);
      expect(m.downtimeMs - s.downtimeBucketsMs, what).toBeLessThanOrEqual(300);
    }
    // The same SQL straight on the chDB directory (the collector is gone), and the migrate
    // events' bytes as the report fills them for controller events (their detail has null).
    const store = await openQueryStore({ storeDir: ws.storeDir });
    try {
      const subRun = measured[0]!.run_id;
      expect((await migrationTableFromStore(store, [subRun])).map((x) => x.migrationBytes)).toEqual(rows.map((x) => x.migrationBytes));
      const bytes = await migrateEventBytes(store, subRun);
      expect(data.subRuns[0]!.events.map((e) => bytes.get(e.id))).toEqual(measured.map((m) => m.migrationBytes));
    } finally {
      await store.close();
    }

    // `kvnetlab migration-table --from-store` prints the same table from the default store's directory.
    const cli = await runCli(['migration-table', '--from-store', '--run-id', measured[0]!.run_id, '--store-dir', ws.storeDir], 60_000);
    expect(cli.code, cli.stderr).toBe(0);
    const tableLines = (text: string) => text.split('\n').filter((l) => /^\| (redis|source|rocksteady|fulva|proxy) \|/.test(l));
    expect(tableLines(cli.stdout)).toEqual(tableLines(r.stdout));
    expect(tableLines(cli.stdout)).toHaveLength(10);

    const check = await checkReport(join(dir, 'report.html'), join(dir, 'report.png'));
    expect(check.errors).toEqual([]);
    expect(check.tableRows.migration).toBe(10);
    const mig = check.charts.filter((c) => c.id.startsWith('migration-'));
    expect(mig.map((c) => c.id)).toEqual(['migration-client', 'migration-server']);
    for (const c of mig) expect(c.seriesLengths).toEqual([2, 2, 2, 2, 2]);
    process.stderr.write(`${r.stdout.slice(r.stdout.indexOf('migration table'))}\n`);
  }, 170_000);
});
