import { PeerClient, PeerIoError } from '../cluster/node/peer-client.js';
import type { Reply } from '../cluster/resp/reply.js';
import { PROXY_COMMAND } from '../proxy/session.js';
import { copySlot, dropSourceCopies, openImport } from './copy.js';
import { MigrationError } from './errors.js';
import type { MigrationContext, MigrationProtocol } from './protocol.js';
import { handOver } from './redis-protocol.js';

/**
 * Proxy-tracked migration (NetMigrate's switch): the proxy in front of the source keeps
 * every group's state and routes the clients' commands (proxy/route/); plain cluster
 * clients need nothing. The coordinator drives that proxy in band, on a connection to
 * the source's public address whose first command is KVNETLAB.PROXY (proxy/route/control.ts):
 *
 *   open   dest: SETSLOT IMPORTING for every slot; proxy: MIGRATION OPEN <dest> <A-B>
 *          (+OK once every client connection is routed)
 *   copy   per group: proxy GROUP s ongoing (+OK once the commands of s already at the
 *          source are answered) -> MIGRATE COPY (never overwriting what clients wrote at the
 *          destination since) -> proxy GROUP s migrated (+OK once the reads of s at the
 *          source are answered) -> the source's copies deleted -> SETSLOT NODE (dest, source,
 *          other masters) -> proxy HANDEDOVER s (no ASKING from now on)
 *   close  proxy: MIGRATION CLOSE; its connections fall back to the raw relay as they
 *          go idle, and clients learn the new owner from the source's -MOVED
 *
 * Abort: MIGRATION CLOSE (closing the control connection has the same effect), every
 * ongoing group back to not-migrated, SETSLOT STABLE on the destination for the slots not
 * handed over. The source never left MIGRATING-free ownership of those: it serves them.
 */
const controls = new WeakMap<MigrationContext, ProxyControl>();

export const proxyProtocol: MigrationProtocol = {
  name: 'proxy',

  async run(ctx) {
    const ctl = new ProxyControl(ctx.source.ep.host, ctx.source.ep.port, ctx.timeoutMs);
    controls.set(ctx, ctl);
    const slots = ctx.groups.slots();
    const handed = new Set<number>();
    await ctx.phase('open', async () => {
      await openImport(ctx);
      await ctl.call(['OPEN', ctx.dest.ep.host, ctx.dest.ep.port, `${Math.min(...slots)}-${Math.max(...slots)}`]);
    });
    await ctx.phase('copy', async (detail) => {
      for (const slot of slots) {
        ctx.groups.set(slot, 'ongoing');
        await ctl.call(['GROUP', slot, 'ongoing']);
        const copied = await copySlot(ctx, slot);
        ctx.groups.set(slot, 'migrated');
        await ctl.call(['GROUP', slot, 'migrated']);
        // No client wrote to the source since GROUP ongoing (writes go to the destination,
        // other commands wait): the copied keys are all it holds for the slot.
        await dropSourceCopies(ctx, slot, copied, false);
        await handOver(ctx, slot);
        handed.add(slot);
        await ctl.call(['HANDEDOVER', slot]);
        await ctx.afterGroup(slot);
      }
      Object.assign(detail, { keys: ctx.tally.keys, batches: ctx.tally.batches });
    });
    await ctl.call(['CLOSE']);
    ctl.close();
  },

  async abort(ctx, cause) {
    ctx.log(`aborting: ${cause instanceof Error ? cause.message : String(cause)}`);
    const ctl = controls.get(ctx);
    await ctl?.call(['CLOSE']).catch((e: Error) => ctx.log(`MIGRATION CLOSE at the source's proxy: ${e.message} (closing the control connection closes it)`));
    ctl?.close();
    for (const slot of ctx.groups.slots('ongoing')) ctx.groups.set(slot, 'not-migrated');
    for (const slot of ctx.groups.slots('not-migrated')) await ctx.dest.call(['CLUSTER', 'SETSLOT', slot, 'STABLE']).catch(() => undefined);
  },
};

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
