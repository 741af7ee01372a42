import { PeerClient, PeerIoError } from '../cluster/node/peer-client.js';
import type { Reply } from '../cluster/resp/reply.js';
import { PROXY_COMMAND } from '../proxy/session.js';
import { formatSlotTokens } from '../cluster/store/slot-tokens.js';
import { copySlot, dropPartialCopy, dropSourceCopies, openImport, setSlotsOn, slotsServedBy, tellOtherMasters } from './copy.js';
import { MigrationError } from './errors.js';
import type { NodeLink } from './node-link.js';
import type { MigrationContext, MigrationProtocol } from './protocol.js';
import { handOver } from './redis-protocol.js';

/**
 * Proxy-tracked migration (NetMigrate's switch): the proxy in front of the source keeps
 * every group's state and routes the clients' commands (proxy/route/); plain cluster
 * clients need nothing. The coordinator drives that proxy in band, on a connection to
 * the source's public address whose first command is KVNETLAB.PROXY (proxy/route/control.ts),
 * and the nodes with as few commands as they take:
 *
 *   open      dest: IMPORTING for every slot (one KVNETLAB.SETSLOTS on kvnetlab nodes);
 *             proxy: MIGRATION OPEN <dest> <A-B> (+OK once every client connection is routed);
 *             kvnetlab source: MIGRATE-OUT START ... KEEP (its own link to the destination)
 *   copy      per group (one slot): proxy GROUP s ongoing (+OK once the commands of s
 *             already at the source are answered) -> the copy, never overwriting what
 *             clients wrote at the destination since (kvnetlab: MIGRATE-OUT GROUP s, the
 *             source sends the keys itself; Redis: GETKEYSINSLOT + MIGRATE COPY) -> proxy
 *             GROUP s migrated (+OK once the reads of s at the source are answered): from
 *             then on the proxy sends everything of s to the destination. kvnetlab: the
 *             next group's `ongoing` travels in the same proxy command, and the destination
 *             claims copied groups CLAIM_EVERY at a time (one SETSLOTS NODE, then proxy
 *             HANDEDOVER: no ASKING from then on). Redis (no bulk commands): each group is
 *             handed over right after its copy, as redis-cli does (copies deleted, SETSLOT
 *             NODE on dest, source, other masters, proxy HANDEDOVER s)
 *   handover  kvnetlab: MIGRATE-OUT PAUSE, HANDOVER of every slot at the source (its copies
 *             dropped, the slots given away in one turn), END, the other masters told
 *   close     proxy: MIGRATION CLOSE; its connections fall back to the raw relay as they
 *             go idle, and clients learn the new owner from the source's -MOVED
 *
 * So on kvnetlab nodes the control traffic per group is two short commands (one to the
 * proxy, one to the source), the rest is per batch of claims or per migration. In the
 * coordinator's group table a group is `migrated` once the destination claimed it (the
 * proxy's own table says `migrated` as soon as it is copied).
 *
 * Abort (see `abort`): the destination, if it answers, says which slots it serves; those
 * and the groups copied but not claimed yet go forward (claimed now), the group in
 * progress and the rest go back to the source, whose copies were kept until the end.
 */
/** Per running migration: its proxy control, whether the lean path runs, the groups copied and not claimed yet. */
const controls = new WeakMap<MigrationContext, { ctl: ProxyControl; lean: boolean; copied: number[] }>();

/**
 * kvnetlab nodes: copied groups the destination claims in one command. (Wider groups, 2
 * or 4 slots a state change, saved control bytes but duplicated more reads than they saved.)
 */
const CLAIM_EVERY = 16;

export const proxyProtocol: MigrationProtocol = {
  name: 'proxy',

  async run(ctx) {
    const ctl = new ProxyControl(ctx.source.ep.host, ctx.source.ep.port, ctx.timeoutMs);
    const slots = ctx.groups.slots();
    const lean = await hasMigrateOut(ctx.source);
    const copied: number[] = [];
    controls.set(ctx, { ctl, lean, copied });
    await ctx.phase('open', async () => {
      await openImport(ctx);
      await ctl.call(['OPEN', ctx.dest.ep.host, ctx.dest.ep.port, `${Math.min(...slots)}-${Math.max(...slots)}`]);
      if (lean) {
        await ctx.source.call(['KVNETLAB.MIGRATE-OUT', 'START', ctx.dest.ep.host, ctx.dest.ep.port, 'TIMEOUT', ctx.timeoutMs, 'BATCH', ctx.batchKeys, 'KEEP', 'SLOTS', ...formatSlotTokens(slots)]);
      }
    });
    await ctx.phase('copy', async (detail) => {
      // kvnetlab: copied groups are claimed by the destination CLAIM_EVERY at a time (one
      // SETSLOTS NODE, one HANDEDOVER): until then the proxy sends their commands with
      // ASKING, after it without (ASKING is 21 bytes a command, a claim about 130 per batch).
      const claim = async () => {
        if (copied.length === 0) return;
        await setSlotsOn(ctx.dest, copied, 'NODE', ctx.dest.ep.id);
        for (const slot of copied) ctx.groups.set(slot, 'migrated');
        await ctl.call(['HANDEDOVER', ...formatSlotTokens(copied)]);
        copied.length = 0;
      };
      if (lean) {
        await ctl.call(['GROUP', slots[0]!, 'ongoing']);
        for (const [i, slot] of slots.entries()) {
          ctx.groups.set(slot, 'ongoing');
          const sent = await ctx.source.call(['KVNETLAB.MIGRATE-OUT', 'GROUP', slot]);
          ctx.tally.keys += sent.t === 'int' ? sent.v : 0;
          ctx.tally.batches++;
          // From here no read of the group goes to the source: the destination may claim it.
          // The next group's `ongoing` travels in the same command.
          const next = slots[i + 1];
          await ctl.call(['GROUP', slot, 'migrated', ...(next === undefined ? [] : [next, 'ongoing'])]);
          copied.push(slot);
          if (copied.length >= CLAIM_EVERY) await claim();
          await ctx.afterGroup(slot);
        }
      } else {
        for (const slot of slots) {
          ctx.groups.set(slot, 'ongoing');
          await ctl.call(['GROUP', slot, 'ongoing']);
          const copiedKeys = await copySlot(ctx, slot);
          await ctl.call(['GROUP', slot, 'migrated']);
          // No client wrote to the source since GROUP ongoing (writes go to the destination,
          // other commands wait): the copied keys are all it holds for the slot.
          await dropSourceCopies(ctx, slot, copiedKeys, false);
          await handOver(ctx, slot);
          ctx.groups.set(slot, 'migrated');
          await ctl.call(['HANDEDOVER', slot]);
          await ctx.afterGroup(slot);
        }
      }
      await claim();
      Object.assign(detail, { keys: ctx.tally.keys, batches: ctx.tally.batches });
    });
    if (lean) {
      await ctx.phase('handover', async () => {
        // The destination owns every slot; the source learnt most from its PONGs (and
        // dropped its copies, as Redis does for a slot lost with keys). HANDOVER makes it
        // explicit for all at once; PAUSE only checks that no forward is pending (nothing
        // of the range reaches the source: the proxy sends it to the destination).
        await ctx.source.call(['KVNETLAB.MIGRATE-OUT', 'PAUSE', Math.max(10_000, slots.length * 100)]);
        await handOverAtSource(ctx, slots);
      });
    }
    await ctl.call(['CLOSE']);
    ctl.close();
  },

  async abort(ctx, cause) {
    ctx.log(`aborting: ${cause instanceof Error ? cause.message : String(cause)}`);
    const st = controls.get(ctx);
    const served = await slotsServedBy(ctx.dest);
    if (st?.lean && served !== undefined) {
      // The destination is alive: what it has in full goes forward, not back. Groups
      // copied and not claimed yet (every write of them since went there: dropping them
      // would lose acknowledged writes) are claimed now; groups it serves already (a
      // claim whose reply was lost) stay its own. The source learns from the claim's
      // PONG; the proxy keeps routing until it has, so no client reads its older copy.
      const forward = ctx.groups.slots('ongoing').filter((s) => st.copied.includes(s) || served.has(s));
      try {
        await setSlotsOn(ctx.dest, forward.filter((s) => !served.has(s)), 'NODE', ctx.dest.ep.id);
        for (const s of forward) {
          ctx.groups.set(s, 'migrated');
          served.add(s);
        }
        await waitUntilLetGo(ctx, forward);
      } catch (e) {
        ctx.log(`claiming the copied groups after all: ${(e as Error).message}`);
      }
    }
    await st?.ctl.call(['CLOSE']).catch((e: Error) => ctx.log(`MIGRATION CLOSE at the source's proxy: ${e.message} (closing the control connection closes it)`));
    st?.ctl.close();
    if (st?.lean) await ctx.source.call(['KVNETLAB.MIGRATE-OUT', 'ABORT']).catch((e: Error) => ctx.log(`MIGRATE-OUT ABORT on the source: ${e.message}`));
    // The group in progress goes back to the source (its writes acknowledged at the
    // destination are lost with its partial copy: the known cost of an abort).
    for (const slot of ctx.groups.slots('ongoing')) ctx.groups.set(slot, 'not-migrated');
    // Never drop keys of a slot the destination serves; a dead destination has nothing to clean.
    const back = ctx.groups.slots('not-migrated').filter((s) => served !== undefined && !served.has(s));
    try {
      for (const slot of back) await dropPartialCopy(ctx.dest, slot);
      await setSlotsOn(ctx.dest, back, 'STABLE');
    } catch (e) {
      ctx.log(`cleaning the destination: ${(e as Error).message}`);
    }
  },
};

/** Waits (at most 2 s) until the source no longer serves `slots`: it learns a claim from the destination's PONG. */
async function waitUntilLetGo(ctx: MigrationContext, slots: number[]): Promise<void> {
  for (let i = 0; i < 40 && slots.length > 0; i++) {
    const mine = await slotsServedBy(ctx.source);
    if (mine && !slots.some((s) => mine.has(s))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  ctx.log(`the source still serves some of ${slots.length} claimed slot(s) after 2 s`);
}

/** kvnetlab source: MIGRATE-OUT HANDOVER + END, then the other masters learn the owner (the bus would tell them too). */
async function handOverAtSource(ctx: MigrationContext, slots: number[]): Promise<void> {
  if (slots.length === 0) return;
  await ctx.source.call(['KVNETLAB.MIGRATE-OUT', 'HANDOVER', ctx.dest.ep.id, ...formatSlotTokens(slots)]);
  await ctx.source.call(['KVNETLAB.MIGRATE-OUT', 'END']);
  for (const slot of slots) if (ctx.groups.stateOf(slot) !== 'migrated') ctx.groups.set(slot, 'migrated');
  await tellOtherMasters(ctx, slots);
}

/** Whether the source is a kvnetlab node (it copies a group itself: KVNETLAB.MIGRATE-OUT). */
async function hasMigrateOut(source: NodeLink): Promise<boolean> {
  try {
    await source.call(['KVNETLAB.MIGRATE-OUT', 'STATUS']);
    return true;
  } catch (e) {
    if (e instanceof MigrationError && /unknown command/i.test(e.message)) return false;
    throw e;
  }
}

/** The coordinator's control connection to the proxy in front of the source (channel `migration` there). */
class ProxyControl {
  private peer?: PeerClient;

  constructor(private readonly host: string, private readonly port: number, private readonly timeoutMs: number) {}

  async call(args: Array<string | number>): Promise<Reply> {
    const what = `${PROXY_COMMAND} MIGRATION ${args.join(' ')} at ${this.host}:${this.port}`;
    this.peer ??= new PeerClient(this.host, this.port, this.timeoutMs);
    let reply: Reply;
    try {
      [reply] = await this.peer.pipeline([[PROXY_COMMAND, 'MIGRATION', ...args]], this.timeoutMs);
    } catch (e) {
      if (e instanceof PeerIoError) throw new MigrationError('NODE_UNREACHABLE', `${what}: ${e.message}`);
      throw e;
    }
    if (reply.t !== 'error') return reply;
    if (/unknown command/i.test(reply.v)) {
      throw new MigrationError('STEP_FAILED', `proxy protocol needs kvnetlab's proxies in front of the nodes: ${this.host}:${this.port} answered "${reply.v}"`);
    }
    throw new MigrationError('STEP_FAILED', `${what}: ${reply.v}`);
  }

  close(): void {
    this.peer?.close();
    this.peer = undefined;
  }
}
