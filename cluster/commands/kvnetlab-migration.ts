import { type Reply, err } from '../resp/reply.js';
import { parseSlotTokens as parseSlotTokensOf } from '../store/slot-tokens.js';
import { SLOTS } from '../topology/cluster-node.js';
import type { CommandContext, CommandSpec } from './types.js';
import { type Subcommand, dispatchSubcommand, parseInteger } from './subcommands.js';

/**
 * kvnetlab-only commands of the Rocksteady migration (node/rocksteady-*.ts; the
 * coordinator is migration/rocksteady-protocol.ts). None has key arguments in the
 * command table: they are never redirected, a pull reads keys of slots this node no
 * longer serves.
 *
 *   destination  KVNETLAB.MIGRATE-IN START <source-id> <host> <port> <slots...> [BATCH n] [PAUSE ms]
 *                KVNETLAB.MIGRATE-IN STATUS | ABORT
 *   source       KVNETLAB.PULL-SOURCE HANDOFF <dest-id> <slots...> | RECLAIM <slots...> | RELEASE <slots...>
 *                KVNETLAB.PULL <slot> <cursor> <count>   -> [next cursor, [key, pttl, DUMP payload, ...]]
 *                KVNETLAB.PULL-KEYS <key> ...           -> [key, pttl, payload, ...]; pttl -2 and nil: gone
 *
 * <slots> are `A` or `A-B` tokens.
 */
export function parseSlotTokens(args: Buffer[]): number[] | Reply {
  const out = parseSlotTokensOf(args.map((a) => a.toString('latin1')));
  if (!out) return err('ERR Invalid or out of range slot');
  if (out.length === 0) return err('ERR no slots given');
  return out;
}

function services(ctx: CommandContext) {
  return ctx.node.rocksteady ?? null;
}

const NOT_HERE = err('ERR this node has no Rocksteady support');

const migrateIn: Record<string, Subcommand> = {
  start: {
    arity: -6,
    execute(ctx, args) {
      const r = services(ctx);
      if (!r) return NOT_HERE;
      const port = parseInteger(args[4]);
      if (port === undefined || port <= 0 || port > 65535) return err('ERR Invalid port');
      let batch = 100;
      let pauseMs = 0;
      let end = args.length;
      for (let i = 5; i < args.length; i++) {
        const o = args[i].toString('latin1').toLowerCase();
        if (o !== 'batch' && o !== 'pause') continue;
        end = Math.min(end, i);
        const n = parseInteger(args[i + 1] ?? Buffer.alloc(0));
        if (n === undefined || n < (o === 'batch' ? 1 : 0)) return err(`ERR Invalid ${o.toUpperCase()} value`);
        if (o === 'batch') batch = n;
        else pauseMs = n;
        i++;
      }
      const slots = parseSlotTokens(args.slice(5, end));
      if (!Array.isArray(slots)) return slots;
      return r.dest.start({ sourceId: args[2].toString('latin1'), host: args[3].toString('latin1'), port, slots, batch, pauseMs });
    },
  },
  status: { arity: 2, execute: (ctx) => services(ctx)?.dest.status() ?? NOT_HERE },
  abort: { arity: 2, execute: (ctx) => services(ctx)?.dest.abort() ?? NOT_HERE },
};

function withSlots(from: number, fn: (ctx: CommandContext, slots: number[], args: Buffer[]) => Reply): Subcommand['execute'] {
  return (ctx, args) => {
    const slots = parseSlotTokens(args.slice(from));
    return Array.isArray(slots) ? fn(ctx, slots, args) : slots;
  };
}

const pullSource: Record<string, Subcommand> = {
  handoff: {
    arity: -4,
    execute: withSlots(3, (ctx, slots, args) => services(ctx)?.source.handOff(ctx.node.cluster.lookup(args[2].toString('latin1')), slots) ?? NOT_HERE),
  },
  reclaim: { arity: -3, execute: withSlots(2, (ctx, slots) => services(ctx)?.source.reclaim(slots) ?? NOT_HERE) },
  release: { arity: -3, execute: withSlots(2, (ctx, slots) => services(ctx)?.source.release(slots) ?? NOT_HERE) },
};

const admin = { flags: ['admin' as const], firstKey: 0, lastKey: 0, step: 0 };

export const kvnetlabMigrationCommands: CommandSpec[] = [
  { name: 'kvnetlab.migrate-in', arity: -2, ...admin, execute: (ctx, args) => dispatchSubcommand('kvnetlab.migrate-in', migrateIn, ctx, args) },
  { name: 'kvnetlab.pull-source', arity: -2, ...admin, execute: (ctx, args) => dispatchSubcommand('kvnetlab.pull-source', pullSource, ctx, args) },
  {
    name: 'kvnetlab.pull',
    arity: 4,
    ...admin,
    execute(ctx, args) {
      const r = services(ctx);
      if (!r) return NOT_HERE;
      const [slot, cursor, count] = args.slice(1).map(parseInteger);
      if (slot === undefined || slot < 0 || slot >= SLOTS) return err('ERR Invalid or out of range slot');
      if (cursor === undefined || cursor < 0 || count === undefined || count < 1) return err('ERR value is not an integer or out of range');
      return r.source.pull(slot, cursor, count);
    },
  },
  {
    name: 'kvnetlab.pull-keys',
    arity: -2,
    ...admin,
    execute: (ctx, args) => services(ctx)?.source.pullKeys(args.slice(1).map((k) => k.toString('latin1'))) ?? NOT_HERE,
  },
];
