import { parseClusterNodes } from '../../controller/cluster.js';

/**
 * Slot -> id of the live master serving it, from a CLUSTER NODES text (masters flagged
 * `fail` and `[slot->-id]` migration markers are left out): "no slot owned by nobody"
 * is `liveSlotOwners(text).size === 16384`.
 */
export function liveSlotOwners(clusterNodes: string): Map<number, string> {
  const owner = new Map<number, string>();
  for (const l of parseClusterNodes(clusterNodes).filter((x) => x.role === 'master' && !x.flags.includes('fail'))) {
    for (const t of l.slots.filter((s) => !s.startsWith('['))) {
      const [a, b] = t.split('-').map(Number);
      for (let s = a!; s <= (b ?? a!); s++) owner.set(s, l.id);
    }
  }
  return owner;
}
