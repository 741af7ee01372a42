import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled CLI, found from this file whether it runs from dist/ or from source. */
export function kvnetlabCli(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the kvnetlab package root');
    dir = up;
  }
  const cli = join(dir, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  return cli;
}

/** Starts a detached process whose output goes to `logFile`; it outlives the launcher. */
export function spawnDetached(cmd: string, args: string[], cwd: string, logFile: string, env?: NodeJS.ProcessEnv): number {
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', out, out], env });
  child.unref();
  closeSync(out); // the child has its own copy
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return child.pid;
}

/**
 * Whether `pid` is alive and still the process we started: its command line must hold
 * `mark` (e.g. `--port 30001`) as whole arguments, so `--port 3000` never matches
 * `--port 30001`. Redis' own title is kept in that form with --proc-title-template.
 */
export function isAlive(pid: number, mark: string): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  // Arguments are NUL-separated; a retitled process (redis) has one space-separated string.
  const args = cmdline.split(/[\0 ]/).filter((a) => a !== '');
  const want = mark.split(' ');
  for (let i = 0; i + want.length <= args.length; i++) {
    if (want.every((w, j) => args[i + j] === w)) return true;
  }
  return false;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: it exited between the check and the signal
  }
}

/** SIGTERM, then SIGKILL after `graceMs` if it is still there. Only a PID whose cmdline carries `mark`. */
export async function stopProcess(pid: number, mark: string, graceMs = 5000): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isAlive(pid, mark)) return 'gone';
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid, mark)) return 'stopped';
    await new Promise((r) => setTimeout(r, 50));
  }
  if (isAlive(pid, mark)) signal(pid, 'SIGKILL');
  return 'killed';
}
