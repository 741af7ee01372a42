import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { cleanupScenario } from '../../scenario/cleanup.js';

export interface ScenarioWorkspace {
  work: string;
  storeDir: string;
  workDir: string;
  results: string;
  runId: string;
  /** `kvnetlab run` flags for this workspace: run id, store, out, work dir, ports. */
  cliArgs(basePort: number, collectorPort: number): string[];
}

/**
 * A temporary directory for one scenario test (store, results, sub-run clusters) and
 * an afterAll that stops whatever the run left (also after a failure) and removes it.
 */
export function scenarioWorkspace(prefix: string, runId: string): ScenarioWorkspace {
  const work = mkdtempSync(join(tmpdir(), `kvnetlab-${prefix}-`));
  const ws: ScenarioWorkspace = {
    work, runId, storeDir: join(work, 'store', 'chdb'), workDir: join(work, 'work'), results: join(work, 'results'),
    cliArgs: (basePort, collectorPort) => ['--run-id', runId, '--base-port', String(basePort), '--collector-port', String(collectorPort),
      '--store-dir', ws.storeDir, '--out', ws.results, '--work-dir', ws.workDir],
  };
  afterAll(async () => {
    await cleanupScenario(ws.workDir, runId, ws.storeDir);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);
  return ws;
}
