/**
 * Applying a loaded patch. The swap itself is synchronous and runs from setImmediate:
 * after the I/O callbacks of the current loop turn, so between two event-loop tasks,
 * never inside a command (the dispatcher looks a spec up once per command and runs it
 * to its end or to its own promise, which keeps the spec it started with). The
 * keyspace, the connections and replication are not touched: only table entries change.
 */
import type { CommandSpec } from '../commands/types.js';
import type { PatchChanges } from './load.js';
import type { StageTable } from './stages.js';

export interface ApplyTarget {
  registry: { register(spec: CommandSpec): void };
  stages: StageTable;
}

export interface Applied {
  commands: string[];
  stages: string[];
  atMs: number;
}

/** Waits for the next quiescent point, then swaps every entry at once. */
export function applyAtQuiescentPoint(target: ApplyTarget, changes: PatchChanges, now: () => number = Date.now): Promise<Applied> {
  return new Promise((resolve) => {
    setImmediate(() => resolve(applyNow(target, changes, now)));
  });
}

export function applyNow(target: ApplyTarget, changes: PatchChanges, now: () => number = Date.now): Applied {
  for (const spec of changes.commands) target.registry.register({ ...spec, name: spec.name.toLowerCase() });
  for (const [name, impl] of Object.entries(changes.stages)) target.stages.register(name, impl);
  return { commands: changes.commands.map((c) => c.name.toLowerCase()), stages: Object.keys(changes.stages), atMs: now() };
}
