import type { MigrationContext, MigrationProtocol } from './protocol.js';
import { bulkList } from './node-link.js';

/**
 * Redis' own slot migration, as redis-cli --cluster reshard drives it (redis-cli.c
 * clusterManagerMoveSlot), one slot (group) at a time:
 *
 *   dest:   CLUSTER SETSLOT s IMPORTING <source id>
 *   source: CLUSTER SETSLOT s MIGRATING <dest id>        missing keys -> -ASK dest
 *   source: CLUSTER GETKEYSINSLOT s N; MIGRATE host port "" 0 timeout KEYS k1..kN   (repeat)
 *   dest, source, other masters: CLUSTER SETSLOT s NODE <dest id>   -> -MOVED dest
 *
 * MIGRATE is atomic per batch (cluster.c migrateCommand: keys are deleted at the source
 * only once the target accepted them), and clients follow -ASK with ASKING (ioredis does).
 */
export const redisProtocol: MigrationProtocol = {
  name: 'redis',

  async run(ctx) {
    const { source, dest, groups } = ctx;
    await ctx.phase('copy', async (detail) => {
      for (const slot of groups.slots('not-migrated')) {
        groups.set(slot, 'ongoing');
        await dest.call(['CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.ep.id]);
        await source.call(['CLUSTER', 'SETSLOT', slot, 'MIGRATING', dest.ep.id]);
        for (;;) {
          const keys = bulkList(await source.call(['CLUSTER', 'GETKEYSINSLOT', slot, ctx.batchKeys]));
          if (keys.length === 0) break;
          await source.call(['MIGRATE', dest.ep.host, dest.ep.port, '', 0, ctx.timeoutMs, 'KEYS', ...keys]);
          ctx.tally.keys += keys.length;
          ctx.tally.batches++;
        }
        await handOver(ctx, slot);
        groups.set(slot, 'migrated');
        await ctx.afterGroup(slot);
      }
      detail.keys = ctx.tally.keys;
      detail.batches = ctx.tally.batches;
    });
  },

  async abort(ctx, cause) {
    await closeOngoing(ctx, cause);
  },
};

/** SETSLOT NODE on the destination first (it bumps its epoch and claims the slot), then the source, then the rest. */
export async function handOver(ctx: MigrationContext, slot: number): Promise<void> {
  await ctx.dest.call(['CLUSTER', 'SETSLOT', slot, 'NODE', ctx.dest.ep.id]);
  await ctx.source.call(['CLUSTER', 'SETSLOT', slot, 'NODE', ctx.dest.ep.id]);
  for (const o of ctx.others) {
    // A master that is down learns the owner from the bus when it is back.
    await o.call(['CLUSTER', 'SETSLOT', slot, 'NODE', ctx.dest.ep.id]).catch((e: Error) => ctx.log(`SETSLOT NODE on ${o.ep.port}: ${e.message}`));
  }
}

/**
 * Interrupted (the destination died, a node refused a step): every group still
 * `ongoing` goes back to the source. SETSLOT STABLE on the source clears MIGRATING, so
 * it answers for the slot again instead of sending clients -ASK to a dead node; the
 * destination, if it still answers, forgets IMPORTING. The slot never left the source's
 * ownership (SETSLOT NODE is the last step), so no slot is left without an owner.
 */
export async function closeOngoing(ctx: MigrationContext, cause: unknown): Promise<void> {
  ctx.log(`aborting: ${cause instanceof Error ? cause.message : String(cause)}`);
  for (const slot of ctx.groups.slots('ongoing')) {
    await ctx.source.call(['CLUSTER', 'SETSLOT', slot, 'STABLE']).catch((e: Error) => ctx.log(`SETSLOT STABLE on the source: ${e.message}`));
    await ctx.dest.call(['CLUSTER', 'SETSLOT', slot, 'STABLE']).catch(() => undefined);
    ctx.groups.set(slot, 'not-migrated');
  }
}
