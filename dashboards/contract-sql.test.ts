import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow, TrafficRow } from '../telemetry/rows.js';
import { ChdbStore } from '../telemetry/chdb-store.js';
import { encodeBatch, queryRows } from '../telemetry/store.js';
import { DASHBOARDS, MIGRATIONS, UPDATE_LAG } from './dashboards.js';
import { renderQuery, type QueryContext } from './macros.js';

/*
 * The live-patch and migration panels against rows shaped exactly as the shared contracts
 * describe them (briefs/contract-patch.md; migration: event kind `migrate`, detail
 * {protocol, from, to, slots: 'A-B', keys}, traffic channel `migration`), written into a fresh
 * chDB. This checks the SQL's arithmetic while those features are not in this build;
 * test/dashboards-run.test.ts checks the same panels on a real run once they are.
 */
const RUN = 'contract-run';
const T0 = 1_800_000_000_000;
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
let dir: string;
let store: ChdbStore;

const ev = (e: Partial<EventRow> & Pick<EventRow, 'event_id' | 'kind' | 'start_ms' | 'end_ms'>): EventRow => ({ run_id: RUN, parent_id: '', node: '', status: 'ok', detail: '{}', ...e });
const tr = (ts: number, node: string, channel: TrafficRow['channel'], bytes: number, msg_type = ''): TrafficRow => ({
  run_id: RUN, ts_ms: ts, source: 'proxy', node, peer: node === A ? B : A, channel, direction: 'sent', msg_type, bytes, messages: msg_type ? 1 : 0, wire_bytes: 0, retransmits: 0,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvnl-contract-sql-'));
  store = await ChdbStore.open(dir, 'sql');
  const detail = { method: 'push', patch_id: 'p-7', version: 7, bytes: 4096, lag_ms: 210, first_registered_ms: T0 + 5, last_applied_ms: T0 + 215 };
  await store.insert('events', encodeBatch('e', [
    ev({ event_id: 'lp', kind: 'live-patch', start_ms: T0, end_ms: T0 + 300, detail: JSON.stringify(detail) }),
    ev({ event_id: 'lp-a', parent_id: 'lp', kind: 'apply', node: A, start_ms: T0 + 5, end_ms: T0 + 40, detail: JSON.stringify({ registered_ms: T0 + 5, received_ms: T0 + 5, applied_ms: T0 + 40 }) }),
    ev({ event_id: 'lp-b', parent_id: 'lp', kind: 'apply', node: B, start_ms: T0 + 100, end_ms: T0 + 215, detail: JSON.stringify({ received_ms: T0 + 100, applied_ms: T0 + 215 }) }),
    ev({ event_id: 'mg', kind: 'migrate', start_ms: T0 + 1000, end_ms: T0 + 2000, detail: JSON.stringify({ protocol: 'fulva', from: A, to: B, slots: '0-99', keys: 40 }) }),
  ]));
  const rows: TrafficRow[] = [tr(T0 + 100, A, 'bus', 4200, 'patch'), tr(T0 + 100, B, 'bus', 64, 'patch-request')];
  for (let ts = T0 + 1000; ts < T0 + 2000; ts += 100) rows.push(tr(ts, A, 'migration', 800), tr(ts, B, 'client', 10));
  rows.push(tr(T0 + 5000, A, 'migration', 999)); // after the migration: not in its window
  await store.insert('traffic', encodeBatch('t', rows));
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx: QueryContext = { fromMs: T0 - 1000, toMs: T0 + 10_000, intervalMs: 1000, vars: { run: [RUN], step_ms: '100' } };
const run = (sql: string) => queryRows(store, renderQuery(sql, ctx));

describe('live-patch and migration panels on contract-shaped rows', () => {
  it('live patching: the update lag, method, version and patch size come from the event detail', async () => {
    expect(await run(UPDATE_LAG)).toMatchObject([{ patch: 'p-7', version: 7, method: 'push', status: 'ok', patch_bytes: 4096, update_lag_ms: 210, event_ms: 300 }]);
  });

  it('live patching: each node is applied-after relative to the first registration, and patch bus bytes are a series by message type', async () => {
    const d = DASHBOARDS.find((x) => x.uid === 'kvnetlab-live-patch')!;
    const perNode = await run(d.panels.find((p) => p.title.startsWith('Applied per node'))!.sql!);
    expect(perNode.map((r) => [r.node, r.registered_after_ms, r.applied_after_ms])).toEqual([['aaaaaaaa', 0, 35], ['bbbbbbbb', 95, 210]]);
    const bus = await run(d.panels.find((p) => p.title.startsWith('Bus bytes/s of PATCH'))!.sql!);
    expect(bus.map((r) => [r.msg_type, r.bytes_per_s]).sort()).toEqual([['patch', 42_000], ['patch-request', 640]]);
  });

  it('migration: bytes on the migration channel inside the window only, bytes per key, and the per-protocol sums', async () => {
    expect(await run(MIGRATIONS)).toMatchObject([{ protocol: 'fulva', from_node: 'aaaaaaaa', to_node: 'bbbbbbbb', slots: '0-99', keys: 40, seconds: 1, migration_bytes: 8000, client_bytes: 100, bytes_per_key: 200 }]);
    const d = DASHBOARDS.find((x) => x.uid === 'kvnetlab-migration')!;
    const perProtocol = await run(d.panels.find((p) => p.title.startsWith('Per protocol'))!.sql!);
    expect(perProtocol).toMatchObject([{ protocol: 'fulva', migrations: 1, keys_moved: 40, bytes_moved: 8000, avg_bytes_per_key: 200 }]);
  });
});
