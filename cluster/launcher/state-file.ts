import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `kvnetlab up` started, so that `down` stops exactly that and nothing else. */
export interface LocalClusterState {
  kind: 'kvnetlab' | 'redis';
  startedAt: string;
  host: string;
  nodes: Array<{
    id: string;
    role: 'master' | 'replica';
    port: number;
    busPort: number;
    pid: number;
    dir: string;
    /** A string that must appear in /proc/<pid>/cmdline, so a reused PID is never killed. */
    cmdlineMark: string;
  }>;
}

export const STATE_FILE = 'cluster.json';

export function writeState(dir: string, state: LocalClusterState): string {
  const path = join(dir, STATE_FILE);
  writeFileSync(path, JSON.stringify(state, null, 2) + '\n');
  return path;
}

export function readState(dir: string): LocalClusterState | undefined {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as LocalClusterState;
}
