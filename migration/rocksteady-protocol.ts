import { formatSlotTokens } from '../cluster/store/slot-tokens.js';
import type { Reply } from '../cluster/resp/reply.js';
import { tellOtherMasters } from './copy.js';
import { MigrationError } from './errors.js';
import type { MigrationContext, MigrationProtocol } from './protocol.js';

/**
 * Rocksteady (Kulkarni et al., SOSP 2017), driven by the destination *node*
 * (cluster/node/rocksteady-dest.ts); this coordinator only starts it, watches it and
 * ends it:
 *
 *   open     dest: KVNETLAB.MIGRATE-IN START <source> ...  the destination has the source
 *            hand ownership off (HANDOFF: it answers -MOVED from then on, its keys kept for
 *            the pulls), then claims the slots with a fresh epoch and a PONG to every node
 *   pull     the destination pulls group by group (BATCH = --batch-keys, PAUSE = the
 *            group pause); a client's miss there is pulled first and answered -TRYAGAIN,
 *            which ioredis Cluster retries by itself (retryDelayOnTryAgain)
 *   release  source: KVNETLAB.PULL-SOURCE RELEASE: its copies go
 *
 * Groups are `ongoing` from `open` until the source released them (`migrated`): until
 * then the source holds every key, which is what makes the abort safe.
 */
export const rocksteadyProtocol: MigrationProtocol = {
  name: 'rocksteady',

  async run(ctx) {
    const { source, dest, groups } = ctx;
    const slots = groups.slots();
    const tokens = formatSlotTokens(slots);
    await ctx.phase('open', async () => {
      for (const s of slots) groups.set(s, 'ongoing');
      await dest.call(['KVNETLAB.MIGRATE-IN', 'START', source.ep.id, source.ep.host, source.ep.port, ...tokens, 'BATCH', ctx.batchKeys, 'PAUSE', ctx.groupPauseMs ?? 0]);
      // No SETSLOT NODE on the other masters here: the destination's claim (a fresh epoch,
      // PONG to every node) tells them at once, and 100 SETSLOTs (one nodes.conf rewrite
      // each) stalled that master and the clients' slot-map refreshes: 600 ms of `open`
      // and a 340 ms gap without a successful operation, against 40-100 ms and 50-75 ms
      // without (bench/rocksteady.ts). A node that missed the PONG learns from the next
      // ping of the destination (clusterUpdateSlotsConfigWith).
    });
    await ctx.phase('pull', async (detail) => {
      let seen = 0;
      for (;;) {
        const st = parseStatus(await dest.call(['KVNETLAB.MIGRATE-IN', 'STATUS']));
        while (seen < Number(st.pulled)) await ctx.afterGroup(slots[seen++]!);
        if (st.state === 'done') {
          ctx.tally.keys = Number(st.keys);
          ctx.tally.batches = Number(st.batches) + Number(st['priority-pulls']);
          ctx.log(`rocksteady: ${st.keys} keys pulled in ${st.batches} batches, ${st['priority-pulls']} priority pulls of ${st['priority-keys']} keys, ${st.tryagain} -TRYAGAIN answered`);
          Object.assign(detail, { keys: st.keys, batches: st.batches, priorityPulls: st['priority-pulls'], priorityKeys: st['priority-keys'], tryagain: st.tryagain });
          return;
        }
        if (st.state !== 'pulling') throw new MigrationError('STEP_FAILED', `the destination is ${st.state}${st.error ? `: ${st.error}` : ''}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    });
    await ctx.phase('release', async () => {
      await source.call(['KVNETLAB.PULL-SOURCE', 'RELEASE', ...tokens]);
      for (const s of slots) groups.set(s, 'migrated');
    });
  },

  /**
   * Every group not released goes back to the source, which still holds all of its keys:
   * first the destination stops serving and drops its copies (if it answers), then the
   * source claims the slots with a fresh epoch (its claim beats the destination's on the
   * bus), then the other masters are told. Writes the destination acknowledged for those
   * groups are lost: the source's values are the ones from before the move.
   */
  async abort(ctx, cause) {
    ctx.log(`aborting: ${cause instanceof Error ? cause.message : String(cause)}`);
    const slots = ctx.groups.slots('ongoing');
    if (slots.length === 0) return;
    await ctx.dest.call(['KVNETLAB.MIGRATE-IN', 'ABORT']).catch((e: Error) => ctx.log(`ABORT on the destination: ${e.message}`));
    await ctx.source.call(['KVNETLAB.PULL-SOURCE', 'RECLAIM', ...formatSlotTokens(slots)]);
    await tellOtherMasters(ctx, slots, ctx.source.ep.id);
    for (const s of slots) ctx.groups.set(s, 'not-migrated');
  },
};

/** STATUS is polled this often (each poll is ~200 B of migration traffic). */
const POLL_MS = 50;

/** KVNETLAB.MIGRATE-IN STATUS: a flat field/value array. */
function parseStatus(r: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  const v = r.t === 'array' && r.v ? r.v : [];
  for (let i = 0; i + 1 < v.length; i += 2) {
    const [k, x] = [v[i]!, v[i + 1]!];
    if (k.t === 'bulk' && k.v) out[k.v.toString()] = x.t === 'int' ? String(x.v) : x.t === 'bulk' && x.v ? x.v.toString() : '';
  }
  return out;
}
