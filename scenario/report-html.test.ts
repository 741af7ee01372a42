import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReport } from '../test/support/report-browser.js';
import { eventOverheads } from './overhead.js';
import { formatOverheadTable } from './overhead-table.js';
import type { ReportData, SubRunReport } from './report-data.js';
import { renderReport } from './report-html.js';

/** A constructed two-run report: 0 and 32 MiB, each with a live patch (pull, push) and a CP Full. */
function sample(): ReportData {
  const t0 = 1_700_000_000_000;
  const sub = (index: number, memory: number, lag: [number, number]): SubRunReport => {
    const start = t0 + index * 100_000;
    const events = [
      { id: `ev-${index}-1`, kind: 'live-patch', method: 'pull', status: 'ok', startMs: start + 5_000, endMs: start + 7_000, lagMs: lag[0] },
      { id: `ev-${index}-2`, kind: 'live-patch', method: 'push', status: 'ok', startMs: start + 10_000, endMs: start + 10_300, lagMs: lag[1] },
      { id: `ev-${index}-3`, kind: 'cp-full', method: '', status: 'ok', startMs: start + 14_000, endMs: start + 20_000 },
    ];
    const buckets = Array.from({ length: 250 }, (_, i) => ({ ts_ms: start + i * 100, channel: 'bus', bytes: 500 + (i >= 140 && i < 200 ? memory * 1000 : 0) }));
    return {
      run_id: `r/${index}`, index, label: `3-1 ${memory}MiB sequence`, topology: '3-1', memory_mib: memory, kind: 'sequence',
      measure_start_ms: start, warmup_end_ms: start + 2_000, measure_end_ms: start + 25_000, fill_keys: memory * 256,
      nodes: [{ id: 'a', name: '16001 (M)' }, { id: 'b', name: '16004 (R)' }],
      perNode: ['16001 (M)', '16004 (R)'].map((node, k) => ({ node, points: Array.from({ length: 25 }, (_, s) => [start + s * 1000, 5000 + k * 100 + s] as [number, number]) })),
      events,
      overheads: eventOverheads(buckets, events.map((e) => ({ id: e.id, kind: e.kind, startMs: e.startMs, endMs: e.endMs })), start + 2_000, start + 25_000)
        .map((o) => ({ ...o, status: 'ok', method: events.find((e) => e.id === o.window.id)!.method, patchBytes: o.window.kind === 'live-patch' ? 31_800 : 0 })),
      perNodeAvgBps: 5000 + memory * 10,
      ops: Array.from({ length: 20 }, (_, s) => ({ t: start + s * 1000, ops: 200, errors: 0, p99_us: 900 + s })),
    };
  };
  return {
    runId: 'sample-run', scenario: 'sample', description: 'constructed rows', source: 'scenario/report-html.test.ts', wallMs: 60_000,
    generatedAt: new Date(t0).toISOString(), subRuns: [sub(0, 0, [1500, 180]), sub(1, 32, [2100, 220])],
  };
}

describe('scenario report', () => {
  it('report: opens in headless Chromium with every chart drawn from data, event regions and the overhead table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-report-'));
    mkdirSync(dir, { recursive: true });
    const html = join(dir, 'report.html');
    writeFileSync(html, renderReport(sample()));
    // Self-contained: ECharts is inlined (about 1 MB), nothing is fetched.
    expect(statSync(html).size).toBeGreaterThan(1_000_000);
    const shot = join(dir, 'report.png');
    const r = await checkReport(html, shot);
    expect(r.errors).toEqual([]);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    const ids = r.charts.map((c) => c.id);
    expect(ids).toEqual(['network-time-0', 'network-time-1', 'network-line-3-1', 'update-lag', 'ops-0', 'ops-1']);
    for (const c of r.charts) {
      expect(c.seriesLengths.length, c.id).toBeGreaterThan(0);
      for (const n of c.seriesLengths) expect(n, c.id).toBeGreaterThan(0);
    }
    // warm-up + 3 events per run, drawn as regions on the Network-Time charts.
    expect(r.charts.find((c) => c.id === 'network-time-0')!.markAreas).toBe(4);
    expect(r.overheadRows).toBe(6);
  }, 60_000);

  it('report: the terminal table lists every event with its extra bytes per channel', () => {
    const text = formatOverheadTable(sample());
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^run\s+event\s+status\s+at s\s+window s\s+client B\s+replication B\s+bus B\s+total extra B\s+patch msgs B\s+lag ms$/);
    expect(lines).toHaveLength(7);
    // 32 MiB: the CP Full window (60 buckets) carries 32,000 B per bucket above the 500 B baseline.
    expect(lines[6]).toMatch(/^3-1 32MiB sequence\s+cp-full\s+ok\s+12\.0\s+6\.0\s+0\s+0\s+1,920,000\s+1,920,000\s*$/);
    expect(lines[1]).toMatch(/live-patch pull\s+ok\s+3\.0\s+2\.0\s+0\s+0\s+0\s+0\s+31,800\s+1500$/);
  });
});
