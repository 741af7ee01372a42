import type { RowsByTable, TableName } from './rows.js';

/**
 * One interface over the three places rows can go (README "Backends"):
 *
 *   ChdbStore        embedded chDB on a data directory (one owning process: the collector)
 *   ClickHouseStore  a ClickHouse server over HTTP (@clickhouse/client)
 *   CollectorStore   a running `kvnetlab collector`, over HTTP (it owns the chDB)
 *
 * Writers never call a Store directly: they use a RowSink from openSink(), which batches,
 * buffers and retries (buffered-sink.ts) on top of a Store.
 */
export interface Store {
  readonly kind: 'chdb' | 'clickhouse' | 'collector';
  /** Where it is: a data directory or a URL (for messages). */
  readonly location: string;
  /**
   * Insert one batch. `batch.token` becomes ClickHouse's insert_deduplication_token, so
   * a batch retried after an ambiguous failure is stored once.
   */
  insert(table: TableName, batch: Batch): Promise<void>;
  /** Run SQL and return the engine's output in `format` (ClickHouse format names). */
  query(sql: string, format?: string): Promise<string>;
  close(): Promise<void>;
}

/** A batch of rows of one table, already encoded as JSONEachRow (one object per line). */
export interface Batch {
  token: string;
  rows: number;
  body: Buffer;
}

export function encodeBatch<T extends TableName>(token: string, rows: readonly RowsByTable[T][]): Batch {
  let text = '';
  for (const r of rows) text += JSON.stringify(r) + '\n';
  return { token, rows: rows.length, body: Buffer.from(text) };
}

/** Number of JSONEachRow lines in a body (non-empty lines). */
export function countLines(body: Buffer): number {
  let n = 0;
  let start = 0;
  for (;;) {
    const nl = body.indexOf(10, start);
    const end = nl < 0 ? body.length : nl;
    if (end > start) n++;
    if (nl < 0) return n;
    start = nl + 1;
  }
}

/** Run a query and parse its JSONEachRow output into objects. */
export async function queryRows<R = Record<string, unknown>>(store: Pick<Store, 'query'>, sql: string): Promise<R[]> {
  const text = await store.query(sql, 'JSONEachRow');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as R);
}
