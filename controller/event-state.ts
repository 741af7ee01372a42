/**
 * Lifecycle of one event or phase (STYLE.md 3: one file, states as a string union,
 * every change through `transition`, which checks legality and logs `a -> b`).
 *
 *   accepted --> running --> ok
 *       |           |
 *       +-----------+-----> failed
 *
 * `accepted`: validated and its groups locked, not started yet. `ok`/`failed` are final;
 * only they release the groups and write end_ms.
 */
export type EventState = 'accepted' | 'running' | 'ok' | 'failed';

const LEGAL: Record<EventState, readonly EventState[]> = {
  accepted: ['running', 'failed'],
  running: ['ok', 'failed'],
  ok: [],
  failed: [],
};

export class IllegalTransition extends Error {
  constructor(readonly from: EventState, readonly to: EventState, what: string) {
    super(`${what}: illegal transition ${from} -> ${to}`);
    this.name = 'IllegalTransition';
  }
}

export function isFinal(s: EventState): boolean {
  return LEGAL[s].length === 0;
}

/** Checks `from -> to` and logs it; returns `to` so callers write `state = transition(...)`. */
export function transition(from: EventState, to: EventState, what: string, log: (line: string) => void): EventState {
  if (!LEGAL[from].includes(to)) throw new IllegalTransition(from, to, what);
  log(`${what}: ${from} -> ${to}`);
  return to;
}
