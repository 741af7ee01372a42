import { PRESETS, type PresetName } from '../loadgen/presets.js';
import type { ProtocolName } from '../migration/protocol.js';
import type { SlotRange } from '../migration/slots.js';

/**
 * The scenario file (scenarios/*.yaml), validated. Times are seconds of the scenario's
 * own clock; the paper's values (DESIGN.md "The paper's network experiment") are scaled
 * in the file, never in code.
 *
 *   name: network-overhead
 *   topologies: [3-1, 9-1]          # primaries-replicas
 *   memory_mib: [0, 64]             # memory state filled before each run (4096 B values)
 *   warmup_s: 10                    # measured from the end of the fill, dropped in analysis
 *   schedule: { first_s: 15, every_s: 20, count: 10 }   # after the warm-up
 *   tail_s: 10                      # measured after the last event ended
 *   runs: [{ kind: baseline }, { kind: lp-pull }, ...]
 */

/** What one run of the matrix does (one cluster per run). */
export const RUN_KINDS = ['baseline', 'no-patch', 'lp-pull', 'lp-push', 'cp-partial', 'cp-full', 'failover', 'sequence', 'migration'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** Events the runner triggers through the controller. */
export const EVENT_KINDS = ['lp-pull', 'lp-push', 'cp-partial', 'cp-full', 'failover'] as const;
export type ScenarioEventKind = (typeof EVENT_KINDS)[number];

export interface Topology {
  primaries: number;
  replicas: number;
  /** `3-1`: the paper's P-R notation. */
  label: string;
}

export interface Schedule {
  /** First event, seconds after the warm-up (the paper: 15). */
  firstS: number;
  /** Between event starts (the paper: 50); a late event starts when the previous one ended. */
  everyS: number;
  /** Events of an lp-* run (the paper: 10). cp-* and failover runs have one. */
  count: number;
}

export interface LoadSpec {
  preset: PresetName;
  /** Operations per second (open loop); 0 = closed loop. */
  target: number;
  connections: number;
  records: number;
}

/**
 * A `migration` run (NetMigrate's comparison, migration/table.ts): on its own cluster,
 * for every protocol and write ratio, a closed-loop load on the range's keys, then the
 * move of the range to the other master; the range moves back and forth, so every cell
 * sees the same data.
 */
export interface MigrationSpec {
  protocols: ProtocolName[];
  /** Percent of SETs. */
  writeRatios: number[];
  slots: SlotRange;
  /** Keys written into the range (the data moved), and their value size. */
  keys: number;
  valueBytes: number;
  /** Closed-loop clients of the load. */
  clients: number;
  /** Load alone before each move: the "before" window. */
  beforeS: number;
  /** Pause after each group (pacing). */
  groupPauseMs: number;
}

export interface RunSpec {
  kind: RunKind;
  /** Only `sequence`: the events, one at each scheduled time. */
  events: ScenarioEventKind[];
  /** Shown in the report; default the kind. */
  label: string;
}

export interface Scenario {
  name: string;
  description: string;
  topologies: Topology[];
  memoryMiB: number[];
  warmupS: number;
  schedule: Schedule;
  tailS: number;
  /** Pause between master-replica groups of a rolling restart (the paper: 20 s). */
  cpPauseS: number;
  /** Size of each synthetic live patch. */
  patchBytes: number;
  /** cluster-node-timeout of the nodes. */
  nodeTimeoutMs: number;
  /** Light client load during each run, or none (the paper's network runs have none). */
  load: LoadSpec | null;
  /** The table of a `migration` run (defaults when the file has none). */
  migration: MigrationSpec;
  runs: RunSpec[];
  /** Where it was read from (messages). */
  source: string;
}

/** The events a run triggers, in order, one per scheduled time. */
export function eventsOf(run: RunSpec, schedule: Schedule): ScenarioEventKind[] {
  switch (run.kind) {
    case 'baseline':
    case 'no-patch':
    case 'migration': // its moves are the table's cells (scenario/migration-run.ts), not controller events
      return [];
    case 'lp-pull':
    case 'lp-push':
      return Array.from({ length: schedule.count }, () => run.kind as ScenarioEventKind);
    case 'cp-partial':
    case 'cp-full':
    case 'failover':
      return [run.kind];
    case 'sequence':
      return run.events;
  }
}

export const isPreset = (v: string): v is PresetName => (PRESETS as readonly string[]).includes(v);
