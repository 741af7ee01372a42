import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { down, up, type UpOptions } from '../cluster/launcher/up.js';
import type { LocalClusterState } from '../cluster/launcher/state-file.js';
import { type RunningController, startController } from '../controller/start.js';
import { ControllerClient } from './controller-client.js';
import type { SubRun } from './matrix.js';
import type { Scenario } from './schema.js';

export interface ClusterLifeOptions {
  /** Where every sub-run's cluster directory goes (`<workDir>/<index>`). */
  workDir: string;
  basePort: number;
  /** The collector (or server) every process writes to; fixed for the whole run. */
  store: { dir: string; collectorPort: number; collectorUrl?: string; clickhouseUrl?: string };
  scenarioRunId: string;
  timeoutMs: number;
  log: (line: string) => void;
}

export interface RunningCluster {
  state: LocalClusterState;
  dir: string;
  controller: RunningController;
  api: ControllerClient;
  stop(): Promise<void>;
}

/**
 * One sub-run's cluster: `up` (Baseline without patch support, the paper's "no bus
 * extension"), its runs row carrying topology, memory and kind; then the controller in
 * this process on a free port, writing events under the sub-run's id. Talked to over
 * HTTP with its token file, as any user would. `stop` = controller, then `down`.
 */
export async function startSubRunCluster(s: Scenario, sub: SubRun, o: ClusterLifeOptions): Promise<RunningCluster> {
  const dir = join(o.workDir, String(sub.index));
  mkdirSync(dir, { recursive: true });
  // Baseline = `up --no-patch-support`: nodes without the bus extension.
  const options: UpOptions = {
    primaries: sub.topology.primaries,
    replicas: sub.topology.replicas,
    basePort: o.basePort,
    nodeTimeout: s.nodeTimeoutMs,
    dir,
    host: '127.0.0.1',
    redis: false,
    store: o.store,
    timeoutMs: o.timeoutMs,
    progress: (line) => o.log(`up: ${line}`),
    patchSupport: sub.run.kind !== 'baseline',
    runId: sub.runId,
    runLabel: `${s.name} ${sub.label}`,
    runDetail: {
      scenario: s.name, scenario_run: o.scenarioRunId, sub_run: sub.index, topology_label: sub.topology.label,
      memory_mib: sub.memoryMiB, run_kind: sub.run.kind, run_label: sub.run.label, events: sub.events,
      patch_support: sub.run.kind !== 'baseline',
    },
  };
  const state = await up(options);
  let controller: RunningController;
  try {
    controller = await startController({
      runDir: dir, port: 0, runId: sub.runId,
      store: o.store.clickhouseUrl ? { clickhouseUrl: o.store.clickhouseUrl } : { collectorUrl: state.store?.collectorUrl ?? o.store.collectorUrl },
      pauseMs: s.cpPauseS * 1000, timeoutMs: Math.max(60_000, s.nodeTimeoutMs * 4),
      log: (line) => o.log(`controller: ${line}`),
    });
  } catch (e) {
    await down(dir, () => undefined);
    throw e;
  }
  return {
    state, dir, controller,
    api: ControllerClient.fromDir(controller.url, dir),
    async stop() {
      await controller.close();
      await down(dir, (line) => o.log(`down: ${line}`));
    },
  };
}
