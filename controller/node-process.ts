import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GiveUp, call, callText, fields, sleep } from '../cluster/launcher/admin.js';
import { within } from './node-roles.js';
import { isAlive, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';
import { STATE_FILE, writeJsonAtomic } from '../cluster/launcher/state-file.js';
import type { ClusterFile, NodeEntry } from './cluster.js';
import { ControllerError } from './errors.js';

/**
 * Node processes, handled the way cluster/launcher does (spawnDetached, stopProcess,
 * isAlive with the cmdline mark). A restart reuses the node's exact command line and
 * directory, so it loads its snapshot and nodes.conf and rejoins as itself.
 *
 * The command line: the state file's `argv` when the launcher records one; else the one
 * this controller captured (controller-argv.json in the run directory): /proc/<pid>/cmdline
 * for a kvnetlab node; for redis-server, which rewrites its process title, the launcher's
 * flags rebuilt from CONFIG GET of the running server.
 */
export const ARGV_FILE = 'controller-argv.json';

type ArgvCache = Record<string, string[]>;

function readCache(runDir: string): ArgvCache {
  const path = join(runDir, ARGV_FILE);
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ArgvCache) : {};
  } catch {
    return {};
  }
}

async function configGet(host: string, port: number, name: string): Promise<string> {
  const r = await call(host, port, ['CONFIG', 'GET', name]);
  if (r.t === 'array' && r.v && r.v[1]?.t === 'bulk' && r.v[1].v) return r.v[1].v.toString();
  throw new ControllerError('NODE_UNREACHABLE', `CONFIG GET ${name} on port ${port} failed`);
}

/** Reads the running node's command line (see above); undefined if it is not running. */
export async function captureArgv(file: ClusterFile, n: NodeEntry): Promise<string[] | undefined> {
  if (n.argv) return n.argv;
  if (!isAlive(n.pid, n.cmdlineMark)) return undefined;
  if (file.kind === 'kvnetlab') {
    const args = readFileSync(`/proc/${n.pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    return args.length > 1 ? args : undefined;
  }
  const get = (name: string) => configGet(file.host, n.adminPort, name);
  // The same flags as cluster/launcher/up.ts gives redis-server.
  return [
    // Its own ports, not n.port: behind a proxy it listens internally and announces the proxy's.
    'redis-server', '--port', await get('port'), '--cluster-port', await get('cluster-port'), '--bind', (await get('bind')).split(' ')[0]!, '--cluster-enabled', 'yes',
    '--cluster-config-file', await get('cluster-config-file'), '--cluster-node-timeout', await get('cluster-node-timeout'),
    '--cluster-announce-ip', await get('cluster-announce-ip'), '--cluster-announce-port', await get('cluster-announce-port'),
    '--cluster-announce-bus-port', await get('cluster-announce-bus-port'), '--replica-announce-port', await get('replica-announce-port'),
    '--dir', await get('dir'),
    '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--proc-title-template', '{title} --port {port}',
  ];
}

/** Capture and remember every running node's command line (at controller start and before each stop). */
export async function rememberArgv(runDir: string, file: ClusterFile, only?: NodeEntry): Promise<void> {
  const cache = readCache(runDir);
  for (const n of only ? [only] : file.nodes) {
    try {
      const argv = await captureArgv(file, n);
      if (argv) cache[String(n.port)] = argv;
    } catch {
      // not answering now: keep what we had
    }
  }
  writeFileSync(join(runDir, ARGV_FILE), JSON.stringify(cache, null, 2) + '\n');
}

function argvOf(runDir: string, n: NodeEntry): string[] {
  const argv = n.argv ?? readCache(runDir)[String(n.port)];
  if (!argv) throw new ControllerError('BAD_STATE', `no command line known for node ${n.port}: it was not running when the controller started`);
  return argv;
}

/** `argv` with `--code-version <v>` set (replaced, or appended). */
export function withCodeVersion(argv: string[], v: string): string[] {
  const out = [...argv];
  const i = out.indexOf('--code-version');
  if (i >= 0 && i + 1 < out.length) out[i + 1] = v;
  else out.push('--code-version', v);
  return out;
}

/** The next code version: the trailing number bumped (v1 -> v2, 1.0.9 -> 1.0.10), else `<v>-next`. */
export function nextCodeVersion(v: string): string {
  const m = /^(.*?)(\d+)$/.exec(v);
  return m ? `${m[1]}${Number(m[2]) + 1}` : `${v}-next`;
}

/** Waits (bounded) for the process to be gone. */
async function waitExit(n: NodeEntry, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(n.pid, n.cmdlineMark)) {
    if (Date.now() > deadline) throw new ControllerError('NODE_UNREACHABLE', `node ${n.port} (pid ${n.pid}) did not exit within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** kill -9: a crash, no snapshot, no goodbye (the peers find out by node timeout). */
export async function killNode(runDir: string, file: ClusterFile, n: NodeEntry, timeoutMs: number): Promise<'killed' | 'gone'> {
  if (!isAlive(n.pid, n.cmdlineMark)) return 'gone';
  await rememberArgv(runDir, file, n);
  try {
    process.kill(n.pid, 'SIGKILL');
  } catch {
    // exited between the check and the signal
  }
  await waitExit(n, timeoutMs);
  return 'killed';
}

/**
 * SHUTDOWN SAVE (write the snapshot the restart loads; a replica's carries its
 * replication id and offset, so it can PSYNC from there: rdb.c rdbPopulateSaveInfo) or
 * SHUTDOWN NOSAVE; SIGTERM/SIGKILL if the process does not exit in time.
 */
export async function shutdownNode(runDir: string, file: ClusterFile, n: NodeEntry, save: boolean, timeoutMs: number): Promise<void> {
  if (!isAlive(n.pid, n.cmdlineMark)) return;
  await rememberArgv(runDir, file, n);
  try {
    await call(file.host, n.adminPort, ['SHUTDOWN', save ? 'SAVE' : 'NOSAVE'], timeoutMs);
  } catch {
    // the connection closes as the node exits: expected
  }
  try {
    await waitExit(n, timeoutMs);
  } catch {
    await stopProcess(n.pid, n.cmdlineMark, 2000);
  }
}

/** Starts the node again with its command line and dir, records the new PID in the state file, waits for PING. */
export async function startNode(runDir: string, file: ClusterFile, n: NodeEntry, timeoutMs: number, codeVersion?: string): Promise<number> {
  if (isAlive(n.pid, n.cmdlineMark)) throw new ControllerError('BAD_STATE', `node ${n.port} is already running (pid ${n.pid})`);
  let argv = argvOf(runDir, n);
  // Conventional patching restarts a node as "the new version": a kvnetlab node's
  // --code-version (INFO server kvnetlab_version), kept for its later restarts.
  if (codeVersion !== undefined) argv = n.argv = withCodeVersion(argv, codeVersion);
  const pid = spawnDetached(argv[0]!, argv.slice(1), n.dir, join(n.dir, 'node.log'));
  setPid(runDir, n.port, pid, codeVersion !== undefined ? argv : undefined);
  n.pid = pid;
  await within(`node ${n.port} to answer PING after its restart`, timeoutMs, async () => {
    if (!isAlive(pid, n.cmdlineMark)) throw new GiveUp(`node ${n.port} exited right after its restart; see ${n.dir}/node.log`);
    const info = fields(await callText(file.host, n.adminPort, ['INFO', 'server']));
    if (Number(info.process_id) !== pid) throw new GiveUp(`port ${n.port} is served by another process (pid ${info.process_id})`);
    return true;
  });
  return pid;
}

/** Read-modify-write of cluster.json: only this node's pid changes, every other field (proxies too) is kept. */
function setPid(runDir: string, port: number, pid: number, argv?: string[]): void {
  const path = join(resolve(runDir), STATE_FILE);
  const state = JSON.parse(readFileSync(path, 'utf8')) as { nodes: Array<{ port?: number; pid?: number; kind?: string; argv?: string[] }> };
  for (const n of state.nodes) {
    if (n.port !== port || (n.kind !== undefined && n.kind !== 'node')) continue;
    n.pid = pid;
    if (argv) n.argv = argv;
  }
  writeJsonAtomic(path, state);
}

/** The node's snapshot file (CONFIG GET dir + dbfilename), for cp-full's delete and snapshot's size. */
export async function snapshotPath(file: ClusterFile, n: NodeEntry): Promise<string> {
  return join(await configGet(file.host, n.adminPort, 'dir'), await configGet(file.host, n.adminPort, 'dbfilename'));
}
