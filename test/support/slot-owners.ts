import { callText, fields, waitFor } from '../../cluster/launcher/admin.js';
import { parseClusterNodes } from '../../controller/cluster.js';

/*
 * Checks of an interrupted migration (test/migration-interrupt.test.ts writes the same
 * inline; the integrator can point it here).
 */

/** slot -> id of the live master that owns it, as the node at `port` sees the cluster. */
export async function liveSlotOwners(host: string, port: number): Promise<Map<number, string>> {
  const owner = new Map<number, string>();
  for (const l of parseClusterNodes(await callText(host, port, ['CLUSTER', 'NODES'])).filter((x) => x.role === 'master' && !x.flags.includes('fail'))) {
    for (const t of l.slots.filter((s) => !s.startsWith('['))) {
      const [a, b] = t.split('-').map(Number);
      for (let s = a!; s <= (b ?? a!); s++) owner.set(s, l.id);
    }
  }
  return owner;
}

/** Waits until the master at `port` has its first replica at its own replication offset (a kill -9 then loses nothing). */
export async function waitReplicaInSync(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  await waitFor('the replica in sync', timeoutMs, async () => {
    const m = fields(await callText(host, port, ['INFO', 'replication']));
    return (m.slave0 ?? '').includes(`offset=${m.master_repl_offset}`);
  }, 50);
}
