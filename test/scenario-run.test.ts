import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportData } from '../scenario/report-data.js';
import { checkReport } from './support/report-browser.js';
import { runCli } from './support/run-cli.js';
import { scenarioWorkspace } from './support/scenario-workspace.js';

/*
 * `kvnetlab run` end to end: a quick-like scenario (3P-1R, light YCSB-B load, a CP
 * partial and a failover; quick itself, with live patches, is test/scenario-quick.test.ts),
 * through the CLI, rows in a chDB store of its own, the report opened in Chromium.
 * Ports: cluster 16001-16012 (bus +10000), collector 16900.
 */

const ws = scenarioWorkspace('scenario', 'scenario-run-test');
const { runId, work, storeDir } = ws;

describe('kvnetlab run', () => {
  it('run: a CP partial and a failover under load end in a report with every chart drawn and the overhead table, rows in the store per sub-run', async () => {
    const file = join(work, 'short.yaml');
    writeFileSync(file, `name: short
topologies: [3-1]
memory_mib: [1]
warmup_s: 2
schedule: { first_s: 2, every_s: 4, count: 2 }
tail_s: 3
cp_pause_s: 0.5
node_timeout_ms: 5000
load: { preset: ycsb-b, target: 100, connections: 2, records: 200 }
runs:
  - kind: sequence
    label: short
    events: [cp-partial, failover]
`);
    const started = Date.now();
    const r = await runCli(['run', file, ...ws.cliArgs(16001, 16900)], 170_000);
    const wallMs = Date.now() - started;
    expect(r.stderr).toMatch(/\[1\/1 3-1 1MiB short\] event 1\/2: cp-partial .*ETA/);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(wallMs).toBeLessThan(170_000);

    // The terminal table: one row per event, bytes per channel.
    const table = r.stdout.split('\n');
    const header = table.findIndex((l) => l.startsWith('run '));
    expect(table[header]).toMatch(/client B\s+replication B\s+bus B\s+total extra B/);
    expect(table[header + 1]).toMatch(/^3-1 1MiB short\s+cp-partial\s+ok\s/);
    expect(table[header + 2]).toMatch(/^3-1 1MiB short\s+failover\s+ok\s/);
    const reportPath = join(work, 'results', runId, 'report.html');
    expect(r.stdout).toContain(`report: ${reportPath}`);

    const data = JSON.parse(readFileSync(join(work, 'results', runId, 'report-data.json'), 'utf8')) as ReportData;
    const sub = data.subRuns[0]!;
    expect(sub.nodes).toHaveLength(6);
    expect(sub.perNode).toHaveLength(6);
    expect(sub.fill_keys).toBe(256);
    expect(sub.events.map((e) => [e.kind, e.status])).toEqual([['cp-partial', 'ok'], ['failover', 'ok']]);
    // A rolling restart moves bytes: its bus + replication extra is positive.
    const cp = sub.overheads[0]!;
    expect(cp.channels.bus.extra + cp.channels.replication.extra).toBeGreaterThan(0);
    expect(sub.ops.length).toBeGreaterThan(5);

    const check = await checkReport(reportPath, join(work, 'results', runId, 'report.png'));
    expect(check.errors).toEqual([]);
    expect(check.charts.map((c) => c.id)).toEqual(['network-time-0', 'network-line-3-1', 'ops-0']);
    for (const c of check.charts) for (const n of c.seriesLengths) expect(n, c.id).toBeGreaterThan(0);
    expect(check.charts[0]!.markAreas).toBe(3);
    expect(check.overheadRows).toBe(2);

    // The store: the scenario's runs row and one per sub-run, its rows under the sub-run id.
    const sql = await runCli(['sql', '--dir', storeDir, '--format', 'json',
      `SELECT run_id, label, JSONExtractString(detail, 'run_kind') AS kind, JSONExtractUInt(detail, 'memory_mib') AS mib,
         (SELECT count() FROM traffic WHERE run_id = '${runId}/0') AS traffic, (SELECT count() FROM events FINAL WHERE run_id = '${runId}/0' AND parent_id = '') AS events
       FROM runs WHERE run_id LIKE '${runId}%' ORDER BY run_id`]);
    expect(sql.code, sql.stderr).toBe(0);
    const rows = JSON.parse(sql.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => [x.run_id, x.label, x.kind, Number(x.mib)])).toEqual([
      [runId, 'scenario short', '', 0],
      [`${runId}/0`, 'short 3-1 1MiB short', 'sequence', 1],
    ]);
    expect(Number(rows[0]!.traffic)).toBeGreaterThan(100);
    expect(Number(rows[0]!.events)).toBe(2);
    expect(existsSync(join(work, 'work', runId, '0', 'cluster.json'))).toBe(true);
  }, 180_000);
});
