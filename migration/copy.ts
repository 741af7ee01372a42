import type { MigrationContext } from './protocol.js';
import { MigrationError } from './errors.js';
import { bulkList } from './node-link.js';

/**
 * Copies every key of `slot` from the source to the destination without moving it:
 * MIGRATE ... COPY KEYS (cluster.c migrateCommand with COPY: the source keeps its keys;
 * RESTORE-ASKING without REPLACE: a key the destination already has, because a client
 * wrote it there since, is refused with BUSYKEY and keeps the newer value). The
 * destination must be IMPORTING the slot. Returns the number of keys sent.
 */
export async function copySlot(ctx: MigrationContext, slot: number): Promise<number> {
  const { source, dest } = ctx;
  const count = await source.call(['CLUSTER', 'COUNTKEYSINSLOT', slot]);
  const n = count.t === 'int' ? count.v : 0;
  if (n === 0) return 0;
  const keys = bulkList(await source.call(['CLUSTER', 'GETKEYSINSLOT', slot, n]));
  for (let i = 0; i < keys.length; i += ctx.batchKeys) {
    const batch = keys.slice(i, i + ctx.batchKeys);
    try {
      await source.call(['MIGRATE', dest.ep.host, dest.ep.port, '', 0, ctx.timeoutMs, 'COPY', 'KEYS', ...batch]);
    } catch (e) {
      // BUSYKEY: the destination has a newer value (written there during the move). Any other error stops.
      if (!(e instanceof MigrationError && e.code === 'STEP_FAILED' && e.message.includes('BUSYKEY'))) throw e;
    }
    ctx.tally.batches++;
  }
  ctx.tally.keys += keys.length;
  return keys.length;
}

/** Deletes the source's copies of `slot` (every client reaches the destination for it by now). */
export async function dropSourceCopies(ctx: MigrationContext, slot: number): Promise<void> {
  for (;;) {
    const keys = bulkList(await ctx.source.call(['CLUSTER', 'GETKEYSINSLOT', slot, 1000]));
    if (keys.length === 0) return;
    await ctx.source.call(['DEL', ...keys]);
  }
}

/** dest: SETSLOT IMPORTING for every slot of the move (RESTORE-ASKING and ASKING clients are served there). */
export async function openImport(ctx: MigrationContext): Promise<void> {
  for (const slot of ctx.groups.slots()) await ctx.dest.call(['CLUSTER', 'SETSLOT', slot, 'IMPORTING', ctx.source.ep.id]);
}
