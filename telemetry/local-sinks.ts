import { createWriteStream, type WriteStream } from 'node:fs';
import type { RowSink, RowsByTable, TableName } from './rows.js';

/**
 * RowSinks that need no store: in memory (tests, `proxy --sink memory`) and a JSON-lines
 * file (`proxy --sink jsonl`, `loadgen --out`, `up --no-store`). Both keep the contract
 * of telemetry/rows.ts: write() never blocks or throws, and what cannot be kept is
 * counted in dropped(), never lost silently.
 */
const noDrops = (): Record<TableName, number> => ({ runs: 0, traffic: 0, events: 0, ops: 0 });

/** Keeps rows in memory, up to `maxRows` per table (then counts drops). For tests and `--sink memory`. */
export class MemorySink implements RowSink {
  private readonly tables: { [T in TableName]: RowsByTable[T][] } = { runs: [], traffic: [], events: [], ops: [] };
  private readonly drops = noDrops();

  constructor(private readonly maxRows = 1_000_000) {}

  write<T extends TableName>(table: T, rows: RowsByTable[T][]): void {
    const kept = this.tables[table] as RowsByTable[T][];
    const room = Math.max(0, this.maxRows - kept.length);
    for (let i = 0; i < Math.min(room, rows.length); i++) kept.push(rows[i]);
    this.drops[table] += Math.max(0, rows.length - room);
  }

  rows<T extends TableName>(table: T): readonly RowsByTable[T][] {
    return this.tables[table] as RowsByTable[T][];
  }

  /** Removes and returns what is kept (a reader that drains keeps the sink from filling). */
  take<T extends TableName>(table: T): RowsByTable[T][] {
    return (this.tables[table] as RowsByTable[T][]).splice(0);
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  dropped(): Record<TableName, number> {
    return { ...this.drops };
  }
}

/**
 * Appends one JSON object per line, `{"table":"traffic", ...row}`. While the file is
 * slower than the writers more than `maxBufferedBytes` wait in memory; beyond that rows
 * are dropped and counted.
 */
export class JsonLinesSink implements RowSink {
  private readonly out: WriteStream;
  private readonly drops = noDrops();
  private failed?: Error;

  constructor(
    readonly path: string,
    private readonly maxBufferedBytes = 64 * 1024 * 1024,
  ) {
    this.out = createWriteStream(path, { flags: 'a' });
    this.out.on('error', (e) => (this.failed = e));
  }

  write<T extends TableName>(table: T, rows: RowsByTable[T][]): void {
    if (this.failed || this.out.writableLength > this.maxBufferedBytes) {
      this.drops[table] += rows.length;
      return;
    }
    let text = '';
    for (const r of rows) text += JSON.stringify({ table, ...r }) + '\n';
    this.out.write(text);
  }

  flush(): Promise<void> {
    if (this.failed || this.out.writableLength === 0) return Promise.resolve();
    // An empty write's callback runs after everything queued before it is written.
    return new Promise((resolve) => this.out.write('', () => resolve()));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }

  dropped(): Record<TableName, number> {
    return { ...this.drops };
  }
}
