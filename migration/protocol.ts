import type { GroupTable } from './group-state.js';
import type { NodeLink } from './node-link.js';

/** The five protocols of issue 7 (DESIGN.md "Migration protocols"). */
export const PROTOCOLS = ['redis', 'source', 'rocksteady', 'fulva', 'proxy'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

/** Counts a protocol keeps while it runs; they end up in the event's detail. */
export interface MigrationTally {
  /** Keys copied to the destination (a key copied twice counts twice). */
  keys: number;
  /** Keys sent again because a client wrote them after their group was copied (source-based). */
  forwarded: number;
  /** Batches (MIGRATE calls, pulls). */
  batches: number;
}

/** What a protocol works with: the two masters, the other masters, the groups. */
export interface MigrationContext {
  source: NodeLink;
  dest: NodeLink;
  /** Every other master: they learn the new owner with SETSLOT NODE too (redis-cli does the same). */
  others: NodeLink[];
  groups: GroupTable;
  /** Keys per MIGRATE (redis-cli --cluster reshard --pipeline, default 10; ours 100). */
  batchKeys: number;
  /** MIGRATE's timeout and every single call's bound. */
  timeoutMs: number;
  tally: MigrationTally;
  /** Pause after each group (rate limit); protocols whose node paces itself pass it on (rocksteady). */
  groupPauseMs?: number;
  /** Called after each group is migrated (tests interrupt here; a pacing hook could slow the move). */
  afterGroup(slot: number): Promise<void>;
  /** A timed phase of the event (controller Event.phase, or a plain timer). */
  phase<T>(name: string, fn: (detail: Record<string, unknown>) => Promise<T>): Promise<T>;
  log(line: string): void;
}

/**
 * One migration protocol. `run` moves every group of `ctx.groups` from not-migrated to
 * migrated; if it throws, the runner calls `abort`, which must leave every group it
 * did not finish served by the source (never a slot owned by nobody).
 */
export interface MigrationProtocol {
  readonly name: ProtocolName;
  run(ctx: MigrationContext): Promise<void>;
  abort(ctx: MigrationContext, cause: unknown): Promise<void>;
}
