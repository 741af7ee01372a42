import type { Histogram } from 'hdr-histogram-js';
import type { Recorder } from './stats.js';
import type { VerifyReport } from './verify.js';

/**
 * The end-of-run report in YCSB's text format (site.ycsb.measurements.exporter.
 * TextMeasurementsExporter: `[SECTION], Metric, value`). `[READ]` is latency from the
 * actual start as YCSB reports by default; `[Intended-READ]` is from the intended start,
 * as YCSB prints with measurement.interval=both. Redirects, retries and failures get
 * their own lines: never hidden.
 */
export interface LatencySummary {
  AverageLatency_us: number;
  MinLatency_us: number;
  MaxLatency_us: number;
  p50_us: number;
  p95_us: number;
  p99_us: number;
  p999_us: number;
}

export interface OpSummary {
  operations: number;
  errors: number;
  moved: number;
  ask: number;
  retries: number;
  hits: number;
  misses: number;
  /** Final error messages of failed operations, with counts. */
  error_messages: Record<string, number>;
  actual: LatencySummary;
  intended: LatencySummary;
}

export interface RunSummary {
  run_id: string;
  preset: string;
  mode: 'open' | 'closed';
  target_ops: number;
  runtime_ms: number;
  throughput_ops: number;
  operations: number;
  ops: Record<string, OpSummary>;
  load?: { records: number; errors: number; runtime_ms: number; used_memory: number };
  rows_written: number;
  verify?: VerifyReport;
}

function latency(h: Histogram): LatencySummary {
  const q = (p: number) => (h.totalCount ? h.getValueAtPercentile(p) : 0);
  return {
    AverageLatency_us: h.totalCount ? Math.round(h.mean * 100) / 100 : 0,
    MinLatency_us: h.totalCount ? h.minNonZeroValue : 0,
    MaxLatency_us: h.totalCount ? h.maxValue : 0,
    p50_us: q(50), p95_us: q(95), p99_us: q(99), p999_us: q(99.9),
  };
}

export function summarize(rec: Recorder, base: Omit<RunSummary, 'ops' | 'operations' | 'throughput_ops' | 'rows_written'>): RunSummary {
  const ops: Record<string, OpSummary> = {};
  let operations = 0;
  for (const [op, s] of rec.stats) {
    const t = s.total;
    operations += t.ops;
    ops[op] = {
      operations: t.ops, errors: t.errors, moved: t.moved, ask: t.ask, retries: t.retries, hits: t.hits, misses: t.misses,
      error_messages: Object.fromEntries(t.errorMessages),
      actual: latency(s.actual), intended: latency(s.intended),
    };
  }
  const throughput = operations / Math.max(base.runtime_ms / 1000, 1e-9);
  return { ...base, operations, throughput_ops: Math.round(throughput * 100) / 100, ops, rows_written: rec.rowsWritten };
}

export function formatText(s: RunSummary): string {
  const lines: string[] = [];
  const put = (section: string, metric: string, value: number | string) => lines.push(`[${section}], ${metric}, ${value}`);
  if (s.load) {
    put('LOAD', 'Records', s.load.records);
    put('LOAD', 'Errors', s.load.errors);
    put('LOAD', 'RunTime(ms)', Math.round(s.load.runtime_ms));
    put('LOAD', 'UsedMemory(bytes)', s.load.used_memory);
  }
  put('OVERALL', 'RunTime(ms)', Math.round(s.runtime_ms));
  put('OVERALL', 'Throughput(ops/sec)', s.throughput_ops);
  put('OVERALL', 'Mode', s.mode === 'open' ? `open loop, target ${s.target_ops} ops/s` : 'closed loop');
  let moved = 0, ask = 0, retries = 0, errors = 0;
  for (const [op, o] of Object.entries(s.ops)) {
    moved += o.moved; ask += o.ask; retries += o.retries; errors += o.errors;
    const lat = (section: string, l: LatencySummary) => {
      put(section, 'Operations', o.operations);
      put(section, 'AverageLatency(us)', l.AverageLatency_us);
      put(section, 'MinLatency(us)', l.MinLatency_us);
      put(section, 'MaxLatency(us)', l.MaxLatency_us);
      put(section, '50thPercentileLatency(us)', l.p50_us);
      put(section, '95thPercentileLatency(us)', l.p95_us);
      put(section, '99thPercentileLatency(us)', l.p99_us);
      put(section, '99.9PercentileLatency(us)', l.p999_us);
    };
    lat(op, o.actual);
    put(op, 'Return=OK', o.operations - o.errors);
    if (o.errors) put(op, 'Return=ERROR', o.errors);
    for (const [m, n] of Object.entries(o.error_messages)) put(op, `Error=${m.replace(/[\r\n,]+/g, ' ')}`, n);
    if (o.hits + o.misses > 0) {
      put(op, 'Hits', o.hits);
      put(op, 'Misses', o.misses);
    }
    if (s.mode === 'open') lat(`Intended-${op}`, o.intended);
  }
  put('CLIENT', 'MovedRedirects', moved);
  put('CLIENT', 'AskRedirects', ask);
  put('CLIENT', 'Retries(TRYAGAIN/CLUSTERDOWN/closed)', retries);
  put('CLIENT', 'FailedOperations', errors);
  put('CLIENT', 'OpsRowsWritten', s.rows_written);
  if (s.verify) {
    put('VERIFY', 'Keys', s.verify.keys);
    put('VERIFY', 'AcknowledgedWrites', s.verify.acknowledged_writes);
    put('VERIFY', 'CheckedFields', s.verify.checked);
    put('VERIFY', 'Lost', s.verify.lost);
    put('VERIFY', 'Stale', s.verify.stale);
    put('VERIFY', 'Unreadable', s.verify.unreadable);
  }
  return lines.join('\n') + '\n';
}
