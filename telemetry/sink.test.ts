import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from './chdb-store.js';
import { buildCollectorApp } from './collector.js';
import { newRegistry } from './metrics.js';
import { openSink } from './open-sink.js';
import { queryRows } from './store.js';
import { sampleRows, sumOf, trafficRows } from '../test/support/telemetry-rows.js';

let dir: string;
let store: ChdbStore;
let collectorRegistry: Registry;
let app: FastifyInstance;
let url: string;
const quiet = () => {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvnetlab-sink-'));
  store = await ChdbStore.open(dir, 'test');
  collectorRegistry = newRegistry('collector');
  app = buildCollectorApp(store, collectorRegistry);
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
}

async function sums(runId: string): Promise<{ n: number; bytes: number }> {
  const [r] = await queryRows<{ n: string; b: string }>(store, `SELECT count() AS n, sum(bytes) AS b FROM traffic WHERE run_id = '${runId}'`);
  return { n: Number(r!.n), bytes: Number(r!.b) };
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('sink and collector', () => {
  it('sink: rows written through openSink reach the collector with exact sums', async () => {
    const sink = openSink({ collectorUrl: url, batchRows: 2_000, log: quiet });
    const rows = trafficRows('run-basic', 12_345, 11);
    for (let i = 0; i < rows.length; i += 1_000) sink.write('traffic', rows.slice(i, i + 1_000));
    await sink.close();
    expect(await sums('run-basic')).toEqual({ n: rows.length, bytes: sumOf(rows, (r) => r.bytes) });
    expect(sink.dropped()).toEqual({ runs: 0, traffic: 0, events: 0, ops: 0 });
  });

  it('sink: a full buffer refuses the excess, counts it exactly, and delivers the rest once the collector appears', async () => {
    const port = await freePort();
    const registry = newRegistry('writer');
    const logs: string[] = [];
    const sink = openSink({ collectorUrl: `http://127.0.0.1:${port}`, maxBufferedRows: 1_000, batchRows: 300, registry, log: (l) => logs.push(l) });
    const traffic = trafficRows('run-overflow', 650, 5);
    const ops = Array.from({ length: 500 }, (_, i) => ({ ...sampleRows.ops, run_id: 'run-overflow', ts_ms: sampleRows.ops.ts_ms + i * 100 }));
    sink.write('traffic', traffic.slice(0, 600));
    sink.write('ops', ops); // 400 fit
    sink.write('traffic', traffic.slice(600)); // none fit
    expect(sink.dropped()).toEqual({ runs: 0, traffic: 50, events: 0, ops: 100 });
    expect(sink.buffered()).toEqual({ runs: 0, traffic: 600, events: 0, ops: 400 });
    expect(await metric(registry, 'kvnetlab_store_rows_dropped_total', { table: 'ops', reason: 'overflow' })).toBe(100);
    expect(logs.some((l) => l.includes('dropped 100 ops row(s) (overflow)'))).toBe(true);

    await new Promise((r) => setTimeout(r, 300)); // a few refused attempts
    const late = buildCollectorApp(store, newRegistry('late'));
    await late.listen({ host: '127.0.0.1', port });
    try {
      await sink.flush();
      expect(await sums('run-overflow')).toEqual({ n: 600, bytes: sumOf(traffic.slice(0, 600), (r) => r.bytes) });
      const [o] = await queryRows<{ n: string }>(store, `SELECT count() AS n FROM ops WHERE run_id = 'run-overflow'`);
      expect(Number(o!.n)).toBe(400);
      expect(await metric(registry, 'kvnetlab_store_batch_retries_total', {})).toBeGreaterThan(0);
      await sink.close();
    } finally {
      await late.close();
    }
  });

  it('sink: a batch the store refuses is counted as rejected, not retried, and other batches still land', async () => {
    const registry = newRegistry('writer');
    const sink = openSink({ collectorUrl: url, batchRows: 100, registry, log: quiet });
    const good = trafficRows('run-reject', 300, 9);
    sink.write('traffic', good.slice(0, 100));
    sink.write('traffic', [...good.slice(100, 199), { ...good[199]!, bytes: 'not a number' as unknown as number }]);
    sink.write('traffic', good.slice(200));
    await sink.close();
    expect(sink.dropped().traffic).toBe(100);
    expect(await metric(registry, 'kvnetlab_store_rows_dropped_total', { reason: 'rejected' })).toBe(100);
    expect(await metric(registry, 'kvnetlab_store_batch_retries_total', {})).toBe(0);
    expect((await sums('run-reject')).n).toBe(200);
  });

  it('sink: a batch whose answer is lost after the insert is retried and stored once (dedup token)', async () => {
    // A real TCP relay in front of the collector that cuts the connection as the answer
    // arrives: the insert has committed, the writer sees a reset and must retry.
    let cut = 3;
    const target = new URL(url);
    const relay: Server = createServer((client: Socket) => {
      const up = connect(Number(target.port), '127.0.0.1');
      client.pipe(up);
      up.on('data', (chunk) => {
        if (cut > 0) {
          cut--;
          client.destroy();
          up.destroy();
        } else client.write(chunk);
      });
      up.on('error', () => client.destroy());
      client.on('error', () => up.destroy());
      client.on('close', () => up.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    const before = await metric(collectorRegistry, 'kvnetlab_collector_rows_inserted_total', { table: 'traffic' });
    const registry = newRegistry('writer');
    const sink = openSink({ collectorUrl: relayUrl, batchRows: 1_000, registry, log: quiet });
    const rows = trafficRows('run-ambiguous', 5_000, 13);
    sink.write('traffic', rows);
    await sink.close();
    relay.close();
    expect(cut).toBe(0);
    expect(await sums('run-ambiguous')).toEqual({ n: 5_000, bytes: sumOf(rows, (r) => r.bytes) });
    const [rolled] = await queryRows<{ b: string }>(store, `SELECT sum(bytes) AS b FROM traffic_1s WHERE run_id = 'run-ambiguous'`);
    expect(Number(rolled!.b)).toBe(sumOf(rows, (r) => r.bytes));
    // The store did see the three retried batches: 8,000 rows inserted for 5,000 stored.
    expect((await metric(collectorRegistry, 'kvnetlab_collector_rows_inserted_total', { table: 'traffic' })) - before).toBe(8_000);
    expect(await metric(registry, 'kvnetlab_store_batch_retries_total', {})).toBe(3);
    expect(sink.dropped().traffic).toBe(0);
  });

  it('sink: without a URL, finds the collector named in the owner file of the store directory', async () => {
    store.owner.setUrl(url);
    const sink = openSink({ storeDir: dir, log: quiet });
    expect(sink.location).toBe(url);
    sink.write('runs', [{ ...sampleRows.runs, run_id: 'run-owner' }]);
    await sink.close();
    const [r] = await queryRows<{ n: string }>(store, "SELECT count() AS n FROM runs WHERE run_id = 'run-owner'");
    expect(Number(r!.n)).toBe(1);
  });

  it('collector: serves its Prometheus metrics', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/kvnetlab_collector_rows_inserted_total\{table="traffic",process="collector"\} \d+/);
  });

  it('collector: an unknown table is 404, bad SQL is 400 with the ClickHouse code, a JSON array body is accepted', async () => {
    const bad = await app.inject({ method: 'POST', url: '/rows/nope', headers: { 'content-type': 'application/x-ndjson' }, payload: '{}\n' });
    expect(bad.statusCode).toBe(404);
    const sql = await app.inject({ method: 'POST', url: '/query', headers: { 'content-type': 'text/plain' }, payload: 'SELEC 1' });
    expect(sql.statusCode).toBe(400);
    expect(sql.json()).toMatchObject({ code: 'STORE_REJECTED', clickhouseCode: 62 });
    const rows = [{ ...sampleRows.runs, run_id: 'run-json' }];
    const ok = await app.inject({ method: 'POST', url: '/rows/runs', payload: rows });
    expect(ok.json()).toEqual({ rows: 1 });
    const q = await app.inject({ method: 'POST', url: '/query?format=JSONEachRow', headers: { 'content-type': 'text/plain' }, payload: "SELECT label FROM runs WHERE run_id = 'run-json'" });
    expect(q.body.trim()).toBe('{"label":"sample"}');
  });
});

describe('sink close', () => {
  it('sink: close gives up after closeTimeoutMs and counts the unsent rows as dropped (closed)', async () => {
    const port = await freePort();
    const registry = newRegistry('writer');
    const sink = openSink({ collectorUrl: `http://127.0.0.1:${port}`, closeTimeoutMs: 500, registry, log: quiet });
    sink.write('events', [{ ...sampleRows.events, run_id: 'run-close' }]);
    sink.write('traffic', trafficRows('run-close', 99, 4));
    await sink.close();
    expect(sink.dropped()).toEqual({ runs: 0, traffic: 99, events: 1, ops: 0 });
    expect(sink.buffered()).toEqual({ runs: 0, traffic: 0, events: 0, ops: 0 });
    expect(await metric(registry, 'kvnetlab_store_rows_dropped_total', { reason: 'closed' })).toBe(100);
    sink.write('traffic', trafficRows('run-close', 5, 4)); // after close: counted, never silent
    expect(sink.dropped().traffic).toBe(104);
  });
});
