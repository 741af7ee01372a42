import type { RowSink, RowsByTable, TableName } from './rows.js';

/** Every row to every sink (e.g. the store and a JSON-lines file); drops are summed. */
export class TeeSink implements RowSink {
  constructor(private readonly sinks: RowSink[]) {}

  write<T extends TableName>(table: T, rows: RowsByTable[T][]): void {
    for (const s of this.sinks) s.write(table, rows);
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }

  dropped(): Record<TableName, number> {
    const sum: Record<TableName, number> = { runs: 0, traffic: 0, events: 0, ops: 0 };
    for (const s of this.sinks) for (const [t, n] of Object.entries(s.dropped())) sum[t as TableName] += n;
    return sum;
  }
}
