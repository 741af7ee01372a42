import { type Reply, OK, bulk, err, int } from '../resp/reply.js';
import { SLOTS, isMaster } from '../topology/cluster-node.js';
import { MigrateOutError, parseSlotTokens } from '../node/migrate-out.js';
import { setSlotsNode } from './cluster.js';
import { type Subcommand, dispatchSubcommand, parseInteger } from './subcommands.js';
import type { CommandContext, CommandSpec } from './types.js';

/**
 * KVNETLAB.MIGRATE-OUT: the source's side of source-based migration (kvnetlab only;
 * node/migrate-out.ts does the work, migration/source-protocol.ts drives it):
 *
 *   START <dest-host> <dest-port> [TIMEOUT ms] [BATCH keys] [KEEP] SLOTS <slot|a-b> ...
 *                       open the link to the destination (its announced address), forward from now on;
 *                       KEEP: the copy never overwrites a key the destination has (no REPLACE, BUSYKEY ok)
 *   GROUP <slot>        copy one group now; answers the keys sent once the destination acknowledged them
 *   PAUSE [max-ms]      hold commands on the moving slots; answers once every forward is acknowledged
 *   HANDOVER <node-id> <slot|a-b> ...
 *                       drop the slots' keys here and give them to <node-id> (CLUSTER SETSLOT
 *                       NODE of each, one nodes.conf save), in one turn
 *   END                 every slot handed over: close the link, release the held commands (-MOVED)
 *   ABORT               stop, release the held commands; the slots stay here
 *   STATUS              state and counters, `field:value` lines
 *
 * Errors are `ERR migrate-out: <why>`.
 */
const NAME = 'kvnetlab.migrate-out';

const fail = (why: string): Reply => err(`ERR migrate-out: ${why}`);

/** A step out of order (MigrateOutError) or the link's own failure (closed, timeout) becomes an error reply. */
async function guarded(fn: () => Promise<Reply> | Reply): Promise<Reply> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Error) return fail(e.message);
    throw e;
  }
}

function service(ctx: CommandContext) {
  const m = ctx.node.migrateOut;
  if (!m) throw new MigrateOutError('not supported on this node');
  return m;
}

function start(ctx: CommandContext, args: Buffer[]): Reply {
  const { cluster } = ctx.node;
  if (!isMaster(cluster.myself)) return fail('only a master migrates slots out');
  const port = parseInteger(args[3]);
  if (port === undefined || port <= 0 || port > 65535) return fail('bad port');
  let timeoutMs = 5000;
  let batchKeys = 100;
  let keep = false;
  let i = 4;
  for (; i < args.length; i++) {
    const opt = args[i].toString('latin1').toLowerCase();
    if (opt === 'keep') {
      keep = true;
      continue;
    }
    const n = i + 1 < args.length ? parseInteger(args[i + 1]) : undefined;
    if (opt === 'slots') break;
    if ((opt !== 'timeout' && opt !== 'batch') || n === undefined || n <= 0) return err('ERR syntax error');
    if (opt === 'timeout') timeoutMs = n;
    else batchKeys = n;
    i++;
  }
  const slots = parseSlotTokens(args.slice(i + 1).map((a) => a.toString('latin1')));
  if (i >= args.length || !slots || slots.length === 0) return fail('SLOTS <slot|a-b> ... expected');
  const notMine = slots.find((s) => cluster.slots[s] !== cluster.myself);
  if (notMine !== undefined) return fail(`I'm not the owner of hash slot ${notMine}`);
  service(ctx).start({ host: args[2].toString('latin1'), port, slots: [...new Set(slots)], timeoutMs, batchKeys, keep });
  return OK;
}

function handover(ctx: CommandContext, args: Buffer[]): Reply {
  const id = args[2].toString('latin1');
  const target = ctx.node.cluster.lookup(id);
  if (!target || !isMaster(target) || target === ctx.node.cluster.myself) return fail(`${id} is not another master`);
  const slots = parseSlotTokens(args.slice(3).map((a) => a.toString('latin1')));
  if (!slots || slots.length === 0) return err('ERR Invalid or out of range slot');
  const dropped = service(ctx).dropSlots(slots);
  const r = setSlotsNode(ctx, slots, target);
  return r.t === 'error' ? r : int(dropped);
}

const table: Record<string, Subcommand> = {
  start: { arity: -6, execute: (ctx, args) => guarded(() => start(ctx, args)) },
  group: {
    arity: 3,
    execute: (ctx, args) => guarded(async () => {
      const slot = parseSlotTokens([args[2].toString('latin1')]);
      return slot?.length !== 1 ? err('ERR Invalid or out of range slot') : int(await service(ctx).copyGroup(slot[0]!));
    }),
  },
  pause: {
    arity: -2,
    execute: (ctx, args) => guarded(async () => {
      const max = args.length > 2 ? parseInteger(args[2]) : 10_000;
      if (max === undefined || max <= 0 || args.length > 3) return err('ERR syntax error');
      await service(ctx).pause(max);
      return OK;
    }),
  },
  handover: { arity: -4, execute: (ctx, args) => guarded(() => handover(ctx, args)) },
  end: {
    arity: 2,
    execute: (ctx) => guarded(() => {
      const { cluster } = ctx.node;
      service(ctx).end((slot) => cluster.slots[slot] === cluster.myself);
      return OK;
    }),
  },
  abort: { arity: 2, execute: (ctx) => guarded(() => (service(ctx).abort(), OK)) },
  status: { arity: 2, execute: (ctx) => guarded(() => bulk(service(ctx).status())) },
};

export const migrateOutCommands: CommandSpec[] = [
  {
    name: NAME,
    arity: -2,
    flags: ['admin', 'noscript'],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    execute: (ctx, args) => dispatchSubcommand(NAME, table, ctx, args),
  },
];
