import { fields, text } from '../cluster/launcher/admin.js';
import { formatSlotTokens } from '../cluster/store/slot-tokens.js';
import { dropPartialCopy, openImport, setSlotsOn, slotsServedBy, tellOtherMasters } from './copy.js';
import { MigrationError } from './errors.js';
import { type NodeLink, bulkList } from './node-link.js';
import type { MigrationContext, MigrationProtocol } from './protocol.js';

/**
 * Source-based migration, run by the source node itself (KVNETLAB.MIGRATE-OUT,
 * cluster/node/migrate-out.ts); this coordinator only tells it when. Any client works
 * unmodified: the source serves every request until the handover, then answers -MOVED.
 *
 *   open   dest: SETSLOTS IMPORTING for every slot (one KVNETLAB.SETSLOTS, copy.ts setSlotsOn) (RESTORE-ASKING and ASKING writes are served there);
 *          source: MIGRATE-OUT START <dest's announced address> SLOTS ...: one link, named kvnetlab-migration
 *   copy   per group: MIGRATE-OUT GROUP <slot>: the source sends the group's keys
 *          (RESTORE-ASKING ... REPLACE) and from then on every write to it (ASKING, the
 *          write), on the same link in its execution order; answers once the destination acknowledged
 *   pause  MIGRATE-OUT PAUSE: commands on the moving slots are held at the source (not
 *          refused) and it answers once every forward is acknowledged; then, in
 *          redis-protocol.ts handOver's order, SETSLOTS NODE of every slot on the destination in one command
 *          (it claims them with a new epoch), MIGRATE-OUT HANDOVER on the source (drops its
 *          copies and gives every slot away in one turn and one nodes.conf save: no command
 *          sees a slot empty and still served there), MIGRATE-OUT END (the held commands run
 *          and meet -MOVED); after it, SETSLOTS NODE on the other masters. The pause is this
 *          protocol's downtime (detail.pauseMs).
 *
 * Abort (a step failed, the destination died): a slot the destination claimed already is
 * handed over all the same (it holds every acknowledged write: PAUSE waited for them, and
 * nothing was forwarded since); then MIGRATE-OUT ABORT (forwarding stops, held commands
 * run at the source, which never stopped owning the other slots); the destination, if it
 * answers, drops its partial copies of those and forgets IMPORTING.
 */
/** Slots the destination claimed (SETSLOT NODE) in a running migration: abort rolls them forward. */
const claimedBy = new WeakMap<MigrationContext, Set<number>>();

export const sourceProtocol: MigrationProtocol = {
  name: 'source',

  async run(ctx) {
    const { source, dest, groups } = ctx;
    await ctx.phase('open', async () => {
      await openImport(ctx);
      await migrateOut(source, 'START', dest.ep.host, dest.ep.port, 'TIMEOUT', ctx.timeoutMs, 'BATCH', ctx.batchKeys, 'SLOTS', ...formatSlotTokens(groups.slots()));
    });
    await ctx.phase('copy', async (detail) => {
      for (const slot of groups.slots('not-migrated')) {
        groups.set(slot, 'ongoing');
        const sent = await migrateOut(source, 'GROUP', slot);
        ctx.tally.keys += sent.t === 'int' ? sent.v : 0;
        ctx.tally.batches++;
        await ctx.afterGroup(slot);
      }
      Object.assign(detail, { keys: ctx.tally.keys, groups: ctx.tally.batches });
    });
    await ctx.phase('pause', async (detail) => {
      const started = Date.now();
      const moving = groups.slots('ongoing');
      const claimed = new Set<number>();
      claimedBy.set(ctx, claimed);
      // Held clients are released by the source itself if this coordinator disappears.
      await migrateOut(source, 'PAUSE', Math.max(10_000, moving.length * 100));
      // One KVNETLAB.SETSLOTS NODE: every slot claimed with one epoch bump and one
      // nodes.conf save (slot by slot, 100 slots took most of the pause).
      await setSlotsOn(dest, moving, 'NODE', dest.ep.id);
      for (const slot of moving) claimed.add(slot);
      await handOverAtSource(ctx, moving);
      const status = fields(text(await migrateOut(source, 'STATUS')));
      await migrateOut(source, 'END');
      ctx.tally.forwarded = Number(status.forwarded ?? 0);
      Object.assign(detail, { pauseMs: Date.now() - started, forwarded: ctx.tally.forwarded, commandsSent: Number(status.sent ?? 0) });
      // After the pause: the other masters would learn the owner from the bus; redis-cli tells them too.
      await tellOtherMasters(ctx, moving);
    });
  },

  async abort(ctx, cause) {
    ctx.log(`aborting: ${cause instanceof Error ? cause.message : String(cause)}`);
    // Claimed: what the coordinator saw acknowledged, and what the destination serves
    // though the reply never came (a timeout, a dropped link): its claim holds all the same.
    const served = await slotsServedBy(ctx.dest);
    const known = claimedBy.get(ctx) ?? new Set<number>();
    const claimed = ctx.groups.slots('ongoing').filter((s) => known.has(s) || served?.has(s));
    if (claimed.length > 0) {
      await handOverAtSource(ctx, claimed).catch((e: Error) => ctx.log(`handing ${claimed.length} claimed slot(s) over after all: ${e.message}`));
      await tellOtherMasters(ctx, claimed);
    }
    await migrateOut(ctx.source, 'ABORT').catch((e: Error) => ctx.log(`MIGRATE-OUT ABORT on the source: ${e.message}`));
    let destAnswers = true;
    for (const slot of ctx.groups.slots()) {
      if (ctx.groups.stateOf(slot) === 'migrated') continue;
      if (ctx.groups.stateOf(slot) === 'ongoing') ctx.groups.set(slot, 'not-migrated');
      // Never drop keys of a slot the destination serves (its claim held, a handover failed).
      if (!destAnswers || served === undefined || served.has(slot)) continue;
      try {
        await dropPartialCopy(ctx.dest, slot);
        await ctx.dest.call(['CLUSTER', 'SETSLOT', slot, 'STABLE']);
      } catch (e) {
        // A dead destination: nothing to clean there (its replica, if any, follows the source's ownership).
        if (e instanceof MigrationError && e.code === 'NODE_UNREACHABLE') destAnswers = false;
        else ctx.log(`cleaning slot ${slot} at the destination: ${(e as Error).message}`);
      }
    }
  },
};

/** The source drops its copies and gives the slots away, in one turn and one nodes.conf save. */
async function handOverAtSource(ctx: MigrationContext, slots: number[]): Promise<void> {
  await migrateOut(ctx.source, 'HANDOVER', ctx.dest.ep.id, ...formatSlotTokens(slots));
  for (const slot of slots) ctx.groups.set(slot, 'migrated');
}

/** One KVNETLAB.MIGRATE-OUT subcommand on the source. */
function migrateOut(source: NodeLink, ...args: Array<string | number>) {
  return source.call(['KVNETLAB.MIGRATE-OUT', ...args]);
}

