import { array, bulk, err, int, NIL, OK, type Reply } from '../resp/reply.js';
import { guarded, int64Arg, longArg, lookup, opt, own, str } from '../store/command-kit.js';
import { errLine, notFloat, notInteger, overflow, syntaxError } from '../store/errors.js';
import { formatHumanDouble, INT64_MAX, INT64_MIN, parseInt64, parseLongDouble } from '../store/numbers.js';
import type { CommandContext, CommandSpec } from './types.js';

/**
 * The string family (t_string.c). Values are Buffers; integers are int64 kept in bigint.
 * Replies of INCR-style commands use `int()`, which takes a JS number: results beyond
 * 2^53 are exact in the stored value but rounded in the reply (see the store report).
 */

/** proto-max-bulk-len's default: 512 MB (checkStringLength). */
const MAX_STRING = 512 * 1024 * 1024;
const TOO_BIG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';

const now = (ctx: CommandContext): number => ctx.node.now();

function checkLength(total: number): void {
  if (total > MAX_STRING) throw errLine(TOO_BIG);
}

type ExpireUnit = 'ex' | 'px' | 'exat' | 'pxat';

interface SetArgs {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expire?: { unit: ExpireUnit; arg: Buffer };
}

/**
 * t_string.c parseExtendedStringArgumentsOrReply, for SET (`forSet`) or GETEX. Conflicts
 * (NX+XX, two different expiry forms, KEEPTTL with one) are syntax errors; repeating the
 * same option is allowed and the last value wins, as in Redis.
 */
function parseSetArgs(args: Buffer[], from: number, forSet: boolean): SetArgs {
  const a: SetArgs = { nx: false, xx: false, get: false, keepTtl: false, persist: false };
  for (let j = from; j < args.length; j++) {
    const o = opt(args[j]);
    const hasNext = j < args.length - 1;
    const unit = a.expire?.unit;
    if (o === 'nx' && forSet && !a.xx) a.nx = true;
    else if (o === 'xx' && forSet && !a.nx) a.xx = true;
    else if (o === 'get' && forSet) a.get = true;
    else if (o === 'keepttl' && forSet && !a.persist && !unit) a.keepTtl = true;
    else if (o === 'persist' && !forSet && !unit && !a.keepTtl) a.persist = true;
    else if ((o === 'ex' || o === 'px' || o === 'exat' || o === 'pxat') && (!unit || unit === o) && !a.keepTtl && !a.persist && hasNext) {
      a.expire = { unit: o, arg: args[++j] };
    } else throw syntaxError();
  }
  return a;
}

/** t_string.c getExpireMillisecondsOrReply: the absolute expiry in ms. */
function expireMs(e: { unit: ExpireUnit; arg: Buffer }, command: string, at: number): number {
  let ms = int64Arg(e.arg);
  const bad = errLine(`ERR invalid expire time in '${command}' command`);
  const seconds = e.unit === 'ex' || e.unit === 'exat';
  if (ms <= 0n || (seconds && ms > INT64_MAX / 1000n)) throw bad;
  if (seconds) ms *= 1000n;
  if (e.unit === 'ex' || e.unit === 'px') ms += BigInt(at);
  if (ms > INT64_MAX) throw bad; // the signed overflow Redis detects as `<= 0`
  return Number(ms);
}

function set(ctx: CommandContext, args: Buffer[]): Reply {
  const key = str(args[1]);
  const a = parseSetArgs(args, 3, true);
  const t = now(ctx);
  const expireAt = a.expire ? expireMs(a.expire, 'set', t) : undefined;
  const old = a.get ? lookup(ctx, key, 'string') : undefined;
  const found = a.get ? old !== undefined : ctx.db.exists(key, t);
  if ((a.nx && found) || (a.xx && !found)) return a.get ? bulk(old ?? null) : NIL;
  ctx.db.set(key, { type: 'string', value: own(args[2]) }, { expireAt, keepTtl: a.keepTtl });
  return a.get ? bulk(old ?? null) : OK;
}

/** SETEX / PSETEX: SET key value EX|PX n, under their own name in errors. */
function setWithTtl(unit: 'ex' | 'px', command: string) {
  return (ctx: CommandContext, args: Buffer[]): Reply => {
    const expireAt = expireMs({ unit, arg: args[2] }, command, now(ctx));
    ctx.db.set(str(args[1]), { type: 'string', value: own(args[3]) }, { expireAt });
    return OK;
  };
}

function getex(ctx: CommandContext, args: Buffer[]): Reply {
  const key = str(args[1]);
  const a = parseSetArgs(args, 2, false);
  const t = now(ctx);
  const expireAt = a.expire ? expireMs(a.expire, 'getex', t) : undefined;
  const v = lookup(ctx, key, 'string');
  if (v === undefined) return NIL;
  if (expireAt !== undefined && expireAt <= t) ctx.db.delete(key); // EXAT/PXAT in the past
  else if (expireAt !== undefined) ctx.db.expireAt(key, expireAt);
  else if (a.persist) ctx.db.expireAt(key, undefined);
  return bulk(v);
}

/** INCR, DECR, INCRBY, DECRBY (incrDecrCommand). */
function incrBy(ctx: CommandContext, key: string, by: bigint): Reply {
  const cur = lookup(ctx, key, 'string');
  const value = cur === undefined ? 0n : parseInt64(cur);
  if (value === undefined) throw notInteger();
  const next = value + by;
  if (next > INT64_MAX || next < INT64_MIN) throw overflow();
  ctx.db.set(key, { type: 'string', value: Buffer.from(next.toString(), 'latin1') }, { keepTtl: true });
  return int(Number(next));
}

function incrByFloat(ctx: CommandContext, args: Buffer[]): Reply {
  const key = str(args[1]);
  const cur = lookup(ctx, key, 'string');
  const value = cur === undefined ? 0 : parseLongDouble(cur);
  const by = parseLongDouble(args[2]);
  if (value === undefined || by === undefined) throw notFloat();
  const next = value + by;
  if (!Number.isFinite(next)) throw errLine('ERR increment would produce NaN or Infinity');
  const text = Buffer.from(formatHumanDouble(next), 'latin1');
  ctx.db.set(key, { type: 'string', value: text }, { keepTtl: true });
  return bulk(text);
}

function append(ctx: CommandContext, args: Buffer[]): Reply {
  const key = str(args[1]);
  const cur = lookup(ctx, key, 'string');
  const total = (cur?.length ?? 0) + args[2].length;
  checkLength(total);
  const value = cur === undefined ? Buffer.from(args[2]) : Buffer.concat([cur, args[2]], total);
  ctx.db.set(key, { type: 'string', value }, { keepTtl: true });
  return int(total);
}

function getrange(ctx: CommandContext, args: Buffer[]): Reply {
  let start = longArg(args[2]);
  let end = longArg(args[3]);
  const v = lookup(ctx, str(args[1]), 'string');
  if (v === undefined) return bulk(Buffer.alloc(0));
  const len = v.length;
  if (start < 0 && end < 0 && start > end) return bulk(Buffer.alloc(0));
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return bulk(Buffer.alloc(0));
  return bulk(Buffer.from(v.subarray(start, end + 1)));
}

function setrange(ctx: CommandContext, args: Buffer[]): Reply {
  const key = str(args[1]);
  const offset = longArg(args[2]);
  const patch = args[3];
  if (offset < 0) throw errLine('ERR offset is out of range');
  const cur = lookup(ctx, key, 'string');
  if (patch.length === 0) return int(cur?.length ?? 0);
  checkLength(offset + patch.length);
  const len = Math.max(cur?.length ?? 0, offset + patch.length);
  const value = Buffer.alloc(len); // zero padding, as sdsgrowzero
  cur?.copy(value);
  patch.copy(value, offset);
  ctx.db.set(key, { type: 'string', value }, { keepTtl: true });
  return int(len);
}

function mset(ctx: CommandContext, args: Buffer[], nx: boolean): Reply {
  if (args.length % 2 === 0) return err(`ERR wrong number of arguments for '${nx ? 'msetnx' : 'mset'}' command`);
  const t = now(ctx);
  if (nx) {
    for (let i = 1; i < args.length; i += 2) if (ctx.db.exists(str(args[i]), t)) return int(0);
  }
  for (let i = 1; i < args.length; i += 2) ctx.db.set(str(args[i]), { type: 'string', value: own(args[i + 1]) });
  return nx ? int(1) : OK;
}

const one = { firstKey: 1, lastKey: 1, step: 1 } as const;

export const stringCommands: CommandSpec[] = [
  {
    name: 'get', arity: 2, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => bulk(lookup(ctx, str(args[1]), 'string') ?? null)),
  },
  { name: 'set', arity: -3, flags: ['write', 'denyoom'], ...one, execute: guarded(set) },
  {
    name: 'setnx', arity: 3, flags: ['write', 'denyoom', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const key = str(args[1]);
      if (ctx.db.exists(key, now(ctx))) return int(0);
      ctx.db.set(key, { type: 'string', value: own(args[2]) });
      return int(1);
    }),
  },
  { name: 'setex', arity: 4, flags: ['write', 'denyoom'], ...one, execute: guarded(setWithTtl('ex', 'setex')) },
  { name: 'psetex', arity: 4, flags: ['write', 'denyoom'], ...one, execute: guarded(setWithTtl('px', 'psetex')) },
  {
    name: 'getset', arity: 3, flags: ['write', 'denyoom', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const key = str(args[1]);
      const old = lookup(ctx, key, 'string');
      ctx.db.set(key, { type: 'string', value: own(args[2]) });
      return bulk(old ?? null);
    }),
  },
  {
    name: 'getdel', arity: 2, flags: ['write', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const key = str(args[1]);
      const old = lookup(ctx, key, 'string');
      if (old !== undefined) ctx.db.delete(key);
      return bulk(old ?? null);
    }),
  },
  { name: 'getex', arity: -2, flags: ['write', 'fast'], ...one, execute: guarded(getex) },
  {
    name: 'mget', arity: -2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: -1, step: 1,
    execute: guarded((ctx, args) => {
      const t = now(ctx);
      // A key of another type reads as nil here, not WRONGTYPE (mgetCommand).
      return array(args.slice(1).map((a) => {
        const v = ctx.db.get(str(a), t);
        return bulk(v?.type === 'string' ? v.value : null);
      }));
    }),
  },
  { name: 'mset', arity: -3, flags: ['write', 'denyoom'], firstKey: 1, lastKey: -1, step: 2, execute: guarded((c, a) => mset(c, a, false)) },
  { name: 'msetnx', arity: -3, flags: ['write', 'denyoom'], firstKey: 1, lastKey: -1, step: 2, execute: guarded((c, a) => mset(c, a, true)) },
  { name: 'incr', arity: 2, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded((c, a) => incrBy(c, str(a[1]), 1n)) },
  { name: 'decr', arity: 2, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded((c, a) => incrBy(c, str(a[1]), -1n)) },
  {
    name: 'incrby', arity: 3, flags: ['write', 'denyoom', 'fast'], ...one,
    execute: guarded((c, a) => incrBy(c, str(a[1]), int64Arg(a[2]))),
  },
  {
    name: 'decrby', arity: 3, flags: ['write', 'denyoom', 'fast'], ...one,
    execute: guarded((c, a) => {
      const by = int64Arg(a[2]);
      if (by === INT64_MIN) throw overflow('ERR decrement would overflow');
      return incrBy(c, str(a[1]), -by);
    }),
  },
  { name: 'incrbyfloat', arity: 3, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded(incrByFloat) },
  { name: 'append', arity: 3, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded(append) },
  {
    name: 'strlen', arity: 2, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => int(lookup(ctx, str(args[1]), 'string')?.length ?? 0)),
  },
  { name: 'getrange', arity: 4, flags: ['readonly'], ...one, execute: guarded(getrange) },
  { name: 'setrange', arity: 4, flags: ['write', 'denyoom'], ...one, execute: guarded(setrange) },
];
