import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Prometheus metrics of the telemetry writers and the collector (documented in
 * telemetry/README.md "Metrics"). Created once per registry: a process with several
 * sinks shares them, labelled by table.
 */
function once<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export interface SinkMetrics {
  written: Counter<'table'>;
  stored: Counter<'table'>;
  dropped: Counter<'table' | 'reason'>;
  retries: Counter<'table'>;
  buffered: Gauge<'table'>;
  insertSeconds: Histogram<'table'>;
}

export function sinkMetrics(registry: Registry): SinkMetrics {
  const registers = [registry];
  return {
    written: once(registry, 'kvnetlab_store_rows_written_total', () =>
      new Counter({ name: 'kvnetlab_store_rows_written_total', help: 'rows handed to the telemetry sink by this process', labelNames: ['table'], registers })),
    stored: once(registry, 'kvnetlab_store_rows_stored_total', () =>
      new Counter({ name: 'kvnetlab_store_rows_stored_total', help: 'rows the store acknowledged', labelNames: ['table'], registers })),
    dropped: once(registry, 'kvnetlab_store_rows_dropped_total', () =>
      new Counter({
        name: 'kvnetlab_store_rows_dropped_total',
        help: 'rows the sink could not keep: overflow (buffer full), rejected (store refused the batch), closed (unsent at close)',
        labelNames: ['table', 'reason'],
        registers,
      })),
    retries: once(registry, 'kvnetlab_store_batch_retries_total', () =>
      new Counter({ name: 'kvnetlab_store_batch_retries_total', help: 'batch inserts retried after a transient failure', labelNames: ['table'], registers })),
    buffered: once(registry, 'kvnetlab_store_rows_buffered', () =>
      new Gauge({ name: 'kvnetlab_store_rows_buffered', help: 'rows waiting in the sink (pending + queued batches)', labelNames: ['table'], registers })),
    insertSeconds: once(registry, 'kvnetlab_store_insert_seconds', () =>
      new Histogram({
        name: 'kvnetlab_store_insert_seconds',
        help: 'time of one successful batch insert, request to acknowledgement',
        labelNames: ['table'],
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
        registers,
      })),
  };
}

export interface CollectorMetrics {
  rows: Counter<'table'>;
  batches: Counter<'table' | 'outcome'>;
  queries: Counter<'outcome'>;
  insertSeconds: Histogram<'table'>;
}

export function collectorMetrics(registry: Registry): CollectorMetrics {
  const registers = [registry];
  return {
    rows: once(registry, 'kvnetlab_collector_rows_inserted_total', () =>
      new Counter({ name: 'kvnetlab_collector_rows_inserted_total', help: 'rows inserted into chDB (a deduplicated retry counts again)', labelNames: ['table'], registers })),
    batches: once(registry, 'kvnetlab_collector_batches_total', () =>
      new Counter({ name: 'kvnetlab_collector_batches_total', help: 'POST /rows requests by outcome (ok, rejected, unavailable)', labelNames: ['table', 'outcome'], registers })),
    queries: once(registry, 'kvnetlab_collector_queries_total', () =>
      new Counter({ name: 'kvnetlab_collector_queries_total', help: 'POST /query requests by outcome', labelNames: ['outcome'], registers })),
    insertSeconds: once(registry, 'kvnetlab_collector_insert_seconds', () =>
      new Histogram({
        name: 'kvnetlab_collector_insert_seconds',
        help: 'chDB time of one batch insert',
        labelNames: ['table'],
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
        registers,
      })),
  };
}
