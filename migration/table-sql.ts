import { queryRows, type Store } from '../telemetry/store.js';
import type { CellWindows, TableFigures } from './table.js';

/**
 * The migration table as SQL on the store's rows, one row per `migrate` event whose
 * detail carries the cell's windows (what `kvnetlab run migration` and `kvnetlab
 * migration-table` write, event-rows.ts):
 *
 *   events  kind 'migrate': protocol, write_ratio, data_bytes, windows {beforeFrom,
 *           beforeTo, from, to, migrationTo} (whole 100 ms buckets, table.ts cellWindows)
 *   traffic source 'proxy': client bytes before / during, migration bytes during + 300 ms
 *   ops     the load's 100 ms rows: successful operations before / during, their p50/p99
 *
 * client-side extra % = (client during - client before / ok before x ok during) / that
 * server-side extra % = (migration bytes - data_bytes) / data_bytes
 * The byte columns, the operation counts and the throughputs are exactly the in-process
 * figures of table.ts (same windows, same rows: tested on one run). Latency percentiles
 * cannot be had from 100 ms buckets (a bucket's p99 says nothing about the window's), so
 * p50 / p99 and the ms-exact downtime are the event detail's, measured in process;
 * `downtime_buckets_ms` is the longest run of 100 ms ops buckets without a successful
 * operation (a lower bound of the downtime, within 200 ms of it).
 */
export function migrationTableSql(runIds: string[]): string {
  return migrationTableSqlIn(runIds.map((r) => `'${r.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ') || "''");
}

/** The same with the run ids as an SQL list as given (Grafana's `${run:singlequote}`: dashboards/dashboards.ts). */
export function migrationTableSqlIn(ids: string): string {
  const w = (f: keyof CellWindows) => `toInt64(JSONExtractInt(detail, 'windows', '${f}'))`;
  return `
WITH e AS (
  SELECT run_id, event_id, start_ms, end_ms, JSONExtractString(detail, 'protocol') AS protocol,
         JSONExtractFloat(detail, 'write_ratio') AS write_ratio, toInt64(JSONExtractInt(detail, 'data_bytes')) AS data_bytes,
         JSONExtractFloat(detail, 'downtime_ms') AS downtime_ms, JSONExtractRaw(detail, 'before') AS lat_before, JSONExtractRaw(detail, 'during') AS lat_during,
         ${w('beforeFrom')} AS bf, ${w('beforeTo')} AS bt, ${w('from')} AS df, ${w('to')} AS dt, ${w('migrationTo')} AS mt
  FROM events FINAL
  WHERE kind = 'migrate' AND parent_id = '' AND status = 'ok' AND run_id IN (${ids}) AND JSONHas(detail, 'windows')
),
b AS (
  SELECT e.run_id AS run_id, e.event_id AS event_id,
         sumIf(t.bytes, t.channel = 'client' AND toInt64(t.ts_ms) >= e.bf AND toInt64(t.ts_ms) < e.bt) AS client_before,
         sumIf(t.bytes, t.channel = 'client' AND toInt64(t.ts_ms) >= e.df AND toInt64(t.ts_ms) < e.dt) AS client_during,
         sumIf(t.bytes, t.channel = 'migration' AND toInt64(t.ts_ms) >= e.df AND toInt64(t.ts_ms) < e.mt) AS migration_bytes
  FROM e JOIN traffic AS t ON t.run_id = e.run_id
  WHERE t.source = 'proxy' AND toInt64(t.ts_ms) >= e.bf AND toInt64(t.ts_ms) < e.mt
  GROUP BY run_id, event_id
),
o AS (
  SELECT e.run_id AS run_id, e.event_id AS event_id,
         sumIf(x.ops - x.errors, toInt64(x.ts_ms) >= e.bf AND toInt64(x.ts_ms) < e.bt) AS ok_before,
         sumIf(x.ops - x.errors, toInt64(x.ts_ms) >= e.df AND toInt64(x.ts_ms) < e.dt) AS ok_during
  FROM e JOIN ops AS x ON x.run_id = e.run_id
  WHERE toInt64(x.ts_ms) >= e.bf AND toInt64(x.ts_ms) < e.dt
  GROUP BY run_id, event_id
),
d AS (
  SELECT run_id, event_id,
         arrayMax(arrayDifference(arrayConcat([any(df) - 100], arraySort(groupArrayIf(ts, ok > 0)), [any(dt)]))) - 100 AS downtime_buckets_ms
  FROM (
    SELECT e.run_id AS run_id, e.event_id AS event_id, any(e.df) AS df, any(e.dt) AS dt, toInt64(x.ts_ms) AS ts, sum(x.ops - x.errors) AS ok
    FROM e JOIN ops AS x ON x.run_id = e.run_id
    WHERE toInt64(x.ts_ms) >= e.df AND toInt64(x.ts_ms) < e.dt
    GROUP BY run_id, event_id, ts
  )
  GROUP BY run_id, event_id
)
SELECT e.run_id AS run_id, e.event_id AS event_id, e.protocol AS protocol, e.write_ratio AS write_ratio,
       e.end_ms - e.start_ms AS migration_ms, e.data_bytes AS data_bytes,
       b.client_before AS client_before, b.client_during AS client_during, b.migration_bytes AS migration_bytes,
       o.ok_before AS ok_before, o.ok_during AS ok_during,
       if(o.ok_before > 0, b.client_before / o.ok_before * o.ok_during, 0) AS client_expected,
       if(client_expected > 0, 100 * (b.client_during - client_expected) / client_expected, 0) AS client_extra_pct,
       if(e.data_bytes > 0, 100 * (b.migration_bytes - e.data_bytes) / e.data_bytes, 0) AS server_extra_pct,
       b.client_during - client_expected AS client_extra_bytes,
       e.downtime_ms AS downtime_ms, d.downtime_buckets_ms AS downtime_buckets_ms,
       o.ok_before * 1000 / (e.bt - e.bf) AS tput_before, o.ok_during * 1000 / (e.dt - e.df) AS tput_during,
       JSONExtractFloat(e.lat_before, 'p50') AS p50_before, JSONExtractFloat(e.lat_during, 'p50') AS p50_during,
       JSONExtractFloat(e.lat_before, 'p99') AS p99_before, JSONExtractFloat(e.lat_during, 'p99') AS p99_during
FROM e
JOIN b ON b.run_id = e.run_id AND b.event_id = e.event_id
LEFT JOIN o ON o.run_id = e.run_id AND o.event_id = e.event_id
LEFT JOIN d ON d.run_id = e.run_id AND d.event_id = e.event_id
ORDER BY e.start_ms`;
}

/** One row of migrationTableSql, numbers as numbers. */
export interface MigrationSqlRow extends TableFigures {
  runId: string;
  eventId: string;
  dataBytes: number;
  clientBefore: number;
  clientDuring: number;
  migrationBytes: number;
  okBefore: number;
  okDuring: number;
  /** Client bytes during the move beyond ops x bytes per op before it. */
  clientExtraBytes: number;
  /** The longest run of 100 ms ops buckets without a successful operation: a lower bound of downtimeMs (the event detail's). */
  downtimeBucketsMs: number;
}

const n = (v: unknown) => Number(v ?? 0);

export async function migrationTableFromStore(store: Pick<Store, 'query'>, runIds: string[]): Promise<MigrationSqlRow[]> {
  if (runIds.length === 0) return [];
  const rows = await queryRows(store, migrationTableSql(runIds));
  return rows.map((r) => ({
    runId: String(r.run_id), eventId: String(r.event_id), protocol: String(r.protocol), writeRatio: n(r.write_ratio),
    migrationMs: n(r.migration_ms), dataBytes: n(r.data_bytes), clientBefore: n(r.client_before), clientDuring: n(r.client_during),
    migrationBytes: n(r.migration_bytes), okBefore: n(r.ok_before), okDuring: n(r.ok_during),
    clientExtraBytes: n(r.client_extra_bytes), clientExtraPct: n(r.client_extra_pct), serverExtraPct: n(r.server_extra_pct),
    downtimeMs: n(r.downtime_ms), downtimeBucketsMs: n(r.downtime_buckets_ms),
    before: { tput: n(r.tput_before), p50: n(r.p50_before), p99: n(r.p99_before) },
    during: { tput: n(r.tput_during), p50: n(r.p50_during), p99: n(r.p99_during) },
  }));
}

/**
 * Migration-channel bytes of every `migrate` event of a run (the event detail's `bytes`,
 * which the controller leaves null: the coordinator never sees MIGRATE's payload): the
 * proxies' rows from the event's first 100 ms bucket to 300 ms after its last one, as
 * table.ts cellWindows counts them.
 */
export function migrateEventBytesSql(runId: string): string {
  const id = `'${runId.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `
SELECT e.event_id AS event_id, sum(t.bytes) AS bytes
FROM (SELECT run_id, event_id, start_ms, end_ms FROM events FINAL WHERE run_id = ${id} AND kind = 'migrate' AND parent_id = '' AND end_ms > 0) AS e
JOIN traffic AS t ON t.run_id = e.run_id
WHERE t.source = 'proxy' AND t.channel = 'migration'
  AND t.ts_ms >= intDiv(e.start_ms, 100) * 100 AND t.ts_ms < intDiv(e.end_ms + 99, 100) * 100 + 300
GROUP BY event_id`;
}

export async function migrateEventBytes(store: Pick<Store, 'query'>, runId: string): Promise<Map<string, number>> {
  return new Map((await queryRows(store, migrateEventBytesSql(runId))).map((r) => [String(r.event_id), n(r.bytes)]));
}
