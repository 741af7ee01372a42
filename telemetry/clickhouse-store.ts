import { Readable } from 'node:stream';
import { createClient, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import type { TableName } from './rows.js';
import { StoreError, engineError } from './errors.js';
import { schemaStatements } from './schema.js';
import type { Batch, Store } from './store.js';

export interface ClickHouseStoreOptions {
  /** http://user:password@host:8123/database (the path names the database). */
  url: string;
  /** Create the schema (IF NOT EXISTS) at open; off for servers too old for it. */
  createSchema?: boolean;
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * A ClickHouse server through @clickhouse/client (HTTP interface).
 *
 * Checked against Debian's clickhouse-server 18.16 (test/clickhouse-server.test.ts): the
 * client's requests (query in the URL or body, `query_id`, Basic auth, gzip request and
 * response bodies with `enable_http_compression=1`) all work there. What fails on 18.16
 * is any setting the server does not know: it answers `Code: 115 Unknown setting
 * insert_deduplication_token` (added in 22.2) or `async_insert` (21.11). So the token is
 * sent only when `SELECT version()` says >= 22.2; older servers get at-least-once
 * delivery (a retried ambiguous batch may be stored twice), logged at open.
 */
export class ClickHouseStore implements Store {
  readonly kind = 'clickhouse';
  private closed = false;

  private constructor(
    readonly location: string,
    private readonly client: ClickHouseClient,
    readonly version: string,
    private readonly dedupToken: boolean,
  ) {}

  static async open(options: ClickHouseStoreOptions): Promise<ClickHouseStore> {
    const client = createClient({
      url: options.url,
      request_timeout: options.requestTimeoutMs ?? 30_000,
      compression: { request: true, response: true },
      log: { level: ClickHouseLogLevel.OFF },
    });
    const where = redact(options.url);
    try {
      const res = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
      const [{ v }] = (await res.json()) as { v: string }[];
      const dedup = atLeast(v, 22, 2);
      if (!dedup) options.log?.(`ClickHouse ${v} at ${where} has no insert_deduplication_token (needs >= 22.2): retries are at-least-once`);
      const store = new ClickHouseStore(where, client, v, dedup);
      if (options.createSchema ?? true) for (const ddl of schemaStatements()) await store.query(ddl);
      return store;
    } catch (e) {
      await client.close();
      const err = engineError(e);
      throw new StoreError(err.code, `ClickHouse at ${where}: ${err.message}`, err.clickhouseCode);
    }
  }

  async insert(table: TableName, batch: Batch): Promise<void> {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'ClickHouse store is closed');
    try {
      // exec() with a byte stream sends the JSONEachRow body as is (insert() would
      // want objects and serialize them again).
      const res = await this.client.exec({
        query: `INSERT INTO ${table} FORMAT JSONEachRow`,
        values: Readable.from([batch.body], { objectMode: false }),
        clickhouse_settings: this.dedupToken ? { insert_deduplication_token: batch.token, input_format_skip_unknown_fields: 0 } : {},
      });
      await drain(res.stream);
    } catch (e) {
      throw engineError(e);
    }
  }

  async query(sql: string, format = 'TabSeparated'): Promise<string> {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'ClickHouse store is closed');
    try {
      // exec() passes the SQL untouched (query() would append its own FORMAT clause).
      const res = await this.client.exec({ query: sql, clickhouse_settings: { default_format: format } as Record<string, string> });
      return await drain(res.stream);
    } catch (e) {
      throw engineError(e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}

async function drain(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString();
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
