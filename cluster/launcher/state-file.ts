import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `kvnetlab up` started, so that `down` stops exactly that and nothing else. */
export interface LocalClusterState {
  kind: 'kvnetlab' | 'redis';
  startedAt: string;
  host: string;
  /** run_id of the proxies' rows and of the `runs` row (telemetry/schema.ts). */
  runId?: string;
  /** Where telemetry goes (absent with --no-store). */
  store?: StoreState;
  nodes: Array<{
    id: string;
    role: 'master' | 'replica';
    /** The public client and bus ports: the proxy's when proxies run, else the node's own. */
    port: number;
    busPort: number;
    /** Where the node itself listens (equal to port/busPort without proxies). */
    nodePort: number;
    nodeBusPort: number;
    pid: number;
    dir: string;
    /** A string that must appear in /proc/<pid>/cmdline, so a reused PID is never killed. */
    cmdlineMark: string;
    /** The command line it was started with (program first): a restart reuses it exactly. */
    argv?: string[];
  }>;
  /** One proxy process per node (proxy/README.md), stopped by `down` after the nodes. */
  proxies: Array<{
    /** The public client port it listens on (its node's `port`). */
    port: number;
    busPort: number;
    pid: number;
    cmdlineMark: string;
    /** Where its rows go (`store`, `jsonl` into `out`, `memory`), its log, its /metrics port if any. */
    sink?: 'store' | 'jsonl' | 'memory';
    out?: string;
    log: string;
    metricsPort?: number;
  }>;
  /** The capture process of `up --capture` (cluster/launcher/capture.ts), stopped by `down` after the proxies. */
  capture?: { pid: number; cmdlineMark: string; log: string; iface: string; out?: string };
}

/** The telemetry store of a cluster (cluster/launcher/store.ts). */
export interface StoreState {
  /** chDB data directory, when the store is a collector on one. */
  dir?: string;
  collectorUrl?: string;
  /** A ClickHouse server instead (password redacted). */
  clickhouseUrl?: string;
  /** The collector process; `down` stops it only if this `up` started it. */
  collector?: { pid: number; cmdlineMark: string; log?: string; startedByUp: boolean };
}

export const STATE_FILE = 'cluster.json';

/**
 * Writes a JSON file that other processes poll (cluster.json, controller.json) through a
 * temporary file and a rename, so a reader never sees it half written (a poll that read
 * it mid-write failed `up` with "Unexpected end of JSON input").
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

export function writeState(dir: string, state: LocalClusterState): string {
  const path = join(dir, STATE_FILE);
  writeJsonAtomic(path, state);
  return path;
}

export function readState(dir: string): LocalClusterState | undefined {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as LocalClusterState;
}
