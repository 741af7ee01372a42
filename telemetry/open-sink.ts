import { existsSync, readdirSync } from 'node:fs';
import type { RowSink, TableName } from './rows.js';
import { StoreError } from './errors.js';
import { BufferedSink, type SinkOptions } from './buffered-sink.js';
import { ChdbStore } from './chdb-store.js';
import { ClickHouseStore, redact } from './clickhouse-store.js';
import { CollectorStore } from './collector-store.js';
import { readOwner, LOCK_FILE } from './lock.js';
import type { Batch, Store } from './store.js';

/** Where the chDB data lives unless told otherwise (under the project's run output). */
export const DEFAULT_STORE_DIR = 'run/store/chdb';
/** The collector's default port (ClickHouse's HTTP port is 8123). */
export const DEFAULT_COLLECTOR_PORT = 8124;
export const ENV_CLICKHOUSE_URL = 'KVNETLAB_CLICKHOUSE_URL';
export const ENV_COLLECTOR_URL = 'KVNETLAB_COLLECTOR_URL';

export interface StoreTarget {
  /** A ClickHouse server: write and query there (flag --clickhouse-url, env KVNETLAB_CLICKHOUSE_URL). */
  clickhouseUrl?: string;
  /** A collector (flag --collector-url, env KVNETLAB_COLLECTOR_URL). */
  collectorUrl?: string;
  /** chDB data directory; its owner file names the running collector (default run/store/chdb). */
  storeDir?: string;
  /** Server only: create the schema at first use (default true; off for servers older than 20.1). */
  createSchema?: boolean;
}

export type OpenSinkOptions = StoreTarget & SinkOptions;

export type OpenedSink = RowSink & { readonly location: string; buffered(): Record<TableName, number> };

/**
 * The one factory every writer (proxy, capture, loadgen, controller) uses:
 *
 *   1. a ClickHouse server URL (option, then env)  -> rows go straight to the server
 *   2. a collector URL (option, then env)          -> rows go to that collector
 *   3. otherwise the collector that owns storeDir (its URL is in <storeDir>/owner.json,
 *      looked up again on every attempt, so a writer may start before the collector);
 *      with no owner yet, http://127.0.0.1:8124 (and a log line saying so).
 *
 * Never throws and never blocks: an unreachable store is retried in the background.
 */
export function openSink(options: OpenSinkOptions = {}): OpenedSink {
  const log = options.log ?? ((line: string) => process.stderr.write(`telemetry: ${line}\n`));
  const where = resolveStore(options);
  let store: Store;
  if (where.kind === 'server') {
    const serverUrl = where.url;
    store = lazyStore(redact(serverUrl), () => ClickHouseStore.open({ url: serverUrl, log, createSchema: options.createSchema }));
  } else if (where.kind === 'collector') {
    const fixed = where.url;
    store = new CollectorStore(() => fixed);
  } else {
    const dir = where.dir;
    let warned = false;
    store = new CollectorStore(() => {
      const owner = readOwner(dir);
      if (owner?.url) return owner.url;
      if (!warned) log(`no collector owns ${dir} yet: sending to http://127.0.0.1:${DEFAULT_COLLECTOR_PORT} (start one with \`kvnetlab collector\`)`);
      warned = true;
      return `http://127.0.0.1:${DEFAULT_COLLECTOR_PORT}`;
    });
  }
  return new BufferedSink(store, { ...options, log });
}

export type StoreLocation = { kind: 'server'; url: string } | { kind: 'collector'; url: string } | { kind: 'dir'; dir: string };

/**
 * Where a target points, in the one order every writer and `kvnetlab sql` use: a
 * ClickHouse server URL (option, then env), a collector URL (option, then env), else the
 * store directory, whose owner file names its collector (looked up when needed).
 */
export function resolveStore(t: StoreTarget): StoreLocation {
  const server = t.clickhouseUrl ?? process.env[ENV_CLICKHOUSE_URL];
  if (server) return { kind: 'server', url: server };
  const collector = t.collectorUrl ?? process.env[ENV_COLLECTOR_URL];
  if (collector) return { kind: 'collector', url: collector };
  return { kind: 'dir', dir: t.storeDir ?? DEFAULT_STORE_DIR };
}

/** Whether a store is there to take rows now: a URL was given, or a live collector owns the directory. */
export function storeAvailable(t: StoreTarget): boolean {
  const where = resolveStore(t);
  return where.kind !== 'dir' || readOwner(where.dir) !== undefined;
}

/** A store opened on first use; a failed open is a transient insert error, tried again. */
function lazyStore(location: string, open: () => Promise<Store>): Store {
  let opened: Promise<Store> | undefined;
  const get = () => {
    opened ??= open().catch((e: unknown) => {
      opened = undefined;
      throw e;
    });
    return opened;
  };
  return {
    kind: 'clickhouse',
    location,
    insert: async (table: TableName, batch: Batch) => (await get()).insert(table, batch),
    query: async (sql: string, format?: string) => (await get()).query(sql, format),
    close: async () => {
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
}

/**
 * The store `kvnetlab sql` talks to: the server URL if one is given; else a given or
 * running collector (it owns the chDB directory); else chDB opened directly on the
 * directory, owned by this process while the query runs.
 */
export async function openQueryStore(target: StoreTarget): Promise<Store> {
  const where = resolveStore(target);
  if (where.kind === 'server') return ClickHouseStore.open({ url: where.url, createSchema: false });
  if (where.kind === 'collector') return new CollectorStore(() => where.url);
  const dir = where.dir;
  const owner = readOwner(dir);
  if (owner?.url) return new CollectorStore(() => owner.url!);
  const hasData = existsSync(dir) && readdirSync(dir).some((f) => f !== LOCK_FILE);
  if (!hasData) {
    throw new StoreError(
      'STORE_NO_STORE',
      `no store: no collector owns ${dir} and it holds no chDB data; start \`kvnetlab collector --dir ${dir}\`, or pass --clickhouse-url (or set ${ENV_CLICKHOUSE_URL})`,
    );
  }
  return ChdbStore.open(dir, 'sql');
}
