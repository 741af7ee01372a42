import type { TableName } from './rows.js';

/**
 * The ClickHouse schema, in ONE place: the DDL and the column documentation in
 * telemetry/README.md are both generated from the definitions below (a test checks the
 * README is up to date). Modelled on Akvorado (orchestrator/clickhouse/migrationsteps.go):
 * raw MergeTree tables ordered by time, and SummingMergeTree rollups fed by materialized
 * views, whose key columns are the ORDER BY and whose numeric columns are summed on merge.
 *
 * Exactly-once: every raw table and rollup keeps the ids of its last DEDUP_WINDOW insert
 * blocks (`non_replicated_deduplication_window`), and writers send each batch with
 * `insert_deduplication_token = <batch id>`. A retried batch (the first attempt failed
 * ambiguously: timeout, connection reset after the insert committed) is then dropped by
 * the engine, in the raw table AND in the rollups (the views' blocks inherit the token;
 * `deduplicate_blocks_in_dependent_materialized_views`, on by default since 24.x).
 * Needs ClickHouse >= 22.2 for the token; chDB 3.4 is engine 26.7.
 */
export const DEDUP_WINDOW = 10_000;

export interface ColumnDef {
  name: string;
  type: string;
  meaning: string;
  unit?: string;
  /** How to read the column's direction, when it has one. */
  direction?: string;
  /** Computed by the engine from other columns (writers do not send it). */
  materialized?: string;
}

export interface TableDef {
  name: string;
  about: string;
  engine: string;
  partitionBy?: string;
  orderBy: string[];
  columns: ColumnDef[];
  /** Rollups: the materialized view that fills this table from a raw one. */
  view?: { name: string; from: TableName; select: string };
}

const ms = (name: string, meaning: string): ColumnDef => ({ name, type: 'UInt64', meaning, unit: 'ms since the Unix epoch (UTC)' });
const at = (name: string, from: string): ColumnDef => ({
  name,
  type: "DateTime64(3, 'UTC')",
  meaning: `\`${from}\` as a date-time, for Grafana and time functions`,
  unit: 'ms precision',
  materialized: `fromUnixTimestamp64Milli(toInt64(${from}), 'UTC')`,
});
const lc = (name: string, meaning: string, direction?: string): ColumnDef => ({ name, type: 'LowCardinality(String)', meaning, direction });
const count = (name: string, meaning: string, unit: string, direction?: string): ColumnDef => ({ name, type: 'UInt64', meaning, unit, direction });

const SENT = 'relative to `node`: see `direction`';
const raw = `MergeTree`;
const dedup = `non_replicated_deduplication_window = ${DEDUP_WINDOW}`;

const trafficKeys = [
  lc('run_id', 'run the bytes belong to (runs.run_id)'),
  lc('node', 'node the bytes were sent or received by: 40-hex cluster node id, or host:port before the id is known'),
  lc('peer', 'the other end: a node name (bus, replication) or the client host:port'),
  lc('channel', '`client`, `replication`, `bus` or `migration`'),
  lc('direction', '`sent` = bytes the node wrote, `received` = bytes the node read', 'this column IS the direction'),
  lc('msg_type', 'cluster bus message type (PING, PONG, MEET, FAIL, ..., `unknown`); empty for other channels'),
  lc('source', 'instrument that counted: `proxy` or `capture`'),
];
const trafficSums = [
  count('bytes', 'application payload bytes (capture: TCP payload bytes)', 'bytes', SENT),
  count('messages', 'bus frames / packets counted; 0 where the channel has no framing', 'messages', SENT),
  count('wire_bytes', 'capture only: bytes on the wire including headers; 0 from the proxy', 'bytes', SENT),
  count('retransmits', 'capture only: retransmitted TCP segments; 0 from the proxy', 'segments', SENT),
];

const opsCounts = [
  count('ops', 'operations completed', 'operations'),
  count('errors', 'operations that ended in an error reply or a client error', 'operations'),
  count('redirects', 'MOVED / ASK replies followed', 'replies'),
  count('hits', 'reads that found the key', 'operations'),
  count('misses', 'reads that did not find the key', 'operations'),
];

export const TABLES: TableDef[] = [
  {
    name: 'runs',
    about: 'One row per measurement run (a scenario, a manual session under `up`, a benchmark).',
    engine: raw,
    orderBy: ['run_id'],
    columns: [
      lc('run_id', 'run identifier, referenced by every other table'),
      ms('started_ms', 'when the run started'),
      at('started', 'started_ms'),
      { name: 'label', type: 'String', meaning: 'human-readable name of the run' },
      { name: 'detail', type: 'String', meaning: 'JSON object: topology, flags, versions' },
    ],
  },
  {
    name: 'traffic',
    about:
      'Bytes of one (node, peer, channel, direction, message type) in one 100 ms bucket, as counted by the proxy or the capture. One row per non-empty bucket.',
    engine: raw,
    partitionBy: 'toYYYYMMDD(ts)',
    orderBy: ['run_id', 'ts_ms', 'node', 'channel', 'direction', 'msg_type', 'peer'],
    columns: [trafficKeys[0]!, ms('ts_ms', 'start of the 100 ms bucket (a multiple of 100)'), at('ts', 'ts_ms'), ...trafficKeys.slice(1), ...trafficSums],
  },
  {
    name: 'events',
    about:
      'A maintenance event or one of its phases. The controller writes a row when it starts (end_ms = 0, status `running`) and one when it ends; ReplacingMergeTree(end_ms) keeps the last, so read it with `FINAL` (or argMax by end_ms).',
    engine: 'ReplacingMergeTree(end_ms)',
    orderBy: ['run_id', 'event_id'],
    columns: [
      lc('run_id', 'run the event belongs to'),
      { name: 'event_id', type: 'String', meaning: 'unique id of the event or phase' },
      { name: 'parent_id', type: 'String', meaning: 'event_id of the event a phase belongs to; empty for a top-level event' },
      lc('kind', 'live-patch, cp-partial, cp-full, failover, migrate, snapshot, kill, restart, or a phase name'),
      lc('node', 'node the event or phase is about; empty for the whole cluster'),
      ms('start_ms', 'when the event or phase started'),
      ms('end_ms', 'when it ended; 0 while running'),
      at('started', 'start_ms'),
      lc('status', '`running`, `ok` or `failed`'),
      { name: 'detail', type: 'String', meaning: 'JSON object: parameters and outcome' },
    ],
  },
  {
    name: 'ops',
    about: 'What the load generator saw for one operation type in one 100 ms bucket.',
    engine: raw,
    partitionBy: 'toYYYYMMDD(ts)',
    orderBy: ['run_id', 'ts_ms', 'op'],
    columns: [
      lc('run_id', 'run the operations belong to'),
      ms('ts_ms', 'start of the 100 ms bucket'),
      at('ts', 'ts_ms'),
      lc('op', 'operation type (read, update, insert, scan, rmw, set, get, ...)'),
      ...opsCounts,
      count('p50_us', 'median latency from the intended start (coordinated omission corrected)', 'µs'),
      count('p99_us', '99th percentile latency', 'µs'),
      count('p999_us', '99.9th percentile latency', 'µs'),
      count('max_us', 'highest latency', 'µs'),
    ],
  },
  {
    name: 'traffic_1s',
    about:
      'traffic summed per second (SummingMergeTree, filled by the view `traffic_1s_mv`). Rows with the same key are summed when parts merge, so always query with sum() and GROUP BY.',
    engine: 'SummingMergeTree((bytes, messages, wire_bytes, retransmits, buckets))',
    partitionBy: 'toYYYYMMDD(second)',
    orderBy: ['run_id', 'second', 'node', 'channel', 'direction', 'msg_type', 'peer', 'source'],
    columns: [
      trafficKeys[0]!,
      { name: 'second', type: "DateTime('UTC')", meaning: 'the second the 100 ms buckets fall in', unit: 's' },
      ...trafficKeys.slice(1),
      ...trafficSums,
      count('buckets', 'traffic rows (100 ms buckets) summed into this row', 'rows'),
    ],
    view: {
      name: 'traffic_1s_mv',
      from: 'traffic',
      select: `SELECT run_id, toDateTime(intDiv(ts_ms, 1000), 'UTC') AS second, node, peer, channel, direction, msg_type, source,
  sum(bytes) AS bytes, sum(messages) AS messages, sum(wire_bytes) AS wire_bytes, sum(retransmits) AS retransmits, count() AS buckets
FROM traffic GROUP BY run_id, second, node, peer, channel, direction, msg_type, source`,
    },
  },
  {
    name: 'ops_1s',
    about:
      'ops summed per second (view `ops_1s_mv`). Percentiles do not sum: each `max_*` column keeps the highest 100 ms value of the second. The p99 of the whole second is at most `max_p99_us` (if no bucket has more than 1 % of its operations above its p99, the union has not either), so this is an upper bound; an exact p99 needs the raw histograms, which OpsRow does not carry. Query with sum() for counts and max() for the max_* columns.',
    engine: 'SummingMergeTree',
    partitionBy: 'toYYYYMMDD(second)',
    orderBy: ['run_id', 'second', 'op'],
    columns: [
      lc('run_id', 'run the operations belong to'),
      { name: 'second', type: "DateTime('UTC')", meaning: 'the second the 100 ms buckets fall in', unit: 's' },
      lc('op', 'operation type'),
      ...opsCounts,
      { name: 'max_p50_us', type: 'SimpleAggregateFunction(max, UInt64)', meaning: 'highest 100 ms median of the second', unit: 'µs' },
      { name: 'max_p99_us', type: 'SimpleAggregateFunction(max, UInt64)', meaning: 'highest 100 ms p99: an upper bound of the second\'s p99', unit: 'µs' },
      { name: 'max_p999_us', type: 'SimpleAggregateFunction(max, UInt64)', meaning: 'highest 100 ms p99.9', unit: 'µs' },
      { name: 'max_us', type: 'SimpleAggregateFunction(max, UInt64)', meaning: 'highest latency of the second (exact)', unit: 'µs' },
      count('buckets', 'ops rows (100 ms buckets) summed into this row', 'rows'),
    ],
    view: {
      name: 'ops_1s_mv',
      from: 'ops',
      select: `SELECT run_id, toDateTime(intDiv(ts_ms, 1000), 'UTC') AS second, op,
  sum(ops) AS ops, sum(errors) AS errors, sum(redirects) AS redirects, sum(hits) AS hits, sum(misses) AS misses,
  max(p50_us) AS max_p50_us, max(p99_us) AS max_p99_us, max(p999_us) AS max_p999_us, max(max_us) AS max_us, count() AS buckets
FROM ops GROUP BY run_id, second, op`,
    },
  },
];

export const RAW_TABLES: readonly TableName[] = ['runs', 'traffic', 'events', 'ops'];

export function isTableName(name: string): name is TableName {
  return (RAW_TABLES as readonly string[]).includes(name);
}

export function tableDef(name: string): TableDef {
  const t = TABLES.find((d) => d.name === name);
  if (!t) throw new Error(`no table ${name} in telemetry/schema.ts`);
  return t;
}

/** Columns a writer sends (everything but the materialized ones), in table order. */
export function writableColumns(table: TableName): string[] {
  return tableDef(table).columns.filter((c) => !c.materialized).map((c) => c.name);
}

function columnDdl(c: ColumnDef): string {
  return `  ${c.name} ${c.type}${c.materialized ? ` MATERIALIZED ${c.materialized}` : ''}`;
}

/** CREATE statements, tables before the views that read them; idempotent (IF NOT EXISTS). */
export function schemaStatements(): string[] {
  const out: string[] = [];
  for (const t of TABLES) {
    out.push(
      [
        `CREATE TABLE IF NOT EXISTS ${t.name} (\n${t.columns.map(columnDdl).join(',\n')}\n)`,
        `ENGINE = ${t.engine}`,
        t.partitionBy ? `PARTITION BY ${t.partitionBy}` : '',
        `ORDER BY (${t.orderBy.join(', ')})`,
        `SETTINGS ${dedup}`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }
  for (const t of TABLES) {
    if (t.view) out.push(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.view.name} TO ${t.name} AS\n${t.view.select}`);
  }
  return out;
}

/** The column tables of telemetry/README.md (between the schema markers). */
export function schemaMarkdown(): string {
  const parts: string[] = [];
  for (const t of TABLES) {
    parts.push(`### \`${t.name}\`\n`);
    parts.push(`${t.about}\n`);
    parts.push(
      `Engine \`${t.engine}\`${t.partitionBy ? `, partitioned by \`${t.partitionBy}\`` : ''}, ordered by \`(${t.orderBy.join(', ')})\`${
        t.view ? `; filled by the materialized view \`${t.view.name}\` from \`${t.view.from}\`` : ''
      }.\n`,
    );
    parts.push('| column | type | meaning | unit | direction |');
    parts.push('|---|---|---|---|---|');
    for (const c of t.columns) {
      const meaning = c.materialized ? `${c.meaning} (materialized: \`${c.materialized}\`)` : c.meaning;
      parts.push(`| \`${c.name}\` | \`${c.type}\` | ${meaning} | ${c.unit ?? ''} | ${c.direction ?? ''} |`);
    }
    parts.push('');
  }
  return parts.join('\n');
}
