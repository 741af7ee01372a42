import type { AnnotationSpec, DashboardSpec, VariableSpec } from './grafana.js';

/*
 * The kvnetlab dashboards: every panel's SQL runs on the store's schema
 * (telemetry/schema.ts). Conventions:
 *   - traffic is read from the raw 100 ms table (source 'proxy'), as bytes SENT by a node:
 *     each byte is counted once, by the proxy of the node it was accepted for, so a node's
 *     bus and replication bytes on links it dialled are the peer's `received` rows
 *     (proxy/README.md): sender = if(direction = 'sent', node, peer), and clients' bytes
 *     (received on the client channel) are not sent by a node;
 *     "sent by node X" is what the paper plots; bucketed by ${step_ms};
 *   - variables are always written with an explicit format (`${run:singlequote}`), so a
 *     value is quoted exactly once whether one or several are selected;
 *   - events are read with FINAL (ReplacingMergeTree(end_ms) keeps the last row).
 */

const RUN_SQL = 'SELECT run_id FROM runs GROUP BY run_id ORDER BY min(started_ms) DESC';
const runVar = (multi = false): VariableSpec => ({ name: 'run', label: 'run', kind: 'query', sql: RUN_SQL, multi, includeAll: multi });
const nodeVar: VariableSpec = {
  name: 'node',
  label: 'node',
  kind: 'query',
  sql: "SELECT DISTINCT node FROM traffic WHERE run_id IN (${run:singlequote}) AND source = 'proxy' ORDER BY node",
  multi: true,
  includeAll: true,
};
const channelVar: VariableSpec = { name: 'channel', label: 'channel', kind: 'custom', values: ['bus', 'replication', 'client', 'migration'], multi: true, includeAll: true };
const stepVar: VariableSpec = { name: 'step_ms', label: 'resolution (ms)', kind: 'custom', values: ['1000', '100'] };

/** Bucket start and bytes/s of a bucket of ${step_ms}. */
const BUCKET = 'toStartOfInterval(ts, toIntervalMillisecond(${step_ms})) AS time';
const RATE = 'sum(bytes) * 1000 / ${step_ms}';
/** Rows of bytes a node sent: its own `sent` rows, and its peers' `received` rows on node-to-node channels. */
export const BY_A_NODE = "(direction = 'sent' OR channel != 'client')";
/** The node that sent a row's bytes. */
export const SENDER = "if(direction = 'sent', node, peer)";
const SENT = `run_id IN (\${run:singlequote}) AND $__timeFilter(ts) AND source = 'proxy' AND ${BY_A_NODE}`;

/** Bytes/s sent per bucket, one series per value of `by` (an expression `... AS name`, or a column). */
function sentSeries(by: string, where = ''): string {
  const name = / AS (\w+)$/.exec(by)?.[1] ?? by;
  return `SELECT ${BUCKET}, ${by}, ${RATE} AS bytes_per_s
FROM traffic
WHERE ${SENT}${where}
GROUP BY time, ${name}
ORDER BY time`;
}

/** Events as regions (start to end) on every time panel; phases as a second, toggleable layer. */
const eventRegions = (where: string, name: string, color: string, needs?: AnnotationSpec['needs']): AnnotationSpec => ({
  name,
  color,
  needs,
  sql: `SELECT started AS time, fromUnixTimestamp64Milli(toInt64(if(end_ms = 0, start_ms, end_ms)), 'UTC') AS timeEnd,
  concat(kind, if(node = '', '', concat(' ', substring(node, 1, 8))), ' ', status, if(JSONHas(detail, 'name'), concat(' ', JSONExtractString(detail, 'name')), '')) AS text,
  kind AS tags
FROM events FINAL
WHERE run_id IN (\${run:singlequote}) AND ${where} AND $__timeFilter(started)
ORDER BY time`,
});
const EVENT_LAYERS = [eventRegions("parent_id = ''", 'events', 'red'), eventRegions("parent_id != ''", 'phases', 'orange')];

const EVENTS_TABLE = `SELECT started AS start, kind, substring(node, 1, 8) AS node, status, if(end_ms = 0, 0, end_ms - start_ms) AS duration_ms,
  if(parent_id = '', 'event', 'phase') AS level, detail
FROM events FINAL
WHERE run_id IN (\${run:singlequote}) AND $__timeFilter(started)
ORDER BY start_ms, level`;

const network: DashboardSpec = {
  uid: 'kvnetlab-network',
  title: 'kvnetlab: network over time',
  description: 'Bytes per second sent by each node, stacked by channel, with maintenance events as regions (telemetry/README.md).',
  file: 'network-over-time.json',
  tags: ['kvnetlab'],
  variables: [runVar(), nodeVar, channelVar, stepVar],
  annotations: EVENT_LAYERS,
  panels: [
    {
      title: 'Bytes/s sent by $node, by channel',
      kind: 'timeseries',
      unit: 'binBps',
      stacked: true,
      repeat: 'node',
      w: 8,
      sql: sentSeries('channel', ` AND ${SENDER} IN (\${node:singlequote}) AND channel IN (\${channel:singlequote})`),
    },
    {
      title: 'Bytes/s sent, all selected nodes, by channel',
      kind: 'timeseries',
      unit: 'binBps',
      stacked: true,
      sql: sentSeries('channel', ` AND ${SENDER} IN (\${node:singlequote}) AND channel IN (\${channel:singlequote})`),
    },
    {
      title: 'Cluster bus bytes/s by message type',
      kind: 'timeseries',
      unit: 'binBps',
      stacked: true,
      sql: sentSeries('msg_type', ` AND channel = 'bus' AND ${SENDER} IN (\${node:singlequote})`),
    },
    {
      title: 'Bytes/s sent per node (selected channels)',
      kind: 'timeseries',
      unit: 'binBps',
      sql: sentSeries(`substring(${SENDER}, 1, 8) AS node_id`, ` AND ${SENDER} IN (\${node:singlequote}) AND channel IN (\${channel:singlequote})`),
    },
    { title: 'Events and phases in the time range', kind: 'table', w: 24, sql: EVENTS_TABLE },
  ],
};

/*
 * Per-event overhead (DESIGN.md, "Measurement definitions"): bytes sent in the event's
 * window minus the run's baseline rate over the same length, per channel. The baseline is
 * the run's bytes outside every event window divided by the seconds outside them. Windows
 * are widened to whole 100 ms buckets, so bytes and baseline cover the same time.
 */
export const PER_EVENT_OVERHEAD = `WITH
  ev AS (
    SELECT run_id, event_id, kind, node, status, start_ms, end_ms,
      intDiv(start_ms, 100) * 100 AS w0, intDiv(end_ms + 99, 100) * 100 AS w1
    FROM events FINAL
    WHERE run_id IN (\${run:singlequote}) AND parent_id = '' AND end_ms > 0 AND kind != 'capture'),
  b AS (
    SELECT run_id, ts_ms, channel, sum(bytes) AS bytes
    FROM traffic
    WHERE run_id IN (\${run:singlequote}) AND source = 'proxy' AND ${BY_A_NODE}
    GROUP BY run_id, ts_ms, channel),
  win AS (SELECT run_id, groupArray((w0, w1)) AS w, sum(w1 - w0) AS busy_ms FROM ev GROUP BY run_id),
  span AS (SELECT run_id, max(ts_ms) - min(ts_ms) + 100 AS span_ms FROM b GROUP BY run_id),
  base AS (
    SELECT b.run_id AS run_id, b.channel AS channel,
      sumIf(b.bytes, NOT arrayExists(x -> b.ts_ms >= x.1 AND b.ts_ms < x.2, win.w)) AS quiet_bytes,
      greatest(any(span.span_ms) - any(win.busy_ms), 100) / 1000 AS quiet_s,
      quiet_bytes / quiet_s AS rate
    FROM b LEFT JOIN win ON win.run_id = b.run_id INNER JOIN span ON span.run_id = b.run_id
    GROUP BY run_id, channel),
  inev AS (
    SELECT ev.event_id AS event_id, b.channel AS channel, sum(b.bytes) AS bytes
    FROM ev INNER JOIN b ON b.run_id = ev.run_id
    WHERE b.ts_ms >= ev.w0 AND b.ts_ms < ev.w1
    GROUP BY event_id, channel)
SELECT ev.run_id AS run, fromUnixTimestamp64Milli(toInt64(ev.start_ms), 'UTC') AS start, ev.kind AS kind,
  substring(ev.node, 1, 8) AS node, ev.status AS status, (ev.w1 - ev.w0) / 1000 AS window_s, base.channel AS channel,
  inev.bytes AS event_bytes, round(base.rate * window_s) AS baseline_bytes,
  toInt64(event_bytes) - toInt64(baseline_bytes) AS overhead_bytes, round(overhead_bytes / window_s) AS overhead_bytes_per_s
FROM ev INNER JOIN base ON base.run_id = ev.run_id
LEFT JOIN inev ON inev.event_id = ev.event_id AND inev.channel = base.channel
ORDER BY ev.start_ms, channel`;

/** The paper's runs, as the scenario runner names them in runs.detail.run_kind. */
const RUN_KINDS = ['baseline', 'no-patch', 'lp-pull', 'lp-push', 'cp-partial', 'cp-full'];

/** Warm-up seconds dropped at the start of each run (the paper drops 10 s). */
const warmupVar: VariableSpec = { name: 'warmup_s', label: 'warm-up dropped (s)', kind: 'custom', values: ['10', '0'] };

export const NETWORK_PER_RUN = `SELECT r.run_id AS run, r.label AS label, r.topology AS topology, r.memory_state AS memory_state,
  JSONExtractUInt(r.d, 'memory_mib') AS memory_mib, r.run_kind AS run_kind,
  t.seconds AS seconds, t.nodes AS nodes,
  round(t.total / t.seconds) AS bytes_per_s, round(t.total / t.seconds / t.nodes) AS bytes_per_s_per_node,
  round(t.bus / t.seconds) AS bus_bytes_per_s, round(t.replication / t.seconds) AS replication_bytes_per_s,
  round(t.client / t.seconds) AS client_bytes_per_s, round(t.migration / t.seconds) AS migration_bytes_per_s
FROM (
  SELECT run_id, argMin(label, started_ms) AS label, min(started_ms) AS first_ms,
    argMin(detail, started_ms) AS d,
    JSONExtractString(d, 'topology_label') AS topology, JSONExtractString(d, 'run_kind') AS run_kind,
    if(JSONHas(d, 'memory_mib'), concat(toString(JSONExtractUInt(d, 'memory_mib')), ' MiB'), '-') AS memory_state
  FROM runs WHERE run_id IN (\${run:singlequote}) GROUP BY run_id) AS r
INNER JOIN (
  SELECT tr.run_id AS run_id, (max(tr.ts_ms) - min(tr.ts_ms) + 100) / 1000 AS seconds, uniqExact(tr.node) AS nodes, sum(tr.bytes) AS total,
    sumIf(tr.bytes, tr.channel = 'bus') AS bus, sumIf(tr.bytes, tr.channel = 'replication') AS replication,
    sumIf(tr.bytes, tr.channel = 'client') AS client, sumIf(tr.bytes, tr.channel = 'migration') AS migration
  FROM traffic AS tr INNER JOIN (SELECT run_id, min(started_ms) AS s0 FROM runs GROUP BY run_id) AS rs ON rs.run_id = tr.run_id
  WHERE tr.run_id IN (\${run:singlequote}) AND tr.source = 'proxy' AND (tr.direction = 'sent' OR tr.channel != 'client') AND tr.ts_ms >= rs.s0 + \${warmup_s} * 1000
  GROUP BY run_id) AS t ON t.run_id = r.run_id
ORDER BY topology, memory_mib, r.first_ms`;

const runs: DashboardSpec = {
  uid: 'kvnetlab-runs',
  title: 'kvnetlab: network per run and memory state',
  description: "The paper's Network-Line: average bytes/s sent per run (after the warm-up), by channel, topology, memory state and run kind (the scenario runner's runs.detail); and what each event cost on top of the run's baseline.",
  file: 'network-per-run.json',
  tags: ['kvnetlab'],
  time: { from: 'now-7d', to: 'now' },
  variables: [runVar(true), warmupVar],
  annotations: [],
  panels: [
    { title: 'Network per run (bytes/s sent, after the warm-up)', kind: 'table', w: 24, sql: NETWORK_PER_RUN },
    {
      title: 'Network-Line: KiB/s sent per node by topology and memory state, one column per run kind',
      kind: 'table',
      w: 24,
      description: "The scenario runner's run kinds (scenarios/network-overhead.yaml); runs without a kind (a manual session under up) are in `other`.",
      sql: `SELECT topology, memory_state, ${RUN_KINDS.map((k) => `round(avgIf(bytes_per_s_per_node, run_kind = '${k}') / 1024, 2) AS \`${k}\``).join(', ')},
  round(avgIf(bytes_per_s_per_node, run_kind NOT IN (${RUN_KINDS.map((k) => `'${k}'`).join(', ')})) / 1024, 2) AS other
FROM (${NETWORK_PER_RUN.replace(/\n/g, '\n  ')})
GROUP BY topology, memory_state, memory_mib
ORDER BY topology, memory_mib`,
    },
    {
      title: 'Bytes/s sent per run, by channel',
      kind: 'barchart',
      unit: 'binBps',
      stacked: true,
      w: 24,
      sql: `SELECT run, bus_bytes_per_s AS bus, replication_bytes_per_s AS replication, client_bytes_per_s AS client, migration_bytes_per_s AS migration
FROM (${NETWORK_PER_RUN.replace(/\n/g, '\n  ')})`,
    },
    { title: 'Per-event overhead (bytes in the window minus the run baseline, per channel)', kind: 'table', w: 24, h: 10, sql: PER_EVENT_OVERHEAD },
  ],
};

const load: DashboardSpec = {
  uid: 'kvnetlab-load',
  title: 'kvnetlab: throughput and latency',
  description: "What the load generator saw (the ops table; latency from the intended start), with the same events as the network views.",
  file: 'throughput-latency.json',
  tags: ['kvnetlab'],
  variables: [runVar(), { name: 'op', label: 'operation', kind: 'query', sql: 'SELECT DISTINCT op FROM ops WHERE run_id IN (${run:singlequote}) ORDER BY op', multi: true, includeAll: true }, stepVar],
  annotations: EVENT_LAYERS,
  panels: [
    {
      title: 'Throughput (ops/s) by operation',
      kind: 'timeseries',
      unit: 'ops',
      stacked: true,
      sql: `SELECT toStartOfInterval(ts, toIntervalMillisecond(\${step_ms})) AS time, op, sum(ops) * 1000 / \${step_ms} AS ops_per_s
FROM ops
WHERE run_id IN (\${run:singlequote}) AND $__timeFilter(ts) AND op IN (\${op:singlequote})
GROUP BY time, op
ORDER BY time`,
    },
    {
      title: 'Latency from the intended start: p50, p99, p99.9 (highest 100 ms bucket of each step)',
      kind: 'timeseries',
      unit: 'µs',
      sql: `SELECT toStartOfInterval(ts, toIntervalMillisecond(\${step_ms})) AS time, op, max(p50_us) AS p50, max(p99_us) AS p99, max(p999_us) AS p999
FROM ops
WHERE run_id IN (\${run:singlequote}) AND $__timeFilter(ts) AND op IN (\${op:singlequote})
GROUP BY time, op
ORDER BY time`,
    },
    {
      title: 'Errors and MOVED/ASK redirects per second',
      kind: 'timeseries',
      sql: `SELECT toStartOfInterval(ts, toIntervalMillisecond(\${step_ms})) AS time, sum(errors) * 1000 / \${step_ms} AS errors_per_s, sum(redirects) * 1000 / \${step_ms} AS redirects_per_s
FROM ops
WHERE run_id IN (\${run:singlequote}) AND $__timeFilter(ts) AND op IN (\${op:singlequote})
GROUP BY time
ORDER BY time`,
    },
    {
      title: 'Bytes/s sent by the cluster, by channel (same time axis)',
      kind: 'timeseries',
      unit: 'binBps',
      stacked: true,
      sql: sentSeries('channel'),
    },
    {
      title: 'Operations in the time range',
      kind: 'table',
      w: 24,
      h: 6,
      sql: `SELECT op, sum(ops) AS ops, sum(errors) AS errors, sum(redirects) AS redirects, sum(hits) AS hits, sum(misses) AS misses,
  max(p99_us) AS max_p99_us, max(max_us) AS max_us
FROM ops
WHERE run_id IN (\${run:singlequote}) AND $__timeFilter(ts) AND op IN (\${op:singlequote})
GROUP BY op
ORDER BY op`,
    },
  ],
};

/** Live patching (the shared contract): one `live-patch` event per patch, one `apply` phase per node. */
export const UPDATE_LAG = `SELECT run_id AS run, started AS start, JSONExtractString(detail, 'patch_id') AS patch, JSONExtractUInt(detail, 'version') AS version,
  JSONExtractString(detail, 'method') AS method, status, JSONExtractUInt(detail, 'bytes') AS patch_bytes,
  JSONExtractFloat(detail, 'lag_ms') AS update_lag_ms, end_ms - start_ms AS event_ms
FROM events FINAL
WHERE run_id IN (\${run:singlequote}) AND kind = 'live-patch' AND parent_id = ''
ORDER BY start_ms`;

const livePatch: DashboardSpec = {
  uid: 'kvnetlab-live-patch',
  title: 'kvnetlab: live patching',
  description: 'Update lag per patch (last node applied - first node registered) and per node, and the bus bytes the patch messages cost.',
  file: 'live-patching.json',
  tags: ['kvnetlab'],
  time: { from: 'now-6h', to: 'now' },
  variables: [runVar(true), stepVar],
  annotations: [eventRegions("kind IN ('live-patch', 'apply')", 'patches', 'purple', 'live-patch')],
  panels: [
    { title: 'Update lag per patch', kind: 'table', w: 24, sql: UPDATE_LAG, needs: 'live-patch' },
    {
      title: 'Update lag per patch (ms)',
      kind: 'barchart',
      unit: 'ms',
      needs: 'live-patch',
      sql: `SELECT concat(JSONExtractString(detail, 'method'), ' v', toString(JSONExtractUInt(detail, 'version'))) AS patch, JSONExtractFloat(detail, 'lag_ms') AS update_lag_ms
FROM events FINAL
WHERE run_id IN (\${run:singlequote}) AND kind = 'live-patch' AND parent_id = '' AND status = 'ok'
ORDER BY start_ms`,
    },
    {
      title: 'Applied per node: ms after the first node registered the patch',
      kind: 'table',
      needs: 'live-patch',
      sql: `SELECT JSONExtractString(e.detail, 'patch_id') AS patch, JSONExtractString(e.detail, 'method') AS method, substring(p.node, 1, 8) AS node,
  toInt64(p.start_ms) - toInt64(e.first_ms) AS registered_after_ms, toInt64(p.end_ms) - toInt64(e.first_ms) AS applied_after_ms, p.status AS status
FROM (SELECT parent_id, node, start_ms, end_ms, status FROM events FINAL WHERE run_id IN (\${run:singlequote}) AND kind = 'apply') AS p
INNER JOIN (
  SELECT event_id, detail, JSONExtractUInt(detail, 'first_registered_ms') AS first_ms
  FROM events FINAL WHERE run_id IN (\${run:singlequote}) AND kind = 'live-patch' AND parent_id = '') AS e ON e.event_id = p.parent_id
ORDER BY p.parent_id, applied_after_ms`,
    },
    {
      title: 'Bus bytes/s of PATCH and PATCH_REQUEST messages',
      kind: 'timeseries',
      unit: 'binBps',
      stacked: true,
      w: 24,
      needs: 'live-patch',
      sql: sentSeries('msg_type', ` AND channel = 'bus' AND msg_type IN ('patch', 'patch-request')`),
    },
  ],
};

/** Migrations: event kind `migrate`, detail {protocol, from, to, slots, keys}; bytes on channel `migration`. */
export const MIGRATIONS = `SELECT m.run_id AS run, m.started AS start, JSONExtractString(m.detail, 'protocol') AS protocol,
  substring(JSONExtractString(m.detail, 'from'), 1, 8) AS from_node, substring(JSONExtractString(m.detail, 'to'), 1, 8) AS to_node,
  ifNull(nullIf(JSONExtractString(m.detail, 'slots'), ''), JSONExtractRaw(m.detail, 'slots')) AS slots, JSONExtractUInt(m.detail, 'keys') AS keys, m.status AS status,
  (m.end_ms - m.start_ms) / 1000 AS seconds, t.migration_bytes AS migration_bytes, t.client_bytes AS client_bytes,
  if(keys = 0, 0, round(migration_bytes / keys)) AS bytes_per_key
FROM (
  SELECT run_id, event_id, started, start_ms, end_ms, status, detail
  FROM events FINAL WHERE run_id IN (\${run:singlequote}) AND kind = 'migrate' AND parent_id = '' AND end_ms > 0) AS m
LEFT JOIN (
  SELECT e.event_id AS event_id, sumIf(tr.bytes, tr.channel = 'migration') AS migration_bytes, sumIf(tr.bytes, tr.channel = 'client') AS client_bytes
  FROM (SELECT event_id, run_id, start_ms, end_ms FROM events FINAL WHERE run_id IN (\${run:singlequote}) AND kind = 'migrate' AND parent_id = '' AND end_ms > 0) AS e
  INNER JOIN traffic AS tr ON tr.run_id = e.run_id
  WHERE tr.source = 'proxy' AND (tr.direction = 'sent' OR tr.channel != 'client') AND tr.ts_ms + 100 > e.start_ms AND tr.ts_ms < e.end_ms
  GROUP BY event_id) AS t ON t.event_id = m.event_id
ORDER BY m.start_ms`;

const migration: DashboardSpec = {
  uid: 'kvnetlab-migration',
  title: 'kvnetlab: slot migration',
  description: "Each migration (protocol, source, destination, slots, keys) with the bytes it moved on the 'migration' channel, and the channel over time.",
  file: 'migration.json',
  tags: ['kvnetlab'],
  time: { from: 'now-6h', to: 'now' },
  variables: [runVar(true), stepVar],
  annotations: [eventRegions("kind = 'migrate'", 'migrations', 'blue', 'migrate')],
  panels: [
    { title: 'Migrations', kind: 'table', w: 24, sql: MIGRATIONS, needs: 'migrate' },
    {
      title: "Bytes/s on the 'migration' channel per node",
      kind: 'timeseries',
      unit: 'binBps',
      stacked: true,
      needs: 'migrate',
      sql: sentSeries(`substring(${SENDER}, 1, 8) AS node_id`, " AND channel = 'migration'"),
    },
    {
      title: 'Per protocol: migrations, keys, bytes per key',
      kind: 'table',
      needs: 'migrate',
      sql: `SELECT protocol, count() AS migrations, sum(keys) AS keys_moved, sum(migration_bytes) AS bytes_moved, sum(client_bytes) AS client_bytes_in_windows,
  if(keys_moved = 0, 0, round(bytes_moved / keys_moved)) AS avg_bytes_per_key, round(avg(seconds), 3) AS avg_seconds
FROM (${MIGRATIONS.replace(/\n/g, '\n  ')})
GROUP BY protocol
ORDER BY protocol`,
    },
  ],
};

/** Live view: Prometheus scrapes every process' /metrics (telemetry/METRICS.md) while a run goes. */
const live: DashboardSpec = {
  uid: 'kvnetlab-live',
  title: 'kvnetlab: live (Prometheus)',
  description: 'Bytes/s per node and channel from the proxies, node commands, store health: while a run is going (Prometheus, dashboards/prometheus/prometheus.yml).',
  file: 'live.json',
  tags: ['kvnetlab'],
  refresh: '5s',
  time: { from: 'now-5m', to: 'now' },
  variables: [],
  annotations: [],
  panels: [
    {
      title: "Bytes/s through each node's proxy (both directions), by channel",
      description: 'The proxy metrics have no peer label, so bytes sent by a node on links it dialled cannot be told apart here: this is all its proxy relayed. The ClickHouse dashboards have the sent-by-node view.',
      kind: 'timeseries',
      unit: 'binBps',
      stacked: true,
      w: 24,
      promql: 'sum by (node, channel) (rate(kvnetlab_proxy_bytes_total[$__rate_interval]))',
      legend: '{{node}} {{channel}}',
    },
    { title: 'Bus messages/s by type', kind: 'timeseries', stacked: true, promql: 'sum by (msg_type) (rate(kvnetlab_proxy_bus_messages_total[$__rate_interval]))', legend: '{{msg_type}}' },
    { title: 'Commands/s per node', kind: 'timeseries', promql: 'sum by (node) (rate(kvnetlab_node_commands_total[$__rate_interval]))', legend: '{{node}}' },
    { title: 'Connections open at the proxies', kind: 'timeseries', promql: 'sum by (node, listener) (kvnetlab_proxy_connections)', legend: '{{node}} {{listener}}' },
    { title: 'Store rows dropped (should stay 0)', kind: 'stat', promql: 'sum(kvnetlab_store_rows_dropped_total) or vector(0)', legend: 'dropped' },
    { title: 'Events finished, by kind and status', kind: 'timeseries', promql: 'sum by (kind, status) (kvnetlab_controller_events_total)', legend: '{{kind}} {{status}}' },
    { title: 'Cluster state ok (per node)', kind: 'stat', promql: 'min by (node) (kvnetlab_node_cluster_state_ok)', legend: '{{node}}' },
  ],
};

export const DASHBOARDS: DashboardSpec[] = [network, runs, load, livePatch, migration, live];
