import { SLOTS } from '../topology/cluster-node.js';

/**
 * Slot lists as command arguments: `N` or `A-B` tokens (the kvnetlab-only migration
 * commands take them: KVNETLAB.SETSLOTS, MIGRATE-OUT, MIGRATE-IN, PULL-SOURCE).
 */

/** Slot numbers -> `A-B` runs, ascending, each slot once. */
export function formatSlotTokens(slots: readonly number[]): string[] {
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out;
}

/** `N` / `A-B` tokens -> slot numbers in token order; undefined for a bad token or a slot out of range. */
export function parseSlotTokens(tokens: readonly string[]): number[] | undefined {
  const out: number[] = [];
  for (const t of tokens) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(t);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b || b >= SLOTS) return undefined;
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}
