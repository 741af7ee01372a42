import type { Session } from 'chdb';

/**
 * chDB is loaded on first use, not at import: libchdb is several hundred MB of mapped
 * code, and every kvnetlab process (nodes, proxies) imports the CLI that can reach this
 * file. Only the collector (and `sql` without a collector) ever opens it.
 */
type ChdbModule = typeof import('chdb');
let chdbModule: Promise<ChdbModule> | undefined;
const loadChdb = (): Promise<ChdbModule> => (chdbModule ??= import('chdb'));
import type { TableName } from './rows.js';
import { StoreError, engineError } from './errors.js';
import { lockDataDir, type DirLock, type OwnerInfo } from './lock.js';
import { schemaStatements } from './schema.js';
import type { Batch, Store } from './store.js';

/**
 * Embedded chDB (ClickHouse engine 26.7 in-process, npm `chdb` 3.4) on a data
 * directory. `Session.insert` and `Session.queryAsync` run on a libuv worker thread,
 * off the event loop (measured: a 3.4 s query let a 1 ms timer fire ~3,000 times), so
 * the collector keeps answering HTTP while chDB works. The synchronous `query` and
 * the constructor do block: we use them only at open.
 */
let openInProcess = false;

export class ChdbStore implements Store {
  readonly kind = 'chdb';
  private closed = false;

  private constructor(
    readonly location: string,
    private readonly session: Session,
    private readonly lock: DirLock,
  ) {}

  /** Take the directory's owner file, open chDB on it and create the schema. */
  static async open(dir: string, role: OwnerInfo['role']): Promise<ChdbStore> {
    if (openInProcess) throw new StoreError('STORE_LOCKED', 'chDB is already open in this process (one data directory per process)');
    const lock = lockDataDir(dir, role);
    let session: Session | undefined;
    try {
      const { Session } = await loadChdb();
      session = new Session(dir);
      openInProcess = true;
      const store = new ChdbStore(dir, session, lock);
      for (const ddl of schemaStatements()) await store.query(ddl);
      return store;
    } catch (e) {
      session?.close();
      openInProcess = false;
      lock.release();
      throw engineError(e);
    }
  }

  /** The lock, so the collector can record its URL in the owner file. */
  get owner(): DirLock {
    return this.lock;
  }

  async insert(table: TableName, batch: Batch): Promise<void> {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'chDB store is closed');
    try {
      await this.session.insert({
        table,
        values: batch.body,
        format: 'JSONEachRow',
        settings: {
          insert_deduplication_token: batch.token,
          // A field the schema lacks is an error, not silently skipped (26.x skips by default).
          input_format_skip_unknown_fields: 0,
          // Batches are small (<= 5,000 rows, ~1 MB): parallel parsing only adds thread
          // hand-offs; measured 2x slower into a Null table on this 2-core machine.
          input_format_parallel_parsing: 0,
        },
      });
    } catch (e) {
      throw engineError(e);
    }
  }

  async query(sql: string, format = 'TabSeparated'): Promise<string> {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'chDB store is closed');
    try {
      return (await this.session.queryAsync(sql, { format })).text();
    } catch (e) {
      throw engineError(e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    await (await loadChdb()).drainPending();
    openInProcess = false;
    this.lock.release();
  }
}
