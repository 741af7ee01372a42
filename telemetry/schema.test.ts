import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from './chdb-store.js';
import { StoreError } from './errors.js';
import { schemaMarkdown, writableColumns } from './schema.js';
import { encodeBatch, queryRows } from './store.js';
import type { OpsRow, TableName } from './rows.js';
import { sampleRows, sumOf, trafficRows } from '../test/support/telemetry-rows.js';

// chDB opens one data directory per process: this file shares one store.
let dir: string;
let store: ChdbStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvnetlab-schema-'));
  store = await ChdbStore.open(dir, 'test');
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

let tokens = 0;
const insert = (table: TableName, rows: object[], token = `t${++tokens}`) => store.insert(table, encodeBatch(token, rows as never[]));

describe('schema on chDB', () => {
  it('schema: every field of the row contract is a writable column, in both directions', () => {
    for (const [table, row] of Object.entries(sampleRows)) {
      expect(writableColumns(table as TableName).sort()).toEqual(Object.keys(row).sort());
    }
  });

  it('schema: stores one complete row of each raw table and reads it back unchanged', async () => {
    for (const [table, row] of Object.entries(sampleRows)) {
      await insert(table as TableName, [row]);
      const cols = writableColumns(table as TableName).join(', ');
      const [back] = await queryRows(store, `SELECT ${cols} FROM ${table} WHERE run_id = 'run-sample'`);
      expect(back).toEqual(row);
    }
    const [t] = await queryRows<{ ts: string }>(store, `SELECT toString(ts) AS ts FROM traffic WHERE run_id = 'run-sample'`);
    expect(t!.ts).toBe('2025-11-21 18:33:20.100'); // materialized from ts_ms, UTC
  });

  it('schema: traffic_1s sums equal the raw traffic sums for every key and second', async () => {
    const rows = trafficRows('run-rollup', 20_000, 7);
    for (let i = 0; i < rows.length; i += 3_000) await insert('traffic', rows.slice(i, i + 3_000));
    const key = 'node, peer, channel, direction, msg_type, source';
    const raw = await queryRows(store, `SELECT ${key}, toDateTime(intDiv(ts_ms, 1000), 'UTC') AS second, sum(bytes) AS b, sum(messages) AS m,
      sum(wire_bytes) AS w, sum(retransmits) AS r, count() AS n FROM traffic WHERE run_id = 'run-rollup' GROUP BY ALL ORDER BY ALL`);
    const rolled = await queryRows(store, `SELECT ${key}, second, sum(bytes) AS b, sum(messages) AS m,
      sum(wire_bytes) AS w, sum(retransmits) AS r, sum(buckets) AS n FROM traffic_1s WHERE run_id = 'run-rollup' GROUP BY ALL ORDER BY ALL`);
    expect(raw.length).toBeGreaterThan(1000);
    expect(rolled).toEqual(raw);
    const [total] = await queryRows<{ b: number }>(store, `SELECT sum(bytes) AS b FROM traffic_1s WHERE run_id = 'run-rollup'`);
    expect(Number(total!.b)).toBe(sumOf(rows, (r) => r.bytes));
  });

  it('schema: ops_1s sums the counts and keeps the highest p99 of each second', async () => {
    const rows: OpsRow[] = [];
    for (let i = 0; i < 50; i++) {
      rows.push({ ...sampleRows.ops, run_id: 'run-ops', ts_ms: 1_763_750_000_000 + i * 100, ops: 10 + i, p99_us: 1000 + ((i * 37) % 500), max_us: 5000 + i });
    }
    await insert('ops', rows.slice(0, 25));
    await insert('ops', rows.slice(25));
    const got = await queryRows<{ second: string; ops: number; p99: number; mx: number }>(
      store,
      `SELECT toString(second) AS second, sum(ops) AS ops, max(max_p99_us) AS p99, max(max_us) AS mx FROM ops_1s WHERE run_id = 'run-ops' GROUP BY second ORDER BY second`,
    );
    expect(got).toHaveLength(5);
    got.forEach((g, s) => {
      const inSecond = rows.slice(s * 10, s * 10 + 10);
      expect(Number(g.ops)).toBe(sumOf(inSecond, (r) => r.ops));
      expect(Number(g.p99)).toBe(Math.max(...inSecond.map((r) => r.p99_us)));
      expect(Number(g.mx)).toBe(Math.max(...inSecond.map((r) => r.max_us)));
    });
  });

  it('schema: a batch inserted again with the same token is stored once, in the raw table and the rollup', async () => {
    const rows = trafficRows('run-dedup', 500, 3);
    await insert('traffic', rows, 'batch-A');
    await insert('traffic', rows, 'batch-A'); // the retry of an ambiguous failure
    await insert('traffic', rows, 'batch-B'); // same content, another batch: kept
    const [raw] = await queryRows<{ n: number; b: number }>(store, `SELECT count() AS n, sum(bytes) AS b FROM traffic WHERE run_id = 'run-dedup'`);
    const [rolled] = await queryRows<{ b: number }>(store, `SELECT sum(bytes) AS b FROM traffic_1s WHERE run_id = 'run-dedup'`);
    expect(Number(raw!.n)).toBe(1000);
    expect(Number(raw!.b)).toBe(2 * sumOf(rows, (r) => r.bytes));
    expect(Number(rolled!.b)).toBe(Number(raw!.b));
  });

  it('schema: events keep the last row of an event (FINAL)', async () => {
    const start = { ...sampleRows.events, run_id: 'run-ev', event_id: 'ev9', end_ms: 0, status: 'running' as const };
    await insert('events', [start]);
    await insert('events', [{ ...start, end_ms: start.start_ms + 900, status: 'ok' }]);
    const got = await queryRows<{ status: string }>(store, `SELECT status FROM events FINAL WHERE run_id = 'run-ev'`);
    expect(got).toEqual([{ status: 'ok' }]);
  });

  it('schema: a row with a field the schema lacks is refused as permanent (STORE_REJECTED)', async () => {
    const err = await insert('traffic', [{ ...sampleRows.traffic, bogus: 1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('STORE_REJECTED');
    expect((err as StoreError).transient).toBe(false);
  });

  it('schema: bad SQL is a STORE_REJECTED error carrying ClickHouse code 62', async () => {
    const err = (await store.query('SELEC 1').catch((e: unknown) => e)) as StoreError;
    expect(err.code).toBe('STORE_REJECTED');
    expect(err.clickhouseCode).toBe(62);
  });

  it('chdb: queryAsync runs off the event loop (timers keep firing during a long query)', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = Date.now();
    await store.query('SELECT count() FROM numbers(30000000) WHERE sipHash64(number) % 7 = 1');
    const ms = Date.now() - t0;
    clearInterval(timer);
    expect(ms).toBeGreaterThan(100); // long enough to tell
    expect(ticks).toBeGreaterThanOrEqual(Math.max(2, Math.floor(ms / 50))); // a blocked loop shows 0 or 1
  });

  it('schema: telemetry/README.md documents exactly the schema in schema.ts', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    expect(readme).toContain(schemaMarkdown());
  });
});
