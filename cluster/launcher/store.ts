import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { redact } from '../../telemetry/clickhouse-store.js';
import { readOwner } from '../../telemetry/lock.js';
import { ENV_CLICKHOUSE_URL, ENV_COLLECTOR_URL, openSink, type StoreTarget } from '../../telemetry/open-sink.js';
import type { RunRow } from '../../telemetry/rows.js';
import { GiveUp, waitFor } from './admin.js';
import { isAlive, kvnetlabCli, spawnDetached, stopProcess } from './processes.js';
import type { StoreState } from './state-file.js';

/**
 * The telemetry store under `kvnetlab up` (telemetry/README.md, "With kvnetlab up"):
 *
 *   --clickhouse-url / KVNETLAB_CLICKHOUSE_URL  -> the server; no collector
 *   --collector-url / KVNETLAB_COLLECTOR_URL    -> that collector; none started
 *   otherwise                                   -> the collector owning --store-dir:
 *                                                  reused if alive, else started here
 *
 * chDB opens one data directory per process, so every writer (the proxies, loadgen,
 * this launcher's runs row) sends its rows to the one collector that owns it.
 */
export interface UpStoreOptions {
  /** chDB data directory (default run/store/chdb, telemetry's DEFAULT_STORE_DIR). */
  dir: string;
  /** HTTP port of a collector started here (default 8124; a restarted one must take it again). */
  collectorPort: number;
  collectorUrl?: string;
  clickhouseUrl?: string;
}

export interface PreparedStore {
  /** What goes into cluster.json (credentials redacted). */
  state: StoreState;
  /** Where the launcher's own rows (the runs row) go. */
  target: StoreTarget;
  /** Flags and environment for each proxy (`--sink store` plus where). */
  proxyArgs: string[];
  proxyEnv?: NodeJS.ProcessEnv;
}

/** Collector processes are told apart by their data directory, as whole arguments. */
const collectorMark = (dir: string) => `collector --dir ${dir}`;

function lastLines(file: string, n = 3): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ');
}

export async function prepareStore(o: UpStoreOptions, timeoutMs: number, progress: (line: string) => void): Promise<PreparedStore> {
  const server = o.clickhouseUrl ?? process.env[ENV_CLICKHOUSE_URL];
  if (server) {
    // The URL may hold a password: the proxies get it in their environment, not in argv.
    return {
      state: { clickhouseUrl: redact(server) },
      target: { clickhouseUrl: server },
      proxyArgs: ['--sink', 'store'],
      proxyEnv: { ...process.env, [ENV_CLICKHOUSE_URL]: server },
    };
  }
  const given = o.collectorUrl ?? process.env[ENV_COLLECTOR_URL];
  if (given) return { state: { collectorUrl: given }, target: { collectorUrl: given }, proxyArgs: ['--sink', 'store', '--collector-url', given] };

  const dir = resolve(o.dir);
  const owner = readOwner(dir);
  let collector: NonNullable<StoreState['collector']>;
  let url: string;
  if (owner?.role === 'collector' && owner.url) {
    url = owner.url;
    collector = { pid: owner.pid, cmdlineMark: collectorMark(dir), startedByUp: false };
    progress(`reusing the collector of ${dir} at ${url} (pid ${owner.pid})`);
  } else {
    mkdirSync(dir, { recursive: true });
    const log = join(dirname(dir), 'collector.log');
    const pid = spawnDetached(process.execPath, [kvnetlabCli(), 'collector', '--dir', dir, '--port', String(o.collectorPort)], dirname(dir), log);
    collector = { pid, cmdlineMark: collectorMark(dir), log, startedByUp: true };
    let found: string | undefined;
    try {
      await waitFor(`the collector of ${dir} to listen`, timeoutMs, async () => {
        if (!isAlive(pid, collector.cmdlineMark)) throw new GiveUp(`the collector exited: ${lastLines(log)} (see ${log})`);
        const now = readOwner(dir);
        found = now?.pid === pid ? now.url : undefined;
        return found !== undefined;
      });
    } catch (e) {
      await stopProcess(pid, collector.cmdlineMark, 5000);
      throw e;
    }
    url = found!;
    progress(`started the collector of ${dir} at ${url} (pid ${pid}, log ${log})`);
  }
  // A fixed URL, not the directory: while the collector is down (killed, restarting) the
  // proxies retry this address rather than guess another one (openSink's fallback).
  return { state: { dir, collectorUrl: url, collector }, target: { collectorUrl: url }, proxyArgs: ['--sink', 'store', '--collector-url', url] };
}

/** Stops the collector if this `up` started it; a reused one belongs to someone else. */
export async function stopCollector(store: StoreState | undefined, progress: (line: string) => void): Promise<number> {
  const c = store?.collector;
  if (!c?.startedByUp) return 0;
  // It closes chDB on SIGTERM (finishes in-flight inserts first).
  const outcome = await stopProcess(c.pid, c.cmdlineMark, 15_000);
  progress(`collector (pid ${c.pid}): ${outcome}`);
  return outcome === 'gone' ? 0 : 1;
}

/** One `runs` row for this `up`: run_id, start, label, detail JSON (topology and flags). */
export async function writeRunRow(target: StoreTarget, row: RunRow, progress: (line: string) => void): Promise<void> {
  const sink = openSink({ ...target, closeTimeoutMs: 10_000, log: (line) => progress(`store: ${line}`) });
  sink.write('runs', [row]);
  await sink.close();
  if (sink.dropped().runs > 0) progress(`the runs row of ${row.run_id} could not be stored (${sink.location})`);
}
