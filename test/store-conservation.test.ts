import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectorStore } from '../telemetry/collector-store.js';
import { newRegistry } from '../telemetry/metrics.js';
import { openSink } from '../telemetry/open-sink.js';
import type { OpsRow, TrafficRow } from '../telemetry/rows.js';
import { queryRows } from '../telemetry/store.js';
import { runCli } from './support/run-cli.js';
import { startCollectorProcess, type CollectorProcess } from './support/collector-process.js';
import { sampleRows, sumOf, trafficRows } from './support/telemetry-rows.js';

const PORT = 22520; // this helper's range: 22501-22599
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cli = (args: string[]) => runCli(args, 60_000);

describe('telemetry store with a collector process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-store-'));
  const running: CollectorProcess[] = [];
  const traffic: TrafficRow[] = [];
  afterAll(async () => {
    for (const c of running) await c.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('store: rows sent across a 10 s collector outage (kill -9, restart on the same dir) are stored exactly, none dropped', async () => {
    running.push(await startCollectorProcess(dir, PORT));
    const registry = newRegistry('writer');
    const logs: string[] = [];
    const sink = openSink({ collectorUrl: `http://127.0.0.1:${PORT}`, registry, log: (l) => logs.push(l) });
    const ops: OpsRow[] = [];
    const t0 = Date.now();
    let tick = 0;
    const writer = (async () => {
      // 100 ms buckets for 14 s: 40 traffic rows and one ops row per bucket.
      while (Date.now() - t0 < 14_000) {
        const rows = trafficRows('run-outage', 40, 1000 + tick, 1_763_750_000_000 + tick * 100, 0.1);
        const op = { ...sampleRows.ops, run_id: 'run-outage', ts_ms: 1_763_750_000_000 + tick * 100, ops: tick };
        traffic.push(...rows);
        ops.push(op);
        sink.write('traffic', rows);
        sink.write('ops', [op]);
        tick++;
        await sleep(100);
      }
    })();
    await sleep(2_000);
    await running[0]!.stop('SIGKILL');
    await sleep(10_000);
    expect(sink.buffered().traffic).toBeGreaterThan(0); // the outage really held rows back
    running.push(await startCollectorProcess(dir, PORT));
    await writer;
    await sink.close();

    expect(sink.dropped()).toEqual({ runs: 0, traffic: 0, events: 0, ops: 0 });
    expect(logs.some((l) => l.includes('unavailable'))).toBe(true);
    expect(logs.some((l) => l.includes('reachable again'))).toBe(true);
    const store = new CollectorStore(() => running[1]!.url);
    const [raw] = await queryRows<{ n: number; b: number; m: number }>(
      store,
      `SELECT count() AS n, sum(bytes) AS b, sum(messages) AS m FROM traffic WHERE run_id = 'run-outage'`,
    );
    const [rolled] = await queryRows<{ n: number; b: number; m: number }>(
      store,
      `SELECT sum(buckets) AS n, sum(bytes) AS b, sum(messages) AS m FROM traffic_1s WHERE run_id = 'run-outage'`,
    );
    const expected = { n: traffic.length, b: sumOf(traffic, (r) => r.bytes), m: sumOf(traffic, (r) => r.messages) };
    expect(traffic.length).toBeGreaterThan(4_000);
    expect(raw).toEqual(expected);
    expect(rolled).toEqual(expected);
    const [o] = await queryRows<{ n: number; s: number }>(store, `SELECT sum(buckets) AS n, sum(ops) AS s FROM ops_1s WHERE run_id = 'run-outage'`);
    expect(o).toEqual({ n: ops.length, s: sumOf(ops, (r) => r.ops) });
  }, 90_000);

  it('store: a second collector on the same directory is refused with the owner named', async () => {
    const second = await cli(['collector', '--dir', dir, '--port', String(PORT + 1)]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`is owned by pid ${running[1]!.pid} (collector at http://127.0.0.1:${PORT})`);
  });

  const bytesByChannel = () => {
    const by = new Map<string, number>();
    for (const r of traffic) by.set(r.channel, (by.get(r.channel) ?? 0) + r.bytes);
    return [...by].sort(([a], [b]) => a.localeCompare(b));
  };
  const query = "SELECT channel, sum(bytes) AS bytes FROM traffic_1s WHERE run_id = 'run-outage' GROUP BY channel ORDER BY channel";

  it('sql: prints an aligned table, JSON and CSV from the running collector', async () => {
    const table = await cli(['sql', '--dir', dir, query]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    const width = Math.max(5, ...bytesByChannel().map(([, b]) => String(b).length));
    const chWidth = 'replication'.length;
    expect(lines[0]).toBe(`${'channel'.padEnd(chWidth)}  ${'bytes'.padStart(width)}`);
    expect(lines[1]).toBe(`${'-'.repeat(chWidth)}  ${'-'.repeat(width)}`);
    expect(lines.slice(2, -1)).toEqual(bytesByChannel().map(([c, b]) => `${c.padEnd(chWidth)}  ${String(b).padStart(width)}`));
    expect(lines.at(-1)).toBe('(3 rows)');

    const json = await cli(['sql', '--dir', dir, '--format', 'json', query]);
    expect(JSON.parse(json.stdout)).toEqual(bytesByChannel().map(([channel, bytes]) => ({ channel, bytes })));
    const csv = await cli(['sql', '--dir', dir, '--format', 'csv', query]);
    expect(csv.stdout.split('\n').slice(0, 2)).toEqual(['"channel","bytes"', `"${bytesByChannel()[0]![0]}",${bytesByChannel()[0]![1]}`]);
  });

  it('sql: bad SQL and a missing store are clear errors with exit code 1', async () => {
    const bad = await cli(['sql', '--dir', dir, 'SELEC 1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^kvnetlab: collector at http:\/\/127\.0\.0\.1:\d+: Code: 62\. DB::Exception: Syntax error/);
    const none = await cli(['sql', '--dir', join(dir, 'nothing-here'), 'SELECT 1']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no store: no collector owns');
    const format = await cli(['sql', '--format', 'xml', 'SELECT 1']);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('Allowed choices are table, json, csv');
  });

  it('sql: with the collector stopped, opens chDB on the directory itself and releases it', async () => {
    await running[1]!.stop('SIGTERM');
    expect(existsSync(join(dir, 'owner.json'))).toBe(false); // a clean stop removes it
    const json = await cli(['sql', '--dir', dir, '--format', 'json', query]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(bytesByChannel().map(([channel, bytes]) => ({ channel, bytes })));
    expect(existsSync(join(dir, 'owner.json'))).toBe(false);
  });
});
