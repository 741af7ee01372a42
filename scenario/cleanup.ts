import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { down } from '../cluster/launcher/up.js';
import { stopCollector } from '../cluster/launcher/store.js';
import { readOwner } from '../telemetry/lock.js';
import { isAlive } from '../cluster/launcher/processes.js';

/**
 * After an interrupted run (Ctrl-C) or a failed test: `down` every sub-run cluster
 * under <workDir>/<runId>/ (by the PIDs in their cluster.json, as `kvnetlab down`) and,
 * with `storeDir`, stop the collector that owns it (its command line names that
 * directory; pass it only when this run started that collector).
 */
export async function cleanupScenario(workDir: string, runId: string, storeDir?: string): Promise<void> {
  const runDir = join(resolve(workDir), runId);
  if (existsSync(runDir)) for (const sub of readdirSync(runDir)) await down(join(runDir, sub), () => undefined);
  if (!storeDir) return;
  const dir = resolve(storeDir);
  const owner = readOwner(dir);
  const mark = `collector --dir ${dir}`;
  if (owner && isAlive(owner.pid, mark)) await stopCollector({ collector: { pid: owner.pid, cmdlineMark: mark, startedByUp: true } }, () => undefined);
}
