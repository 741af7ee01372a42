import { randomUUID } from 'node:crypto';
import type { RowSink } from '../telemetry/rows.js';
import { type KvClient, type Seed, connectCluster, connectStandalone, isStandalone } from './connect.js';
import { LoadgenError } from './errors.js';
import { JsonLinesSink } from '../telemetry/local-sinks.js';
import { type WorkloadSpec, checkSpec } from './presets.js';
import { seededRandom } from './random.js';
import { loadPhase, runPhase } from './runner.js';
import { Recorder } from './stats.js';
import { type RunSummary, summarize } from './summary.js';
import { Verifier } from './verify.js';
import { Workload } from './workload.js';

/** Everything one `kvnetlab loadgen` invocation needs, already validated. */
export interface LoadgenConfig {
  spec: WorkloadSpec;
  phase: 'load' | 'run' | 'both';
  seeds: Seed[];
  /** true/false = forced; undefined = ask the first seed (INFO cluster). */
  standalone?: boolean;
  connections: number;
  target: number;
  seed: number;
  memoryBytes: number;
  runId: string;
  /** JSON-lines file for the ops rows (and the run row); null = no rows. */
  out: string | null;
  /** A sink given by the caller (e.g. telemetry's openSink) instead of `out`. */
  sink?: RowSink;
  progress: (line: string, done: boolean) => void;
  /** Remember every write and read each key back at the end (lost / stale acknowledged writes). */
  verify?: boolean;
  /** Polled by both phases: true stops them early, and the summary covers what was done. */
  stopped?: () => boolean;
  /** Called between the load and the run phase, clients connected (tests move a slot here). */
  beforeRun?: () => Promise<void>;
  /** Called after the run phase, before --verify reads back (tests damage a key here). */
  afterRun?: () => Promise<void>;
  /** Wraps every client (migration/loadgen-client.ts: a migration protocol's routing). */
  wrapClient?: (client: KvClient) => KvClient;
}

export function newRunId(): string {
  return `loadgen-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
}

/** load and/or run, then the summary. Closes every client and the sink, also on failure. */
export async function runLoadgen(c: LoadgenConfig): Promise<RunSummary> {
  checkSpec(c.spec);
  const standalone = c.standalone ?? (await isStandalone(c.seeds[0]!).catch((e: Error) => {
    throw new LoadgenError('CONNECT_FAILED', `cannot reach ${c.seeds[0]!.host}:${c.seeds[0]!.port}: ${e.message}`);
  }));
  const sink = c.sink ?? (c.out ? new JsonLinesSink(c.out) : null);
  const clients: KvClient[] = [];
  try {
    for (let i = 0; i < c.connections; i++) {
      const client = standalone ? await connectStandalone(c.seeds[0]!) : await connectCluster(c.seeds);
      clients.push(c.wrapClient ? c.wrapClient(client) : client);
    }
    const spec = { ...c.spec };
    const verifier = c.verify ? new Verifier() : undefined;
    let load: RunSummary['load'];
    if (c.phase !== 'run') {
      const w = new Workload(spec, seededRandom(c.seed), verifier);
      const r = await loadPhase(w, clients, { records: c.memoryBytes > 0 ? 1e9 : spec.recordCount, memoryBytes: c.memoryBytes, progress: c.progress, stopped: c.stopped });
      load = { records: r.records, errors: r.errors, runtime_ms: r.runtimeMs, used_memory: r.usedMemory };
      spec.recordCount = r.records;
    }
    await c.beforeRun?.();
    const started = Date.now();
    sink?.write('runs', [{ run_id: c.runId, started_ms: started, label: `loadgen ${spec.preset}`, detail: JSON.stringify({ spec, phase: c.phase, target: c.target, connections: c.connections, seed: c.seed, standalone, seeds: c.seeds }) }]);
    const w = new Workload(spec, seededRandom(c.seed + 1), verifier);
    const rec = new Recorder(c.phase === 'load' ? [] : w.ops, c.runId, sink);
    let runtimeMs = 0;
    if (c.phase !== 'load') {
      const r = await runPhase(w, clients, rec, { target: c.target, operationCount: spec.operationCount, durationMs: spec.durationS * 1000, missDelayMs: spec.missDelayMs, stopped: c.stopped });
      runtimeMs = r.runtimeMs;
    }
    await c.afterRun?.();
    const verify = verifier ? await verifier.check(clients[0]!) : undefined;
    return summarize(rec, { run_id: c.runId, preset: spec.preset, mode: c.target > 0 ? 'open' : 'closed', target_ops: c.target, runtime_ms: runtimeMs, load, verify });
  } finally {
    await Promise.all(clients.map((cl) => cl.close()));
    if (sink && !c.sink) await sink.close();
  }
}
