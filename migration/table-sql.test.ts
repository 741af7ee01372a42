import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../telemetry/chdb-store.js';
import { encodeBatch, queryRows } from '../telemetry/store.js';
import { sampleRows } from '../test/support/telemetry-rows.js';
import { migrateEventRows } from './event-rows.js';
import { parseSlotRange } from './slots.js';
import { type MigrationTableRow, TABLE_SQL } from './table.js';
import { migrateEventBytes, migrationTableFromStore } from './table-sql.js';

let dir: string;
let store: ChdbStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvnetlab-migration-sql-'));
  store = await ChdbStore.open(dir, 'test');
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('migration table as SQL', () => {
  it('migration SQL: per migrate event, the client and migration bytes of the proxies rows inside its window, the last event row wins', async () => {
    const t0 = 1_763_750_000_000;
    const ev = { ...sampleRows.events, event_id: 'ev-m1', kind: 'migrate', start_ms: t0 + 1000, end_ms: 0, status: 'running', detail: '{"protocol":"proxy"}' };
    await store.insert('events', encodeBatch('e1', [ev]));
    await store.insert('events', encodeBatch('e2', [{ ...ev, end_ms: t0 + 2000, status: 'ok' }]));
    const row = (ts: number, channel: string, bytes: number) => ({ ...sampleRows.traffic, msg_type: '', ts_ms: ts, channel, bytes });
    await store.insert('traffic', encodeBatch('t1', [
      row(t0 + 900, 'client', 1), // before the event
      row(t0 + 1000, 'client', 10),
      row(t0 + 1500, 'migration', 100),
      row(t0 + 1900, 'client', 20),
      row(t0 + 2000, 'migration', 1000), // the bucket that starts at its end: after
      row(t0 + 1500, 'bus', 5),
    ]));
    const rows = await queryRows<{ event_id: string; protocol: string; migration_ms: number; client_bytes: string; migration_bytes: string }>(store, TABLE_SQL);
    expect(rows.map((r) => ({ ...r, client_bytes: Number(r.client_bytes), migration_bytes: Number(r.migration_bytes), migration_ms: Number(r.migration_ms) })))
      .toEqual([{ event_id: 'ev-m1', protocol: 'proxy', migration_ms: 1000, client_bytes: 30, migration_bytes: 100 }]);
  });
});

describe('migration table from the store', () => {
  const t0 = 1_763_760_000_000;
  const cell: MigrationTableRow = {
    protocol: 'source', writeRatio: 30, clientExtraPct: 0, serverExtraPct: 0, migrationMs: 900, downtimeMs: 437,
    before: { tput: 0, p50: 0.15, p99: 1.5 }, during: { tput: 0, p50: 0.25, p99: 4.5 }, clientBytesExtra: 0, migrationBytes: 1200, dataBytes: 1000,
    counters: { batches: 3 }, startMs: t0 + 1050, endMs: t0 + 1950,
    windows: { beforeFrom: t0 + 200, beforeTo: t0 + 1000, from: t0 + 1000, to: t0 + 2000, migrationTo: t0 + 2300 },
    fromId: 'a'.repeat(40), toId: 'b'.repeat(40), keysMoved: 10, opsBefore: 80, opsDuring: 72, clientBytesBefore: 200, clientBytesDuring: 300,
  };
  const runId = 'mig-run/0';

  beforeAll(async () => {
    await store.insert('events', encodeBatch('me1', migrateEventRows(runId, [cell], parseSlotRange('0-9'))));
    const traffic = (ts: number, channel: string, bytes: number, source = 'proxy') => ({ ...sampleRows.traffic, run_id: runId, msg_type: '', ts_ms: t0 + ts, channel, bytes, source });
    await store.insert('traffic', encodeBatch('mt1', [
      traffic(100, 'client', 7), // before the before window (its first 200 ms are dropped)
      traffic(200, 'client', 100), traffic(900, 'client', 100),
      traffic(1000, 'client', 150), traffic(1900, 'client', 150),
      traffic(2000, 'client', 999), // after the move
      traffic(1000, 'migration', 800), traffic(2200, 'migration', 400),
      traffic(2300, 'migration', 5000), // past the 300 ms tail
      traffic(1500, 'migration', 777, 'capture'), // the same bytes seen by capture: not counted twice
      traffic(1500, 'bus', 2568),
    ]));
    const ops = (ts: number, op: string, n: number, errors = 0) => ({ ...sampleRows.ops, run_id: runId, ts_ms: t0 + ts, op, ops: n, errors, p50_us: 200, p99_us: 900 });
    const before = Array.from({ length: 8 }, (_, i) => ops(200 + 100 * i, 'GET', 10));
    // During: 1300-1500 idle, 1600 only failures: no successful operation from 1300 to 1700.
    const during = [1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900].map((ts) =>
      ops(ts, 'GET', ts >= 1300 && ts <= 1500 ? 0 : ts === 1600 ? 5 : 12, ts === 1600 ? 5 : 0));
    await store.insert('ops', encodeBatch('mo1', [...before, ...during, ops(1000, 'SET', 0)]));
  });

  it('migration SQL: a cell\'s client and server-side extra %, operations, throughput and bucket downtime from its event, traffic and ops rows; latencies and exact downtime from its detail', async () => {
    const [r, ...more] = await migrationTableFromStore(store, [runId]);
    expect(more).toEqual([]);
    expect(r).toMatchObject({
      runId, eventId: `${runId}/migrate-${t0 + 1050}`, protocol: 'source', writeRatio: 30, migrationMs: 900, dataBytes: 1000,
      clientBefore: 200, clientDuring: 300, migrationBytes: 1200, okBefore: 80, okDuring: 72, serverExtraPct: 20,
      clientExtraBytes: 120, downtimeMs: 437, downtimeBucketsMs: 400, before: { p50: 0.15, p99: 1.5 }, during: { p50: 0.25, p99: 4.5 },
    });
    // expected client bytes during = 200 B / 80 ops x 72 ops = 180 B; 120 B extra
    expect(r!.clientExtraPct).toBeCloseTo((100 * 120) / 180, 9);
    expect(r!.before.tput).toBeCloseTo(100, 9);
    expect(r!.during.tput).toBeCloseTo(72, 9);
  });

  it('migration SQL: a migrate event\'s bytes are the proxies\' migration bytes from its first bucket to 300 ms after its last', async () => {
    expect(await migrateEventBytes(store, runId)).toEqual(new Map([[`${runId}/migrate-${t0 + 1050}`, 1200]]));
  });
});
