import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { RowSink, RowsByTable, TableName } from './rows.js';
import { StoreError } from './errors.js';
import { RAW_TABLES } from './schema.js';
import { encodeBatch, type Batch, type Store } from './store.js';
import { sinkMetrics, type SinkMetrics } from './store-metrics.js';

export interface SinkOptions {
  /** Cut a batch when a table has this many pending rows (default 5,000). */
  batchRows?: number;
  /** ... or this long after the last cut (default 1,000 ms). */
  batchMs?: number;
  /**
   * Rows kept while the store is unreachable, all tables together (default 1,000,000;
   * about 200-250 MB of JSON for traffic rows). Beyond it new rows are refused and
   * counted as dropped (tail drop: queued batches keep their ids, so retries stay exact).
   */
  maxBufferedRows?: number;
  /** Exponential backoff between retries of a batch: first delay and cap (100 ms, 5 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** close() waits this long for the store; rows still unsent are counted as dropped (30 s). */
  closeTimeoutMs?: number;
  registry?: Registry;
  log?: (line: string) => void;
}

interface Queued {
  table: TableName;
  batch: Batch;
  attempts: number;
}

type Reason = 'overflow' | 'rejected' | 'closed';

const zero = (): Record<TableName, number> => ({ runs: 0, traffic: 0, events: 0, ops: 0 });

/**
 * A RowSink over any Store: batches by count and by time, keeps batches in order in a
 * bounded buffer, sends one at a time and retries a transient failure with exponential
 * backoff (100 ms doubling to 5 s, jittered), always with the same batch id. The id is
 * the insert_deduplication_token, so a batch whose first attempt did reach the store
 * (reply lost, timeout) is not stored twice.
 *
 *   write() -> pending[table] --(5,000 rows | 1 s)--> queue of Batch --> store.insert
 *                                                        ^   transient error: backoff  |
 *                                                        +-----------------------------+
 */
export class BufferedSink implements RowSink {
  private readonly opt: Required<Omit<SinkOptions, 'registry' | 'log'>>;
  private readonly pending = new Map<TableName, RowsByTable[TableName][]>();
  private readonly queue: Queued[] = [];
  private readonly droppedRows = zero();
  private readonly bufferedRows = zero();
  private readonly writerId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly metrics?: SinkMetrics;
  private readonly log: (line: string) => void;
  private seq = 0;
  private sending = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly cutTimer: NodeJS.Timeout;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private abandoned = false;
  private outageSince = 0;
  private lastOverflowLog = 0;

  constructor(
    private readonly store: Pick<Store, 'insert' | 'location' | 'close'>,
    options: SinkOptions = {},
  ) {
    this.opt = {
      batchRows: options.batchRows ?? 5_000,
      batchMs: options.batchMs ?? 1_000,
      maxBufferedRows: options.maxBufferedRows ?? 1_000_000,
      retryMinMs: options.retryMinMs ?? 100,
      retryMaxMs: options.retryMaxMs ?? 5_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 30_000,
    };
    this.log = options.log ?? ((line) => process.stderr.write(`telemetry: ${line}\n`));
    if (options.registry) this.metrics = sinkMetrics(options.registry);
    // Counters flush on a timer, never only on close (STYLE.md 8).
    this.cutTimer = setInterval(() => this.cutAll(), this.opt.batchMs);
    this.cutTimer.unref();
  }

  write<T extends TableName>(table: T, rows: RowsByTable[T][]): void {
    if (rows.length === 0) return;
    if (this.closed) return this.drop(table, rows.length, 'closed');
    this.metrics?.written.inc({ table }, rows.length);
    const room = Math.max(0, this.opt.maxBufferedRows - this.totalBuffered());
    const kept = rows.length <= room ? rows : rows.slice(0, room);
    if (kept.length < rows.length) this.drop(table, rows.length - kept.length, 'overflow');
    if (kept.length === 0) return;
    let list = this.pending.get(table);
    if (!list) this.pending.set(table, (list = []));
    for (const r of kept) list.push(r);
    this.addBuffered(table, kept.length);
    if (list.length >= this.opt.batchRows) this.cut(table);
  }

  flush(): Promise<void> {
    this.cutAll();
    if (this.idle()) return Promise.resolve();
    this.retryTimer?.ref(); // an awaited flush keeps the process alive until it is done
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.cutTimer);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.flush().then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), this.opt.closeTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      // Give up: whatever is still queued or in flight counts as dropped. A request in
      // flight may still land, so this count is an upper bound; its answer is ignored.
      this.abandoned = true;
      clearTimeout(this.retryTimer);
      for (const t of RAW_TABLES) {
        if (this.bufferedRows[t] > 0) this.drop(t, this.bufferedRows[t], 'closed');
        this.bufferedRows[t] = 0;
      }
      this.queue.length = 0;
      this.wakeIdle();
    }
    await this.store.close();
  }

  /** Where rows go (a URL or a directory), for messages. */
  get location(): string {
    return this.store.location;
  }

  dropped(): Record<TableName, number> {
    return { ...this.droppedRows };
  }

  /** Rows waiting (pending + queued + in flight), per table. */
  buffered(): Record<TableName, number> {
    return { ...this.bufferedRows };
  }

  private totalBuffered(): number {
    return RAW_TABLES.reduce((n, t) => n + this.bufferedRows[t], 0);
  }

  private addBuffered(table: TableName, n: number): void {
    this.bufferedRows[table] += n;
    this.metrics?.buffered.set({ table }, this.bufferedRows[table]);
  }

  private drop(table: TableName, n: number, reason: Reason): void {
    this.droppedRows[table] += n;
    this.metrics?.dropped.inc({ table, reason }, n);
    const now = Date.now();
    if (reason !== 'overflow' || now - this.lastOverflowLog > 10_000) {
      if (reason === 'overflow') this.lastOverflowLog = now;
      this.log(`dropped ${n} ${table} row(s) (${reason}); ${this.droppedRows[table]} ${table} row(s) dropped so far`);
    }
  }

  private cutAll(): void {
    for (const t of this.pending.keys()) this.cut(t);
  }

  private cut(table: TableName): void {
    const list = this.pending.get(table);
    if (!list || list.length === 0) return;
    this.pending.set(table, []);
    for (let i = 0; i < list.length; i += this.opt.batchRows) {
      const token = `${this.writerId}-${table}-${++this.seq}`;
      this.queue.push({ table, batch: encodeBatch(token, list.slice(i, i + this.opt.batchRows)), attempts: 0 });
    }
    this.pump();
  }

  private idle(): boolean {
    return !this.sending && this.queue.length === 0 && [...this.pending.values()].every((l) => l.length === 0);
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pump(): void {
    if (this.sending || this.retryTimer || this.queue.length === 0) {
      if (this.idle()) this.wakeIdle();
      return;
    }
    const q = this.queue[0]!;
    this.sending = true;
    const started = process.hrtime.bigint();
    this.store.insert(q.table, q.batch).then(
      () => {
        if (this.abandoned) return;
        this.metrics?.insertSeconds.observe({ table: q.table }, Number(process.hrtime.bigint() - started) / 1e9);
        this.metrics?.stored.inc({ table: q.table }, q.batch.rows);
        if (this.outageSince) {
          this.log(`store ${this.store.location} reachable again after ${((Date.now() - this.outageSince) / 1000).toFixed(1)} s`);
          this.outageSince = 0;
        }
        this.done(q);
      },
      (e: unknown) => {
        if (this.abandoned) return;
        const err = e instanceof StoreError ? e : new StoreError('STORE_UNAVAILABLE', String(e));
        if (!err.transient) {
          this.log(`store ${this.store.location} refused a ${q.table} batch of ${q.batch.rows} row(s): ${err.message}`);
          this.drop(q.table, q.batch.rows, 'rejected');
          return this.done(q);
        }
        q.attempts++;
        this.metrics?.retries.inc({ table: q.table });
        if (!this.outageSince) {
          this.outageSince = Date.now();
          this.log(`store ${this.store.location} unavailable (${err.message}); buffering and retrying`);
        }
        const backoff = Math.min(this.opt.retryMaxMs, this.opt.retryMinMs * 2 ** (q.attempts - 1));
        this.sending = false;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, backoff * (0.5 + Math.random() / 2));
        // Nobody waits: don't hold the process open. flush() re-refs it.
        if (!this.closed && this.idleWaiters.length === 0) this.retryTimer.unref();
      },
    );
  }

  private done(q: Queued): void {
    this.queue.shift();
    this.addBuffered(q.table, -q.batch.rows);
    this.sending = false;
    this.pump();
  }
}
