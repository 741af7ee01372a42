import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isAlive, kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';
import { writeJsonAtomic } from '../cluster/launcher/state-file.js';
import { openSink, type StoreTarget } from '../telemetry/open-sink.js';
import type { RowSink } from '../telemetry/rows.js';
import { buildApp, controllerMetrics } from './app.js';
import { TOKEN_FILE, chooseToken, readTokenFile, writeTokenFile } from './auth.js';
import { EventLog } from './event-log.js';
import { rememberArgv } from './node-process.js';
import { readCluster } from './cluster.js';
import { Runner, type RunnerOptions } from './runner.js';

/** Where a running controller says it listens (run dir), so `kvnetlab event` finds it. */
export const CONTROLLER_FILE = 'controller.json';
export const DEFAULT_CONTROLLER_PORT = 8125;

export interface ControllerOptions extends Partial<Omit<RunnerOptions, 'runDir'>> {
  runDir: string;
  host?: string;
  port?: number;
  token?: string;
  runId: string;
  /** Store flags (cli/store-options.ts); `sink` wins when given (tests). */
  store?: StoreTarget;
  sink?: RowSink | null;
  log?: (line: string) => void;
}

export interface RunningController {
  url: string;
  token: string;
  tokenFile: string;
  app: FastifyInstance;
  runner: Runner;
  close(): Promise<void>;
}

/**
 * Starts the controller in this process: 127.0.0.1 unless told otherwise, a token (given
 * or generated) written to <runDir>/controller.token (0600), its URL to controller.json,
 * every node's command line captured for later restarts.
 */
export async function startController(o: ControllerOptions): Promise<RunningController> {
  const runDir = resolve(o.runDir);
  mkdirSync(runDir, { recursive: true });
  const log = o.log ?? ((line: string) => process.stderr.write(`controller: ${line}\n`));
  const token = chooseToken(o.token);
  const { registry, events: counter } = controllerMetrics();
  const sink = o.sink !== undefined ? o.sink : openSink({ ...o.store, log, registry });
  const eventLog = new EventLog({ runId: o.runId, sink, log, counter });
  const runner = new Runner(eventLog, {
    runDir, timeoutMs: o.timeoutMs ?? 60_000, pauseMs: o.pauseMs ?? 20_000, backlogBytes: o.backlogBytes ?? 64 * 1024 * 1024,
    failoverTries: o.failoverTries ?? 10, failoverTryMs: o.failoverTryMs ?? 5_000,
  });
  if (existsSync(join(runDir, 'cluster.json'))) await rememberArgv(runDir, readCluster(runDir)).catch(() => undefined);
  const app = buildApp({ service: runner, token, runDir, registry });
  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? DEFAULT_CONTROLLER_PORT });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 0);
  const url = `http://${o.host ?? '127.0.0.1'}:${port}`;
  const tokenFile = writeTokenFile(runDir, token);
  writeJsonAtomic(join(runDir, CONTROLLER_FILE), { url, pid: process.pid, runId: o.runId });
  return {
    url, token, tokenFile, app, runner,
    close: async () => {
      await app.close();
      await runner.idle;
      if (sink && sink !== o.sink) await sink.close();
      rmSync(join(runDir, CONTROLLER_FILE), { force: true });
    },
  };
}

export function readControllerFile(runDir: string): { url: string; pid: number; runId: string } | undefined {
  const path = join(resolve(runDir), CONTROLLER_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { url: string; pid: number; runId: string }) : undefined;
}

export interface SpawnedController {
  pid: number;
  /** For isAlive/stopProcess (cluster/launcher/processes.ts), as `down` uses them. */
  cmdlineMark: string;
  url: string;
  token: string;
  tokenFile: string;
}

/**
 * For `kvnetlab up`: the controller as a detached process beside the nodes (log in
 * <runDir>/controller.log), started after cluster.json is written. Resolves once it
 * listens (its controller.json names its pid), with its URL and token for `up` to print.
 * `args` are extra `kvnetlab controller` flags (--port, --token, --pause, store flags).
 */
export async function spawnController(runDir: string, args: string[] = [], timeoutMs = 30_000): Promise<SpawnedController> {
  const dir = resolve(runDir);
  rmSync(join(dir, CONTROLLER_FILE), { force: true });
  const pid = spawnDetached(process.execPath, [kvnetlabCli(), 'controller', '--dir', dir, ...args], dir, join(dir, 'controller.log'));
  const cmdlineMark = `controller --dir ${dir}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = readControllerFile(dir);
    if (f?.pid === pid) return { pid, cmdlineMark, url: f.url, token: readTokenFile(dir) ?? '', tokenFile: join(dir, TOKEN_FILE) };
    if (!isAlive(pid, cmdlineMark)) throw new Error(`the controller exited at start; see ${join(dir, 'controller.log')}`);
    if (Date.now() > deadline) {
      await stopProcess(pid, cmdlineMark, 2000);
      throw new Error(`the controller did not listen within ${timeoutMs} ms; see ${join(dir, 'controller.log')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** For `kvnetlab down`: stop the controller spawnController started (SIGTERM: it waits for running events). */
export async function stopController(runDir: string, graceMs = 10_000): Promise<'stopped' | 'killed' | 'gone'> {
  const dir = resolve(runDir);
  const f = readControllerFile(dir);
  if (!f) return 'gone';
  return stopProcess(f.pid, `controller --dir ${dir}`, graceMs);
}
