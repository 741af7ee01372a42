import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { down } from '../../cluster/launcher/up.js';
import { stopCollector } from '../../cluster/launcher/store.js';
import { readOwner } from '../../telemetry/lock.js';
import { isAlive } from '../../cluster/launcher/processes.js';

/**
 * After a scenario test, also a failed one: `down` every sub-run cluster under
 * <workDir>/<runId>/ and stop the collector that owns `storeDir` (only the one the
 * scenario started there: its command line names that directory).
 */
export async function cleanupScenario(workDir: string, runId: string, storeDir: string): Promise<void> {
  const runDir = join(workDir, runId);
  if (existsSync(runDir)) for (const sub of readdirSync(runDir)) await down(join(runDir, sub), () => undefined);
  const owner = readOwner(storeDir);
  const mark = `collector --dir ${storeDir}`;
  if (owner && isAlive(owner.pid, mark)) await stopCollector({ collector: { pid: owner.pid, cmdlineMark: mark, startedByUp: true } }, () => undefined);
}
