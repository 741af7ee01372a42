import { createWriteStream, type WriteStream } from 'node:fs';
import type { RowSink, RowsByTable, TableName } from '../telemetry/rows.js';

/**
 * A RowSink that appends one JSON object per row to a file, `{"table":"ops",...row}`.
 * Stand-in until telemetry's openSink() (the ClickHouse/chDB store) is wired; anything
 * that reads the rows back (tests, jq) sees exactly what the store would receive.
 */
export class JsonLinesSink implements RowSink {
  private readonly out: WriteStream;
  private readonly lost: Record<TableName, number> = { runs: 0, traffic: 0, events: 0, ops: 0 };
  private failed = false;

  constructor(path: string) {
    this.out = createWriteStream(path, { flags: 'a' });
    this.out.on('error', () => {
      this.failed = true;
    });
  }

  write<T extends TableName>(table: T, rows: RowsByTable[T][]): void {
    if (this.failed) {
      this.lost[table] += rows.length;
      return;
    }
    let text = '';
    for (const row of rows) text += JSON.stringify({ table, ...row }) + '\n';
    this.out.write(text);
  }

  flush(): Promise<void> {
    return new Promise((resolve) => (this.out.writableNeedDrain ? this.out.once('drain', resolve) : resolve()));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }

  dropped(): Record<TableName, number> {
    return { ...this.lost };
  }
}
