/**
 * One patch version on one node, as a state machine (STYLE.md 3):
 *
 *   new ──> registered ─┐              (PATCH LOAD on this node)
 *   new ──> received ───┼──> applied   (verified, loaded, swapped in)
 *                       └──> refused ──> received | registered   (a later, good copy)
 *
 * Timestamps (ms since the epoch): registered (PATCH LOAD here), received (a PATCH frame
 * from a peer), applied. Update lag = last applied - first registered, across nodes.
 */
import type { PatchErrorCode } from './errors.js';

export type PatchState = 'new' | 'registered' | 'received' | 'applied' | 'refused';

const LEGAL: Record<PatchState, PatchState[]> = {
  new: ['registered', 'received'],
  registered: ['applied', 'refused'],
  received: ['applied', 'refused'],
  applied: [],
  refused: ['registered', 'received'],
};

export interface PatchRecord {
  version: number;
  id: string;
  state: PatchState;
  /** How it came: `push` / `pull` = PATCH LOAD with that method here, `bus` = from a peer. */
  via: 'push' | 'pull' | 'bus';
  /** The peer it came from (node name), for `bus`. */
  from: string;
  bytes: number;
  registeredMs: number;
  receivedMs: number;
  appliedMs: number;
  refusal?: { code: PatchErrorCode; message: string };
  /** Command names and stages the patch replaced. */
  replaced: string[];
}

export function newRecord(version: number): PatchRecord {
  return { version, id: '', state: 'new', via: 'bus', from: '', bytes: 0, registeredMs: 0, receivedMs: 0, appliedMs: 0, replaced: [] };
}

export function transition(r: PatchRecord, to: PatchState, log: (line: string) => void): void {
  if (!LEGAL[r.state].includes(to)) throw new Error(`patch v${r.version}: illegal transition ${r.state} -> ${to}`);
  log(`patch v${r.version}${r.id ? ` (${r.id})` : ''}: ${r.state} -> ${to}`);
  r.state = to;
}
