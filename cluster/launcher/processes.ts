import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
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
export function spawnDetached(cmd: string, args: string[], cwd: string, logFile: string): number {
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', out, out] });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return child.pid;
}

export function isAlive(pid: number, mark: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes(mark);
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs` if it is still there. Only a PID whose cmdline carries `mark`. */
export async function stopProcess(pid: number, mark: string, graceMs = 5000): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isAlive(pid, mark)) return 'gone';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid, mark)) return 'stopped';
    await new Promise((r) => setTimeout(r, 50));
  }
  if (isAlive(pid, mark)) process.kill(pid, 'SIGKILL');
  return 'killed';
}
