import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from './errors.js';

/**
 * The owner file of a chDB data directory. chDB (like clickhouse-local) takes one data
 * directory per process, so exactly one process may open it: the collector, or
 * `kvnetlab sql` when no collector runs. The file holds the owner's pid, its start time
 * (field 22 of /proc/<pid>/stat, so a recycled pid is not mistaken for the owner) and,
 * for a collector, the URL writers send rows to.
 */
export interface OwnerInfo {
  pid: number;
  /** Process start time in clock ticks since boot; 0 where /proc is not available. */
  start: number;
  role: 'collector' | 'sql' | 'bench' | 'test';
  url?: string;
}

export const LOCK_FILE = 'owner.json';

function startTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]); // field 22 overall
  } catch {
    return 0;
  }
}

function alive(info: OwnerInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return info.start === 0 || startTicks(info.pid) === info.start;
}

/** The live owner of `dir`, or undefined (no file, or its process is gone). */
export function readOwner(dir: string): OwnerInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as OwnerInfo;
    return alive(info) ? info : undefined;
  } catch {
    return undefined;
  }
}

export interface DirLock {
  /** Record the collector's URL once it listens. */
  setUrl(url: string): void;
  release(): void;
}

/** Take ownership of `dir` or throw STORE_LOCKED naming the live owner. */
export function lockDataDir(dir: string, role: OwnerInfo['role']): DirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const info: OwnerInfo = { pid: process.pid, start: startTicks(process.pid), role };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx'); // O_EXCL: of two racing starters, one wins
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      return {
        setUrl(url) {
          info.url = url;
          writeFileSync(path, JSON.stringify(info));
        },
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(dir);
      if (owner) {
        throw new StoreError(
          'STORE_LOCKED',
          `the chDB data directory ${dir} is owned by pid ${owner.pid} (${owner.role}${owner.url ? ` at ${owner.url}` : ''}); ` +
            'only one process may open it: send rows and queries to that process, or stop it first',
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new StoreError('STORE_LOCKED', `could not take ${path}: another process is starting on ${dir}`);
}
