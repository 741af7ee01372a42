import { preset } from '../loadgen/presets.js';
import { runLoadgen } from '../loadgen/main.js';
import type { MigrationTableRow } from '../migration/table.js';
import type { RowSink } from '../telemetry/rows.js';
import type { Store } from '../telemetry/store.js';
import type { RunningCluster } from './cluster-life.js';
import type { EventBody, EventView } from './controller-client.js';
import { ScenarioError } from './errors.js';
import { type SubRun, eventDueMs } from './matrix.js';
import { fillMemory } from './memory-fill.js';
import { runMigrationTimeline } from './migration-run.js';
import { PatchFiles, codeVersion } from './patches.js';
import type { Scenario, ScenarioEventKind } from './schema.js';

/** What happened in one sub-run, on the wall clock (ms since the epoch). */
export interface SubRunResult {
  sub: SubRun;
  /** After the fill: the warm-up starts here. */
  measureStartMs: number;
  /** Warm-up end: the analysis starts here. */
  warmupEndMs: number;
  measureEndMs: number;
  fillKeys: number;
  events: ScenarioEventResult[];
  /** A `migration` run: the table as measured in this process (the report's is SQL on the store). */
  migration?: MigrationTableRow[];
}

export interface ScenarioEventResult {
  kind: ScenarioEventKind;
  id: string;
  state: 'ok' | 'failed';
  startMs: number;
  endMs: number;
  detail: Record<string, unknown>;
  error?: string;
  /** Live-patch phases (one `apply` per node) as the contract records them. */
  phases: EventView[];
}

export interface TimelineOptions {
  /** Sink for the light load's ops rows (runs rows are dropped: up wrote the sub-run's). */
  sink: RowSink;
  log: (line: string) => void;
  /** Longest wait for one event. */
  eventTimeoutMs: number;
  /** The store, for a `migration` run's byte sums. */
  query?: Pick<Store, 'query'>;
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

/**
 * fill -> warm-up (dropped) -> the events, each on its scheduled time or 1 s after the
 * previous one ended -> tail. The light load, if any, runs from the warm-up to the end.
 * A failed event is recorded and the run goes on (the report shows it).
 */
export async function runTimeline(s: Scenario, sub: SubRun, c: RunningCluster, o: TimelineOptions): Promise<SubRunResult> {
  if (sub.run.kind === 'migration') {
    if (!o.query) throw new ScenarioError('UNAVAILABLE', 'a migration run needs the store to sum its bytes');
    return runMigrationTimeline(s, sub, c, { sink: o.sink, query: o.query, log: o.log });
  }
  const seedPort = c.state.nodes[0]!.port;
  const fillKeys = await fillMemory({
    host: '127.0.0.1', seedPort, mib: sub.memoryMiB, timeoutMs: 600_000,
    progress: (done, total) => { if (done === total || done % 8192 === 0) o.log(`fill ${done}/${total} keys`); },
  });
  // The load's records are written before the warm-up too: their replication would
  // otherwise inflate the baseline rate.
  if (s.load) await loadgen(s, sub, seedPort, o, 'load', () => false);
  const ports = c.state.nodes.map((n) => n.port);
  const patches = new PatchFiles(c.dir, s.patchBytes, () => codeVersion('127.0.0.1', ports));
  const lpVersions = sub.events.filter((e) => e.startsWith('lp-')).map((_, i) => i + 1);
  // A build without live patching fails here already; the events then fail one by one.
  if (lpVersions.length > 0) await patches.prepare(lpVersions).catch((e: Error) => o.log(`patches: ${e.message}`));
  const measureStartMs = Date.now();
  let stopLoad = false;
  const load = s.load ? loadgen(s, sub, seedPort, o, 'run', () => stopLoad) : Promise.resolve();
  const events: ScenarioEventResult[] = [];
  let previousEnd = 0;
  let patchVersion = 0;
  try {
    for (const [i, kind] of sub.events.entries()) {
      await sleepUntil(eventDueMs(s, measureStartMs, i, previousEnd));
      o.log(`event ${i + 1}/${sub.events.length}: ${kind}`);
      const r = await runEvent(kind, () => eventBody(kind, c, patches, () => ++patchVersion, s.cpPauseS), c, o.eventTimeoutMs);
      events.push(r);
      o.log(`event ${kind}: ${r.state} in ${r.endMs - r.startMs} ms${r.error ? ` (${r.error})` : ''}`);
      previousEnd = r.endMs;
    }
    const lastScheduled = measureStartMs + (s.warmupS + s.schedule.firstS + (s.schedule.count - 1) * s.schedule.everyS) * 1000;
    // An event-less run (Baseline, No Patch) lasts as long as an LP run's schedule.
    const end = (sub.events.length === 0 ? lastScheduled : Math.max(previousEnd, Date.now())) + s.tailS * 1000;
    await sleepUntil(end);
  } finally {
    stopLoad = true;
    await load;
  }
  return { sub, measureStartMs, warmupEndMs: measureStartMs + s.warmupS * 1000, measureEndMs: Date.now(), fillKeys, events };
}

async function eventBody(kind: ScenarioEventKind, c: RunningCluster, patches: PatchFiles, nextVersion: () => number, pauseS: number): Promise<EventBody> {
  switch (kind) {
    case 'lp-pull':
    case 'lp-push':
      return { kind: 'live-patch', method: kind === 'lp-pull' ? 'pull' : 'push', patch: await patches.file(nextVersion()) };
    case 'cp-partial':
    case 'cp-full':
      return { kind, pauseMs: Math.round(pauseS * 1000) };
    case 'failover':
      return { kind: 'failover', node: await c.api.someReplica() };
  }
}

async function runEvent(kind: ScenarioEventKind, body: () => Promise<EventBody>, c: RunningCluster, timeoutMs: number): Promise<ScenarioEventResult> {
  const started = Date.now();
  try {
    const accepted = await c.api.submit(await body());
    const ev = await c.api.waitEnd(accepted.id, timeoutMs);
    return {
      kind, id: ev.id, state: ev.state === 'ok' ? 'ok' : 'failed', startMs: ev.startMs, endMs: ev.endMs || Date.now(),
      detail: ev.detail, error: ev.error ? `${ev.error.code}: ${ev.error.message}` : undefined, phases: ev.phases,
    };
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    return { kind, id: '', state: 'failed', startMs: started, endMs: Date.now(), detail: {}, error: e.message, phases: [] };
  }
}

/** The light client load (loadgen in this process): its records, or its open-loop run until told to stop. */
async function loadgen(s: Scenario, sub: SubRun, seedPort: number, o: TimelineOptions, phase: 'load' | 'run', stopped: () => boolean): Promise<void> {
  const l = s.load!;
  const spec = { ...preset(l.preset), recordCount: l.records, operationCount: 0, durationS: 24 * 3600 };
  const sink: RowSink = {
    write: (table, rows) => { if (table !== 'runs') o.sink.write(table, rows); },
    flush: () => o.sink.flush(), close: async () => undefined, dropped: () => o.sink.dropped(),
  };
  try {
    const summary = await runLoadgen({
      spec, phase, seeds: [{ host: '127.0.0.1', port: seedPort }], connections: l.connections, target: l.target,
      seed: 1, memoryBytes: 0, runId: sub.runId, out: null, sink, progress: () => undefined, stopped,
      // The run phase remembers every acknowledged write and reads each key back at the
      // end: the acknowledged writes lost across all of the run's events (loadgen --verify).
      verify: phase === 'run',
    });
    o.log(phase === 'load' ? `load: ${summary.load?.records ?? 0} records written` : `load: ${summary.operations} operations, ${summary.throughput_ops} ops/s`);
    const v = summary.verify;
    if (v) o.log(`verify: ${v.acknowledged_writes} acknowledged writes to ${v.keys} keys across the run's events: ${v.lost} lost, ${v.stale} stale, ${v.unreadable} unreadable`);
  } catch (e) {
    o.log(`load failed: ${(e as Error).message}`);
  }
}
