import { existsSync } from 'node:fs';
import type { Keyspace } from '../store/keyspace.js';
import { SnapshotError } from './errors.js';
import { loadSnapshotFile, saveSnapshotFile, saveSnapshotSync } from './file.js';
import type { SnapshotHeader } from './format.js';
import { startSnapshot, type SnapshotWriter } from './writer.js';

export interface SaverDeps {
  db: Pick<Keyspace, 'observe' | 'snapshotView' | 'size' | 'dirty' | 'load'>;
  /** The snapshot file (dir + dbfilename), or undefined when snapshots are off. */
  path(): string | undefined;
  /** What goes into the header: the replication id and offset the data is at now. */
  replication(): { replId: string; replOffset: bigint };
  now(): number;
  log(line: string): void;
}

/** Saving states (STYLE.md 3). Redis: rdb_child_pid / child_type == CHILD_TYPE_RDB. */
export type SaverState = 'idle' | 'saving' | 'bgsaving';

const LEGAL: Record<SaverState, SaverState[]> = {
  idle: ['saving', 'bgsaving'],
  saving: ['idle'],
  bgsaving: ['idle'],
};

export interface LoadStats {
  header: SnapshotHeader;
  keysLoaded: number;
  /** Keys whose expiry had passed: dropped on a master, like rdbLoad (iAmMaster()). */
  keysExpired: number;
}

/**
 * SAVE, BGSAVE, LASTSAVE, the save on shutdown, loading at start, and INFO persistence
 * (rdb.c saveCommand / bgsaveCommand / rdbLoad, server.c genRedisInfoString). One
 * background save at a time, as Redis allows one RDB child.
 */
export class Saver {
  private state: SaverState = 'idle';
  private bg: { writer: SnapshotWriter; startedAt: number; dirtyAtStart: number; keysTotal: number; done: Promise<void> } | undefined;
  private lastSaveMs: number;
  private lastBgsaveOk = true;
  private lastBgsaveSec = -1;
  private saves = 0;
  private lastCow = 0;
  private dirtyAtLastSave: number;
  /** What the start-up load found; the replication code reads `loaded.header.replId/replOffset`. */
  loaded: LoadStats | undefined;

  constructor(private readonly deps: SaverDeps) {
    this.lastSaveMs = deps.now(); // initServer: server.lastsave = time(NULL)
    this.dirtyAtLastSave = deps.db.dirty;
  }

  get status(): SaverState {
    return this.state;
  }

  /** LASTSAVE: unix seconds of the last successful save (or of the start). */
  get lastSave(): number {
    return Math.floor(this.lastSaveMs / 1000);
  }

  /** The running BGSAVE's completion (resolves on failure too), for tests and shutdown. */
  get background(): Promise<void> | undefined {
    return this.bg?.done;
  }

  /**
   * Loads the snapshot file into the (empty) keyspace, if there is one. Throws a
   * SnapshotError on any fault: the caller must not serve this keyspace then.
   */
  load(opts: { dropExpired: boolean }): LoadStats | undefined {
    const path = this.deps.path();
    if (!path || !existsSync(path)) return undefined;
    const now = this.deps.now();
    const db = this.deps.db;
    let keysLoaded = 0;
    let keysExpired = 0;
    const { header } = this.loadFile(path, (e) => {
      if (opts.dropExpired && e.expireAt !== undefined && e.expireAt <= now) {
        keysExpired++;
        return;
      }
      if (!db.load(e.key, e.value, e.expireAt)) throw new SnapshotError('BAD_ENTRY', `duplicate key ${JSON.stringify(e.key)}`);
      keysLoaded++;
    });
    this.loaded = { header, keysLoaded, keysExpired };
    this.dirtyAtLastSave = db.dirty;
    this.deps.log(`DB loaded from ${path}: ${keysLoaded} keys (${keysExpired} expired), replid ${header.replId} offset ${header.replOffset}`);
    return this.loaded;
  }

  private loadFile(path: string, onEntry: Parameters<typeof loadSnapshotFile>[1]): ReturnType<typeof loadSnapshotFile> {
    try {
      return loadSnapshotFile(path, onEntry);
    } catch (e) {
      // Name the file in the message: it is what the operator sees when the node refuses to start.
      if (e instanceof SnapshotError) throw new SnapshotError(e.code, `${path}: ${e.detail}`, e.offset);
      throw e;
    }
  }

  /** SAVE: blocks until the file is written; throws SnapshotError (IO) on failure. */
  save(): void {
    const path = this.requirePath();
    if (this.state === 'bgsaving') throw new SnapshotError('IO', 'Background save already in progress');
    this.transition('saving');
    const dirtyAtStart = this.deps.db.dirty;
    try {
      const r = saveSnapshotSync(path, startSnapshot(this.deps.db, this.deps.replication()));
      this.saved(dirtyAtStart);
      this.deps.log(`DB saved on disk: ${r.keys} keys, ${r.bytes} bytes`);
    } finally {
      this.transition('idle');
    }
  }

  /** BGSAVE: false when one is already running ("Background save already in progress"). */
  bgsave(): boolean {
    const path = this.requirePath();
    if (this.state !== 'idle') return false;
    const writer = startSnapshot(this.deps.db, this.deps.replication());
    const startedAt = this.deps.now();
    const dirtyAtStart = this.deps.db.dirty;
    this.transition('bgsaving');
    this.deps.log(`Background saving started (${this.deps.db.size()} keys)`);
    const done = saveSnapshotFile(path, writer).then(
      (r) => {
        this.saved(dirtyAtStart);
        this.lastBgsaveOk = true;
        this.deps.log(`Background saving terminated with success: ${r.keys} keys, ${r.bytes} bytes, ${writer.copiedBytes} bytes copied on write`);
      },
      (e: Error) => {
        this.lastBgsaveOk = false;
        this.deps.log(`Background saving error: ${e.message}`);
      },
    );
    this.bg = {
      writer,
      startedAt,
      dirtyAtStart,
      keysTotal: this.deps.db.size(),
      done: done.finally(() => {
        this.lastBgsaveSec = Math.round((this.deps.now() - startedAt) / 1000);
        this.lastCow = writer.copiedBytes;
        this.bg = undefined;
        this.transition('idle');
      }),
    };
    return true;
  }

  /** Stops a running BGSAVE (SHUTDOWN kills the child: killRDBChild) and waits until it let go. */
  async abortBackground(): Promise<void> {
    const bg = this.bg;
    if (!bg) return;
    bg.writer.abort();
    await bg.done;
  }

  /** INFO persistence, Redis 7.0's fields; the AOF ones are constant (no AOF here). */
  info(): string[] {
    const bg = this.bg;
    const now = this.deps.now();
    return [
      'loading:0',
      'async_loading:0',
      `current_cow_peak:${bg?.writer.copiedBytes ?? 0}`,
      `current_cow_size:${bg?.writer.copiedBytes ?? 0}`,
      'current_cow_size_age:0',
      'current_fork_perc:0.00',
      `current_save_keys_processed:${bg?.writer.keys ?? 0}`,
      `current_save_keys_total:${bg?.keysTotal ?? 0}`,
      `rdb_changes_since_last_save:${this.deps.db.dirty - this.dirtyAtLastSave}`,
      `rdb_bgsave_in_progress:${bg ? 1 : 0}`,
      `rdb_last_save_time:${this.lastSave}`,
      `rdb_last_bgsave_status:${this.lastBgsaveOk ? 'ok' : 'err'}`,
      `rdb_last_bgsave_time_sec:${this.lastBgsaveSec}`,
      `rdb_current_bgsave_time_sec:${bg ? Math.round((now - bg.startedAt) / 1000) : -1}`,
      `rdb_saves:${this.saves}`,
      `rdb_last_cow_size:${this.lastCow}`,
      `rdb_last_load_keys_expired:${this.loaded?.keysExpired ?? 0}`,
      `rdb_last_load_keys_loaded:${this.loaded?.keysLoaded ?? 0}`,
      'aof_enabled:0',
      'aof_rewrite_in_progress:0',
      'aof_rewrite_scheduled:0',
      'aof_last_rewrite_time_sec:-1',
      'aof_current_rewrite_time_sec:-1',
      'aof_last_bgrewrite_status:ok',
      'aof_rewrites:0',
      'aof_rewrites_consecutive_failures:0',
      'aof_last_write_status:ok',
      'aof_last_cow_size:0',
      'module_fork_in_progress:0',
      'module_fork_last_cow_size:0',
    ];
  }

  private saved(dirtyAtStart: number): void {
    // Changes made while a BGSAVE ran are not in the file (backgroundSaveDoneHandlerDisk).
    this.dirtyAtLastSave = dirtyAtStart;
    this.lastSaveMs = this.deps.now();
    this.saves++;
  }

  private requirePath(): string {
    const path = this.deps.path();
    if (!path) throw new SnapshotError('IO', 'snapshots are off (empty dbfilename)');
    return path;
  }

  private transition(to: SaverState): void {
    if (!LEGAL[this.state].includes(to)) throw new Error(`saver: illegal transition ${this.state} -> ${to}`);
    this.deps.log(`saver: ${this.state} -> ${to}`);
    this.state = to;
  }
}
