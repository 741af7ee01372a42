import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callText } from '../cluster/launcher/admin.js';
import { isAlive } from '../cluster/launcher/processes.js';
import { readState } from '../cluster/launcher/state-file.js';
import type { TrafficRow } from '../telemetry/rows.js';
import { runCli } from './support/run-cli.js';

/*
 * `up --capture` without a store: the capture is recorded in cluster.json, writes JSON
 * lines next to it, serves /metrics, and `down` stops it (after the proxies) so it logs
 * its totals.
 * Ports: a 1-node TS cluster on 17401 (node 17402), bus +10000; /metrics 17499.
 */
describe('kvnetlab up --capture --no-store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvnl-capture-up-'));
  afterAll(async () => {
    await runCli(['down', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('up --capture: starts the capture with the cluster, down stops it and its rows name the node', async () => {
    const up = await runCli(['up', '--primaries', '1', '--replicas', '0', '--base-port', '17401', '--dir', dir, '--no-store', '--no-controller', '--capture', '--capture-metrics-port', '17499'], 120_000);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/capture on lo {2}pid \d+/);
    const state = readState(dir)!;
    const cap = state.capture!;
    expect(isAlive(cap.pid, cap.cmdlineMark)).toBe(true);
    for (let i = 0; i < 20; i++) expect(await callText('127.0.0.1', 17401, ['SET', `k${i}`, 'v'])).toBe('OK');
    // /metrics: fed from the rows handed to the sink (ended 100 ms buckets), the kernel's counters at scrape time.
    await new Promise((r) => setTimeout(r, 600));
    const scrape = await (await fetch('http://127.0.0.1:17499/metrics')).text();
    const series = (name: string, channel: string, direction: string) => Number(new RegExp(`^${name}\\{[^}]*node="${state.nodes[0].id}",channel="${channel}",direction="${direction}"[^}]*\\} (\\d+)`, 'm').exec(scrape)?.[1] ?? 0);
    const scrapedBytes = series('kvnetlab_capture_bytes_total', 'client', 'received');
    expect(scrapedBytes).toBeGreaterThan(20 * 30);
    expect(series('kvnetlab_capture_wire_bytes_total', 'client', 'received')).toBeGreaterThan(scrapedBytes);
    expect(series('kvnetlab_capture_frames_total', 'client', 'received')).toBeGreaterThanOrEqual(20);
    expect(scrape).toMatch(/^kvnetlab_capture_kernel_dropped_packets\{process="capture"\} 0$/m);
    expect(scrape).toMatch(/^kvnetlab_capture_kernel_received_packets\{process="capture"\} [1-9]\d*$/m);
    const down = await runCli(['down', '--dir', dir], 60_000);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(new RegExp(`capture on lo \\(pid ${cap.pid}\\): stopped`));
    expect(isAlive(cap.pid, cap.cmdlineMark)).toBe(false);
    const log = readFileSync(cap.log, 'utf8');
    expect(log).toMatch(/:C \S+ kernel \{"received":\d+,"dropped":0\}/);
    expect(existsSync(cap.out!)).toBe(true);
    const rows = readFileSync(cap.out!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrafficRow & { table: string }).filter((r) => r.table === 'traffic');
    const received = rows.filter((r) => r.node === state.nodes[0].id && r.channel === 'client' && r.direction === 'received');
    // 20 SETs of `*3\r\n$3\r\nSET\r\n$2\r\nkN\r\n$1\r\nv\r\n` (30 or 31 bytes) at least, plus up's own commands.
    expect(received.reduce((a, r) => a + r.bytes, 0)).toBeGreaterThan(20 * 30);
    // The scrape counted rows the file has too: never more than the file's total.
    expect(scrapedBytes).toBeLessThanOrEqual(received.reduce((a, r) => a + r.bytes, 0));
    expect(rows.every((r) => r.source === 'capture' && r.run_id === state.runId)).toBe(true);
  }, 180_000);
});
