import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalClusterState } from '../../cluster/launcher/state-file.js';
import { runCli } from './run-cli.js';

/**
 * A real short measurement run for the dashboard and cookbook tests: `kvnetlab up` 3P-1R
 * with its collector and controller, a YCSB-A load under the same run id, a failover of a
 * replica and a snapshot while the load runs, then quiet seconds, then `down` (the chDB
 * directory is left for the tests to open with openQueryStore).
 */
export interface ShortRunPorts {
  basePort: number;
  collectorPort: number;
  controllerPort: number;
  nodeMetricsPort: number;
  proxyMetricsPort: number;
}

export interface ShortRun {
  runId: string;
  storeDir: string;
  clusterDir: string;
  startedMs: number;
  endedMs: number;
  /** What happened, for messages: each step and its exit code. */
  log: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function shortRun(root: string, p: ShortRunPorts, extraEvents: (dir: string, log: string[]) => Promise<void> = async () => {}): Promise<ShortRun> {
  const clusterDir = join(root, 'cluster');
  const storeDir = join(root, 'store', 'chdb');
  mkdirSync(clusterDir, { recursive: true });
  const log: string[] = [];
  const step = async (args: string[], timeoutMs = 120_000) => {
    const r = await runCli(args, timeoutMs);
    log.push(`${args.slice(0, 2).join(' ')}: exit ${r.code}${r.code === 0 ? '' : ` ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`}`);
    if (r.code !== 0) throw new Error(`kvnetlab ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const startedMs = Date.now();
  await step([
    'up', '--primaries', '3', '--replicas', '1', '--base-port', String(p.basePort), '--node-timeout', '5000', '--dir', clusterDir,
    '--store-dir', storeDir, '--collector-port', String(p.collectorPort), '--controller-port', String(p.controllerPort),
    '--node-metrics-port', String(p.nodeMetricsPort), '--proxy-metrics-port', String(p.proxyMetricsPort),
  ]);
  const state = JSON.parse(readFileSync(join(clusterDir, 'cluster.json'), 'utf8')) as LocalClusterState;
  const runId = state.runId!;
  const replica = state.nodes.find((n) => n.role === 'replica')!;
  const master = state.nodes.find((n) => n.role === 'master')!;
  await sleep(3000); // quiet seconds: the per-event overhead's baseline
  const loadgen = (phase: string, more: string[]) =>
    step(['loadgen', '--preset', 'ycsb-a', '--phase', phase, '--cluster', `127.0.0.1:${p.basePort}`, '--records', '1000', '--connections', '4', '--run-id', runId, '--quiet', '--json', '--store-dir', storeDir, ...more]);
  await loadgen('load', []);
  // The events happen under the run phase's load (open loop, so latency counts from the intended start).
  const load = loadgen('run', ['--duration', '8', '--target', '200']);
  await sleep(2000);
  await step(['event', 'failover', '--node', String(replica.port), '--dir', clusterDir]);
  await step(['event', 'snapshot', '--node', String(master.port), '--dir', clusterDir]);
  await load;
  await extraEvents(clusterDir, log);
  await sleep(3000);
  const endedMs = Date.now();
  await step(['down', '--dir', clusterDir]);
  return { runId, storeDir, clusterDir, startedMs, endedMs, log };
}
