import { type RunSpec, type Scenario, type ScenarioEventKind, type Topology, eventsOf } from './schema.js';

/** One cell of the run matrix: one cluster, one memory state, one run kind. */
export interface SubRun {
  /** Position in the matrix (0-based), also the order they run in. */
  index: number;
  /** Store run id of its rows: `<run id>/<index>`; the scenario's rows use the run id itself. */
  runId: string;
  topology: Topology;
  memoryMiB: number;
  run: RunSpec;
  events: ScenarioEventKind[];
  /** `3-1 64MiB lp-pull` */
  label: string;
}

/** `quick-20261121T223001Z`: the scenario's name and its start, safe in paths and SQL. */
export function newRunId(name: string, now = new Date()): string {
  return `${name}-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/**
 * topologies x memory states x runs, topology outermost (one port layout at a time),
 * then memory, then the runs in file order, as the paper's figures group them.
 * `only` keeps the sub-runs whose label matches (a regular expression).
 */
export function expandMatrix(s: Scenario, runId: string, only?: RegExp): SubRun[] {
  const out: SubRun[] = [];
  for (const topology of s.topologies) {
    for (const memoryMiB of s.memoryMiB) {
      for (const run of s.runs) {
        const label = `${topology.label} ${memoryMiB}MiB ${run.label}`;
        if (only && !only.test(label)) continue;
        const index = out.length;
        out.push({ index, runId: `${runId}/${index}`, topology, memoryMiB, run, events: eventsOf(run, s.schedule), label });
      }
    }
  }
  return out;
}

/**
 * When the i-th event may start (ms since the epoch): the schedule's time after the
 * warm-up, or, if the previous event ran late, `gapMs` after it ended (events never
 * overlap, so each window is one event's).
 */
export function eventDueMs(s: Scenario, measureStartMs: number, i: number, previousEndMs: number, gapMs = 1000): number {
  const scheduled = measureStartMs + (s.warmupS + s.schedule.firstS + i * s.schedule.everyS) * 1000;
  return i === 0 ? scheduled : Math.max(scheduled, previousEndMs + gapMs);
}

/** Rough length of a sub-run in seconds (ETA before it ran; CP events guessed at 12 s per group). */
export function estimateS(s: Scenario, r: SubRun): number {
  const upS = 4 + r.topology.primaries * (1 + r.topology.replicas) * 0.7;
  // A migration cell: the load alone, then a move of 2-7 s (migration/README.md "Measured"), then its router and load stop.
  if (r.run.kind === 'migration') return upS + s.migration.protocols.length * s.migration.writeRatios.length * (s.migration.beforeS + 6) + 4;
  const fillS = r.memoryMiB / 20;
  const eventS = r.events.reduce((t, e) => t + (e.startsWith('cp-') ? r.topology.primaries * (12 + s.cpPauseS) : e === 'failover' ? 4 : 2), 0);
  const scheduleS = r.events.length === 0 ? s.schedule.firstS + (s.schedule.count - 1) * s.schedule.everyS : s.schedule.firstS + eventS + (r.events.length - 1) * Math.max(1, s.schedule.everyS - 2);
  return upS + fillS + s.warmupS + scheduleS + s.tailS + 4;
}
