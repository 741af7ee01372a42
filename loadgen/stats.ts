import * as hdr from 'hdr-histogram-js';
import type { OpsRow, RowSink } from '../telemetry/rows.js';

/**
 * Per-operation-type statistics: HDR histograms (3 significant digits, microseconds) of
 * the latency from the intended start (coordinated omission corrected: an operation
 * that had to wait for its turn is charged the wait) and from the actual start (service
 * time only), whole-run and per 100 ms bucket. Buckets follow the wall clock (ts_ms a
 * multiple of 100) and are keyed by completion time; every bucket between the first and
 * the last gets a row per op type, ops=0 included, so a stall shows as a gap of zeros.
 */
export interface OpResult {
  error: boolean;
  /** MOVED + ASK followed for this operation. */
  redirects: number;
  moved: number;
  ask: number;
  retries: number;
  hit?: boolean;
  /** The final error's message when `error`. */
  message?: string;
}

const newHistogram = (): hdr.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 32, useWebAssembly: false });

class Counts {
  ops = 0; errors = 0; redirects = 0; moved = 0; ask = 0; retries = 0; hits = 0; misses = 0;
  /** Distinct final error messages and how often each ended an operation. */
  readonly errorMessages = new Map<string, number>();
  add(r: OpResult): void {
    this.ops++;
    if (r.error) {
      this.errors++;
      const m = r.message ?? 'unknown';
      if (this.errorMessages.size < 20 || this.errorMessages.has(m)) this.errorMessages.set(m, (this.errorMessages.get(m) ?? 0) + 1);
    }
    this.redirects += r.redirects;
    this.moved += r.moved;
    this.ask += r.ask;
    this.retries += r.retries;
    if (r.hit === true) this.hits++;
    else if (r.hit === false) this.misses++;
  }
}

export class OpStats {
  readonly total = new Counts();
  readonly intended = newHistogram();
  readonly actual = newHistogram();
  bucket = new Counts();
  readonly bucketHist = newHistogram();
}

export class Recorder {
  readonly stats = new Map<string, OpStats>();
  private bucketTs = -1;
  rowsWritten = 0;

  constructor(ops: string[], private readonly runId: string, private readonly sink: RowSink | null, private readonly wallNow: () => number = Date.now) {
    for (const op of ops) this.stats.set(op, new OpStats());
  }

  /** Latencies in ms (performance.now() domain); recorded as whole microseconds. */
  record(op: string, intendedStart: number, actualStart: number, end: number, r: OpResult): void {
    this.tick();
    let s = this.stats.get(op);
    if (!s) this.stats.set(op, (s = new OpStats()));
    const fromIntended = Math.max(1, Math.round((end - Math.min(intendedStart, actualStart)) * 1000));
    const fromActual = Math.max(1, Math.round((end - actualStart) * 1000));
    s.intended.recordValue(fromIntended);
    s.actual.recordValue(fromActual);
    s.bucketHist.recordValue(fromIntended);
    s.total.add(r);
    s.bucket.add(r);
  }

  /** Emits the rows of every bucket that has ended; call on a 100 ms timer and at the end. */
  tick(final = false): void {
    const now = Math.floor(this.wallNow() / 100) * 100;
    if (this.bucketTs < 0) {
      this.bucketTs = now;
      return;
    }
    while (this.bucketTs < now || (final && this.bucketTs <= now)) {
      this.emit(this.bucketTs);
      this.bucketTs += 100;
    }
  }

  private emit(ts: number): void {
    const rows: OpsRow[] = [];
    for (const [op, s] of this.stats) {
      const b = s.bucket;
      const h = s.bucketHist;
      const q = (p: number) => (b.ops ? h.getValueAtPercentile(p) : 0);
      rows.push({
        run_id: this.runId, ts_ms: ts, op, ops: b.ops, errors: b.errors, redirects: b.redirects,
        hits: b.hits, misses: b.misses, p50_us: q(50), p99_us: q(99), p999_us: q(99.9), max_us: b.ops ? h.maxValue : 0,
      });
      s.bucket = new Counts();
      h.reset();
    }
    this.rowsWritten += rows.length;
    this.sink?.write('ops', rows);
  }
}
