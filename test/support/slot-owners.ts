import type { NodesLine } from '../../controller/cluster.js';

/** slot -> id of the master serving it, among the masters not flagged fail (open slots `[..]` skipped). */
export function liveSlotOwners(lines: NodesLine[]): Map<number, string> {
  const owner = new Map<number, string>();
  for (const l of lines.filter((x) => x.role === 'master' && !x.flags.includes('fail'))) {
    for (const t of l.slots.filter((s) => !s.startsWith('['))) {
      const [a, b] = t.split('-').map(Number);
      for (let s = a!; s <= (b ?? a!); s++) owner.set(s, l.id);
    }
  }
  return owner;
}
