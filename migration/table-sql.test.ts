import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../telemetry/chdb-store.js';
import { encodeBatch, queryRows } from '../telemetry/store.js';
import { sampleRows } from '../test/support/telemetry-rows.js';
import { TABLE_SQL } from './table.js';

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
