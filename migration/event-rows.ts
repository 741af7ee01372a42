import type { EventRow } from '../telemetry/rows.js';
import { type SlotRange, formatRange } from './slots.js';
import type { MigrationTableRow } from './table.js';

/**
 * The `migrate` event rows of a migration table (one per cell), in the shape the
 * controller's migrate event has (controller-event.ts: name, protocol, from, to, slots,
 * keys, bytes, batches, forwarded), plus what the table's SQL needs (table-sql.ts):
 * write_ratio, data_bytes (the data itself: key names and DUMP payloads) and the cell's windows. `bytes`
 * is the migration-channel bytes the table summed; downtime_ms and the latencies
 * (`before` / `during`: ops/s, p50 and p99 ms) are the in-process figures the store's
 * 100 ms rows cannot give exactly; `client_extra_pct` and `server_extra_pct` are kept
 * beside the SQL's for comparison.
 */
export function migrateEventRows(runId: string, rows: MigrationTableRow[], slots: SlotRange): EventRow[] {
  return rows.map((r) => ({
    run_id: runId,
    event_id: `${runId}/migrate-${r.startMs}`,
    parent_id: '',
    kind: 'migrate',
    node: r.fromId,
    start_ms: r.startMs,
    end_ms: r.endMs,
    status: 'ok',
    detail: JSON.stringify({
      name: 'migrate', protocol: r.protocol, from: r.fromId, to: r.toId, slots: formatRange(slots), keys: r.keysMoved,
      bytes: r.migrationBytes, batches: r.counters.batches ?? 0, write_ratio: r.writeRatio, data_bytes: r.dataBytes, windows: r.windows,
      client_extra_pct: r.clientExtraPct, server_extra_pct: r.serverExtraPct, downtime_ms: r.downtimeMs, before: r.before, during: r.during,
      counters: r.counters,
    }),
  }));
}
