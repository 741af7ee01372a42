import { MigrationError } from './errors.js';
import { copyKeys, copySlot, dropSourceCopies, openImport } from './copy.js';
import type { MigrationContext, MigrationProtocol, ProtocolName } from './protocol.js';
import { handOver } from './redis-protocol.js';
import type { MigrationRouter } from './router.js';

/**
 * The four protocols that need an element between clients and nodes (router.ts says
 * which rules each applies). Common shape, as phases of the event:
 *
 *   open      dest: SETSLOT IMPORTING for every slot (ASKING clients and RESTORE-ASKING are served); the router starts routing
 *   copy      group by group: not-migrated -> ongoing -> (copy, never overwriting) -> migrated;
 *             rocksteady, fulva, proxy hand each group over as soon as it is copied (the
 *             source's copies deleted, SETSLOT NODE dest on dest, source, other masters),
 *             so a migrated group is plain traffic to its new owner, without ASKING
 *   pause     source-based only: the moving groups wait while the forwards drain and every
 *             group is handed over at once (its downtime)
 */
export function routedProtocol(name: Exclude<ProtocolName, 'redis'>, router: MigrationRouter): MigrationProtocol {
  const pulls = new Map<number, Promise<void>>();
  /** Source-based: the keys each group's copy sent, deleted at the source in the pause. */
  const copiedKeys = new Map<number, Buffer[]>();

  /** Copies one group once; a priority pull and the background loop share it (Rocksteady). */
  const moveGroup = (ctx: MigrationContext, slot: number): Promise<void> => {
    const known = pulls.get(slot);
    if (known) return known;
    const p = (async () => {
      if (ctx.groups.stateOf(slot) !== 'not-migrated') return;
      ctx.groups.set(slot, 'ongoing');
      // Operations already on their way to the source land before the copy reads the group.
      await router.drain(slot);
      const copied = await copySlot(ctx, slot);
      copiedKeys.set(slot, copied);
      ctx.groups.set(slot, 'migrated');
      if (name !== 'source') {
        // From `migrated` on no read goes to the source; once the reads already on their
        // way there are answered, its copies can go. (Deleting them while a double read
        // was in flight let both legs answer nil: a read that raced the copy at the
        // destination and the delete at the source.)
        await router.drain(slot);
        // Rocksteady, Fulva, proxy: no client wrote to the source since the first drain, so the copied keys are all it holds.
        await dropSourceCopies(ctx, slot, copied, false);
        await handOver(ctx, slot);
        router.handedOver.add(slot);
      }
    })();
    pulls.set(slot, p);
    return p;
  };

  return {
    name,
    async run(ctx) {
      await ctx.phase('open', async () => {
        await openImport(ctx);
        // Rocksteady's PriorityPull: the records a client asked for, ahead of the background pulls.
        if (name === 'rocksteady') router.pull = async (slot, key) => {
          if (ctx.groups.stateOf(slot) === 'migrated') return;
          await copyKeys(ctx, [key]);
          ctx.tally.keys++;
        };
        router.active = true;
        // Rocksteady and Fulva send every write of the range to the destination from now
        // on: writes already sent to the source must land before any copy.
        if (name === 'rocksteady' || name === 'fulva') await router.drain();
      });
      await ctx.phase('copy', async (detail) => {
        for (const slot of ctx.groups.slots()) {
          await moveGroup(ctx, slot);
          await ctx.afterGroup(slot);
        }
        Object.assign(detail, { keys: ctx.tally.keys, batches: ctx.tally.batches });
      });
      if (name !== 'source') {
        router.active = false;
        Object.assign(ctx.tally, { forwarded: 0 });
        return;
      }
      await ctx.phase('pause', async (detail) => {
        let release = () => undefined as void;
        router.paused = new Promise<void>((r) => (release = r));
        try {
          await router.drain();
          await router.flushForwards();
          if (router.forwardFailures > 0) throw new MigrationError('STEP_FAILED', `${router.forwardFailures} forwarded write(s) failed at the destination`);
          // 32 slots at a time: the pause is the source-based downtime, keep it short
          // (each SETSLOT rewrites nodes.conf, so unbounded parallelism only queues).
          const all = ctx.groups.slots();
          for (let i = 0; i < all.length; i += 32) {
            await Promise.all(all.slice(i, i + 32).map(async (slot) => {
              await dropSourceCopies(ctx, slot, copiedKeys.get(slot));
              await handOver(ctx, slot);
            }));
          }
        } finally {
          router.active = false;
          router.paused = undefined;
          release();
        }
        ctx.tally.forwarded = router.counters.forwards;
        Object.assign(detail, router.counters);
      });
    },

    async abort(ctx, cause) {
      ctx.log(`aborting: ${cause instanceof Error ? cause.message : String(cause)}`);
      router.active = false;
      for (const slot of ctx.groups.slots('ongoing')) ctx.groups.set(slot, 'not-migrated');
      for (const slot of ctx.groups.slots()) await ctx.dest.call(['CLUSTER', 'SETSLOT', slot, 'STABLE']).catch(() => undefined);
    },
  };
}
