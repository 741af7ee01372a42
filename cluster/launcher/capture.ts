import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GiveUp, waitFor } from './admin.js';
import { isAlive, kvnetlabCli, spawnDetached, stopProcess } from './processes.js';
import type { LocalClusterState } from './state-file.js';

/**
 * `kvnetlab up --capture`: one `kvnetlab capture` process for the whole cluster
 * (capture/README.md), started after the nodes are spawned and written to cluster.json
 * (it reads the port map from there, and the node ids once up has written them) and
 * before the proxies, so it sees every connection from its SYN on. `down` stops it
 * after the proxies, so the last bytes and FINs of their connections are counted.
 */
export interface CaptureSpawn {
  dir: string;
  iface: string;
  runId: string;
  /** With a store: the flags saying where (the proxies' `--sink store ...`) and the environment. */
  storeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  bufferMb?: number;
  /** Serve the capture's Prometheus /metrics on this port. */
  metricsPort?: number;
  timeoutMs: number;
}

export type CaptureState = NonNullable<LocalClusterState['capture']>;

export async function startCapture(o: CaptureSpawn): Promise<CaptureState> {
  const capDir = join(o.dir, 'capture');
  mkdirSync(capDir, { recursive: true });
  const log = join(capDir, 'capture.log');
  const out = join(capDir, 'capture.jsonl');
  const args = [
    kvnetlabCli(), 'capture', '--iface', o.iface, '--ports', 'auto', '--dir', o.dir, '--run-id', o.runId,
    ...(o.storeArgs ?? ['--sink', 'jsonl', '--out', out]),
    ...(o.bufferMb ? ['--buffer-mb', String(o.bufferMb)] : []),
    ...(o.metricsPort === undefined ? [] : ['--metrics-port', String(o.metricsPort)]),
  ];
  const pid = spawnDetached(process.execPath, args, capDir, log, o.env);
  // The interface, the port source and `--dir <dir>` as whole arguments: this cluster's
  // capture and no other (two clusters may both capture on lo).
  const state: CaptureState = { pid, cmdlineMark: `capture --iface ${o.iface} --ports auto --dir ${o.dir}`, log, iface: o.iface, out: o.storeArgs ? undefined : out };
  await waitFor('capture to open the interface', o.timeoutMs, async () => {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    if (/:C \S+ capturing on /.test(text)) return true;
    if (!isAlive(pid, state.cmdlineMark)) throw new GiveUp(`capture exited: ${text.trim().split('\n').slice(-8).join('\n') || `see ${log}`}`);
    return false;
  }, 100);
  return state;
}

export async function stopCapture(c: CaptureState | undefined, progress: (line: string) => void): Promise<number> {
  if (!c) return 0;
  const outcome = await stopProcess(c.pid, c.cmdlineMark, 15_000);
  progress(`capture on ${c.iface} (pid ${c.pid}): ${outcome}`);
  return outcome === 'gone' ? 0 : 1;
}
