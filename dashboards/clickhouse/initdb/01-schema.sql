-- GENERATED from telemetry/schema.ts by `npm run dashboards`: do not edit.
-- The ClickHouse image runs this at first start (/docker-entrypoint-initdb.d); writers
-- also create the schema themselves (IF NOT EXISTS), so either order works.

CREATE TABLE IF NOT EXISTS runs (
  run_id LowCardinality(String),
  started_ms UInt64,
  started DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(toInt64(started_ms), 'UTC'),
  label String,
  detail String
)
ENGINE = MergeTree
ORDER BY (run_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS traffic (
  run_id LowCardinality(String),
  ts_ms UInt64,
  ts DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(toInt64(ts_ms), 'UTC'),
  node LowCardinality(String),
  peer LowCardinality(String),
  channel LowCardinality(String),
  direction LowCardinality(String),
  msg_type LowCardinality(String),
  source LowCardinality(String),
  bytes UInt64,
  messages UInt64,
  wire_bytes UInt64,
  retransmits UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (run_id, ts_ms, node, channel, direction, msg_type, peer)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS events (
  run_id LowCardinality(String),
  event_id String,
  parent_id String,
  kind LowCardinality(String),
  node LowCardinality(String),
  start_ms UInt64,
  end_ms UInt64,
  started DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(toInt64(start_ms), 'UTC'),
  status LowCardinality(String),
  detail String
)
ENGINE = ReplacingMergeTree(end_ms)
ORDER BY (run_id, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ops (
  run_id LowCardinality(String),
  ts_ms UInt64,
  ts DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(toInt64(ts_ms), 'UTC'),
  op LowCardinality(String),
  ops UInt64,
  errors UInt64,
  redirects UInt64,
  hits UInt64,
  misses UInt64,
  p50_us UInt64,
  p99_us UInt64,
  p999_us UInt64,
  max_us UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (run_id, ts_ms, op)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS traffic_1s (
  run_id LowCardinality(String),
  second DateTime('UTC'),
  node LowCardinality(String),
  peer LowCardinality(String),
  channel LowCardinality(String),
  direction LowCardinality(String),
  msg_type LowCardinality(String),
  source LowCardinality(String),
  bytes UInt64,
  messages UInt64,
  wire_bytes UInt64,
  retransmits UInt64,
  buckets UInt64
)
ENGINE = SummingMergeTree((bytes, messages, wire_bytes, retransmits, buckets))
PARTITION BY toYYYYMMDD(second)
ORDER BY (run_id, second, node, channel, direction, msg_type, peer, source)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ops_1s (
  run_id LowCardinality(String),
  second DateTime('UTC'),
  op LowCardinality(String),
  ops UInt64,
  errors UInt64,
  redirects UInt64,
  hits UInt64,
  misses UInt64,
  max_p50_us SimpleAggregateFunction(max, UInt64),
  max_p99_us SimpleAggregateFunction(max, UInt64),
  max_p999_us SimpleAggregateFunction(max, UInt64),
  max_us SimpleAggregateFunction(max, UInt64),
  buckets UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMMDD(second)
ORDER BY (run_id, second, op)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_1s_mv TO traffic_1s AS
SELECT run_id, toDateTime(intDiv(ts_ms, 1000), 'UTC') AS second, node, peer, channel, direction, msg_type, source,
  sum(bytes) AS bytes, sum(messages) AS messages, sum(wire_bytes) AS wire_bytes, sum(retransmits) AS retransmits, count() AS buckets
FROM traffic GROUP BY run_id, second, node, peer, channel, direction, msg_type, source;

CREATE MATERIALIZED VIEW IF NOT EXISTS ops_1s_mv TO ops_1s AS
SELECT run_id, toDateTime(intDiv(ts_ms, 1000), 'UTC') AS second, op,
  sum(ops) AS ops, sum(errors) AS errors, sum(redirects) AS redirects, sum(hits) AS hits, sum(misses) AS misses,
  max(p50_us) AS max_p50_us, max(p99_us) AS max_p99_us, max(p999_us) AS max_p999_us, max(max_us) AS max_us, count() AS buckets
FROM ops GROUP BY run_id, second, op;
