import { copySlot, dropSourceCopies, openImport } from './copy.js';
import type { MigrationContext, MigrationProtocol } from './protocol.js';
import { handOver } from './redis-protocol.js';
import type { MigrationRouter } from './router.js';

/**
 * Fulva's phases, with its client (router.ts) in the process that runs the load:
 *
 *   open   dest: SETSLOT IMPORTING for every slot (ASKING clients and RESTORE-ASKING are
 *          served); the client starts sending writes of the range to the destination
 *          and, once the writes it had sent to the source are answered, the copy may begin
 *   copy   group by group: not-migrated -> ongoing -> (copy, never overwriting) -> migrated,
 *          then handed over at once (the source's copies deleted, SETSLOT NODE on dest,
 *          source, other masters), so a migrated group is plain traffic to its new owner
 */
export function fulvaProtocol(router: MigrationRouter): MigrationProtocol {
  const name = 'fulva';
  const moveGroup = async (ctx: MigrationContext, slot: number): Promise<void> => {
    ctx.groups.set(slot, 'ongoing');
    // Operations already on their way to the source land before the copy reads the group.
    await router.drain(slot);
    const copied = await copySlot(ctx, slot);
    ctx.groups.set(slot, 'migrated');
    // From `migrated` on no read goes to the source; once the reads already on their way
    // there are answered, its copies can go. (Deleting them while a double read was in
    // flight let both legs answer nil: a read that raced the copy at the destination and
    // the delete at the source.)
    await router.drain(slot);
    // No client wrote to the source since the first drain: the copied keys are all it holds.
    await dropSourceCopies(ctx, slot, copied, false);
    await handOver(ctx, slot);
    router.handedOver.add(slot);
  };

  return {
    name,
    async run(ctx) {
      await ctx.phase('open', async () => {
        await openImport(ctx);
        router.active = true;
        // Every write of the range goes to the destination from now on: writes already
        // sent to the source must land before any copy.
        await router.drain();
      });
      await ctx.phase('copy', async (detail) => {
        for (const slot of ctx.groups.slots()) {
          await moveGroup(ctx, slot);
          await ctx.afterGroup(slot);
        }
        Object.assign(detail, { keys: ctx.tally.keys, batches: ctx.tally.batches, duplicateReads: router.counters.duplicateReads });
      });
      router.active = false;
    },

    async abort(ctx, cause) {
      ctx.log(`aborting: ${cause instanceof Error ? cause.message : String(cause)}`);
      router.active = false;
      for (const slot of ctx.groups.slots('ongoing')) ctx.groups.set(slot, 'not-migrated');
      for (const slot of ctx.groups.slots()) await ctx.dest.call(['CLUSTER', 'SETSLOT', slot, 'STABLE']).catch(() => undefined);
    },
  };
}
