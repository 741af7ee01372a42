import { callText, fields, waitFor } from '../../cluster/launcher/admin.js';
import { parseClusterNodes } from '../../controller/cluster.js';

/*
 * Checks of an interrupted migration: "never a slot owned by nobody" is
 * `(await liveSlotOwnersAt(host, port)).size === 16384`.
 */

/**
 * Slot -> id of the live master serving it, from a CLUSTER NODES text (masters flagged
 * `fail` and `[slot->-id]` migration markers are left out).
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

/** The same, as the node at host:port sees the cluster now. */
export async function liveSlotOwnersAt(host: string, port: number): Promise<Map<number, string>> {
  return liveSlotOwners(await callText(host, port, ['CLUSTER', 'NODES']));
}

/** Waits until the master at `port` has its first replica at its own replication offset (a kill -9 then loses nothing). */
export async function waitReplicaInSync(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  await waitFor('the replica in sync', timeoutMs, async () => {
    const m = fields(await callText(host, port, ['INFO', 'replication']));
    return (m.slave0 ?? '').includes(`offset=${m.master_repl_offset}`);
  }, 50);
}
