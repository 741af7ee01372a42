import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportData } from '../scenario/report-data.js';
import { checkReport } from './support/report-browser.js';
import { runCli } from './support/run-cli.js';
import { scenarioWorkspace } from './support/scenario-workspace.js';

/*
 * `kvnetlab run quick`, the scenario `npm start` runs, as shipped: 3P-1R under light
 * YCSB-B, an LP pull, an LP push, a CP partial and a failover; under 3 minutes.
 * Ports: cluster 16021-16032 (bus +10000), collector 16902.
 */

const ws = scenarioWorkspace('quick', 'scenario-quick-test');
const { runId } = ws;

describe('kvnetlab run quick', () => {
  it('quick: every event ends ok in under 3 minutes; live patches show their PATCH bytes and update lags in the table and the report', async () => {
    const started = Date.now();
    const r = await runCli(['run', 'quick', ...ws.cliArgs(16021, 16902)], 185_000);
    const wallMs = Date.now() - started;
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(wallMs).toBeLessThan(180_000);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('run '));
    expect(lines.slice(header + 1, header + 5).map((l) => l.split(/\s{2,}/)[1])).toEqual(['live-patch pull', 'live-patch push', 'cp-partial', 'failover']);
    expect(r.stdout).toMatch(/update lag: pull median \d+ ms \(1\), push median \d+ ms \(1\)/);
    // The load's --verify over the whole run (LP pull, LP push, CP partial, failover):
    // reported, not asserted 0 (a failover may lose a write Redis acknowledged, as Redis can).
    const verify = /verify: (\d+) acknowledged writes to \d+ keys across the run's events: (\d+) lost, (\d+) stale/.exec(r.stderr);
    expect(verify, r.stderr.slice(-1500)).not.toBeNull();
    expect(Number(verify![1])).toBeGreaterThan(0);

    const data = JSON.parse(readFileSync(join(ws.results, runId, 'report-data.json'), 'utf8')) as ReportData;
    const sub = data.subRuns[0]!;
    expect(sub.events.map((e) => e.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const lp = sub.overheads.filter((o) => o.window.kind === 'live-patch');
    // Every node but the first gets the 4096 B patch once, in one PATCH message each (plus
    // its header, manifest and signature); pull adds the 5 PATCH_REQUESTs.
    for (const o of lp) expect(o.patchBytes).toBeGreaterThan(5 * 4096);
    expect(lp[0]!.patchBytes).toBeGreaterThan(lp[1]!.patchBytes);
    for (const e of sub.events.filter((x) => x.kind === 'live-patch')) expect(e.lagMs).toBeGreaterThanOrEqual(0);

    const check = await checkReport(join(ws.results, runId, 'report.html'), join(ws.results, runId, 'report.png'));
    expect(check.errors).toEqual([]);
    expect(check.charts.map((c) => c.id)).toEqual(['network-time-0', 'network-line-3-1', 'update-lag', 'ops-0']);
    for (const c of check.charts) for (const n of c.seriesLengths) expect(n, c.id).toBeGreaterThan(0);
    expect(check.overheadRows).toBe(4);
    process.stderr.write(`quick: wall ${(wallMs / 1000).toFixed(1)} s; ${verify![0]}\n${lines.slice(header, header + 5).join('\n')}\n`);
  }, 200_000);
});
