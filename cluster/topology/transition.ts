import { IllegalTransitionError } from './errors.js';

/**
 * The one way a topology state machine changes state (STYLE.md 3): `from -> to` must be
 * in the machine's table; a change is logged as `machine: a -> b`; staying put is silent.
 */
export function transition<S extends string>(
  machine: string,
  legal: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
  log: (line: string) => void,
): S {
  if (from === to) return to;
  if (!legal[from].includes(to)) throw new IllegalTransitionError(machine, from, to);
  log(`${machine}: ${from} -> ${to}`);
  return to;
}
