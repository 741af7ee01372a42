import type { TableName } from './rows.js';
import { StoreError } from './errors.js';
import type { Batch, Store } from './store.js';

/** Header carrying the batch id; the collector passes it to chDB as insert_deduplication_token. */
export const BATCH_ID_HEADER = 'x-kvnetlab-batch-id';

/**
 * A running `kvnetlab collector`, over HTTP (it owns the chDB data directory; see
 * collector.ts). `url()` is asked again for every request, so a writer started before
 * the collector finds it once the collector has written its owner file.
 */
export class CollectorStore implements Store {
  readonly kind = 'collector';

  constructor(
    private readonly url: () => string,
    private readonly requestTimeoutMs = 30_000,
  ) {}

  get location(): string {
    return this.url();
  }

  async insert(table: TableName, batch: Batch): Promise<void> {
    await this.request(`/rows/${table}`, { 'content-type': 'application/x-ndjson', [BATCH_ID_HEADER]: batch.token }, batch.body);
  }

  async query(sql: string, format = 'TabSeparated'): Promise<string> {
    return this.request(`/query?format=${encodeURIComponent(format)}`, { 'content-type': 'text/plain; charset=utf-8' }, sql);
  }

  async close(): Promise<void> {}

  private async request(path: string, headers: Record<string, string>, body: Buffer | string): Promise<string> {
    const base = this.url();
    let res: Response;
    try {
      // Buffer is a valid fetch body; TS 5.9's lib typing (ArrayBufferLike) disagrees.
      const payload = body as unknown as string;
      res = await fetch(base + path, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(this.requestTimeoutMs) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new StoreError('STORE_UNAVAILABLE', `collector at ${base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return text;
    let detail: { error?: string; code?: string; clickhouseCode?: number } = {};
    try {
      detail = JSON.parse(text) as typeof detail;
    } catch {
      detail = { error: text };
    }
    const message = `collector at ${base}: ${detail.error ?? `HTTP ${res.status}`}`;
    if (res.status >= 500) throw new StoreError('STORE_UNAVAILABLE', message, detail.clickhouseCode);
    throw new StoreError(res.status === 404 ? 'STORE_BAD_TABLE' : 'STORE_REJECTED', message, detail.clickhouseCode);
  }
}
