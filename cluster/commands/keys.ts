import { array, bulk, bulks, err, int, NIL, OK, status, type Reply } from '../resp/reply.js';
import { cursorArg, guarded, int64Arg, opt, scanOptions, str } from '../store/command-kit.js';
import { dumpValue, restoreValue } from '../store/dump.js';
import { errLine, syntaxError, TEXT } from '../store/errors.js';
import { INT64_MAX, INT64_MIN, parseInt64 } from '../store/numbers.js';
import type { Value } from '../store/value.js';
import type { CommandContext, CommandSpec } from './types.js';

/**
 * Generic key commands (db.c, expire.c, cluster.c DUMP/RESTORE, object.c). All of them
 * take time from ctx.node.now(), so expiry tests move a fake clock.
 */

const now = (ctx: CommandContext): number => ctx.node.now();

/** DEL / UNLINK / EXISTS / TOUCH: count over the key arguments (repeats count again). */
function countKeys(ctx: CommandContext, args: Buffer[], each: (key: string, t: number) => boolean): Reply {
  const t = now(ctx);
  let n = 0;
  for (const a of args.slice(1)) if (each(str(a), t)) n++;
  return int(n);
}

/**
 * expire.c expireGenericCommand for EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with the NX / XX /
 * GT / LT options of 7.0. A key with no TTL counts as an infinite one for GT and LT.
 */
function expire(name: string, seconds: boolean, relative: boolean) {
  return (ctx: CommandContext, args: Buffer[]): Reply => {
    const f = { nx: false, xx: false, gt: false, lt: false };
    for (const a of args.slice(3)) {
      const o = opt(a);
      if (o === 'nx' || o === 'xx' || o === 'gt' || o === 'lt') f[o] = true;
      else return err(`ERR Unsupported option ${a.toString('latin1')}`);
    }
    if (f.nx && (f.xx || f.gt || f.lt)) return err('ERR NX and XX, GT or LT options at the same time are not compatible');
    if (f.gt && f.lt) return err('ERR GT and LT options at the same time are not compatible');
    let when = int64Arg(args[2]);
    const t = now(ctx);
    const invalid = errLine(`ERR invalid expire time in '${name}' command`);
    if (seconds) {
      if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) throw invalid;
      when *= 1000n;
    }
    if (relative) {
      if (when > INT64_MAX - BigInt(t)) throw invalid;
      when += BigInt(t);
    }
    const key = str(args[1]);
    const current = ctx.db.expireTimeMs(key, t);
    if (current === -2) return int(0);
    const at = Number(when);
    if (f.nx && current !== -1) return int(0);
    if (f.xx && current === -1) return int(0);
    if (f.gt && (current === -1 || at <= current)) return int(0);
    if (f.lt && current !== -1 && at >= current) return int(0);
    if (at <= t) ctx.db.delete(key); // checkAlreadyExpired
    else ctx.db.expireAt(key, at);
    return int(1);
  };
}

/** TTL / PTTL (ttlGenericCommand): seconds are rounded, (ms + 500) / 1000. */
function ttl(ms: boolean) {
  return (ctx: CommandContext, args: Buffer[]): Reply => {
    const left = ctx.db.ttlMs(str(args[1]), now(ctx));
    return int(left < 0 || ms ? left : Math.floor((left + 500) / 1000));
  };
}

/** EXPIRETIME / PEXPIRETIME (7.0): the absolute expiry, -1 without one, -2 when missing. */
function expireTime(ms: boolean) {
  return (ctx: CommandContext, args: Buffer[]): Reply => {
    const at = ctx.db.expireTimeMs(str(args[1]), now(ctx));
    return int(at < 0 || ms ? at : Math.floor((at + 500) / 1000));
  };
}

function scan(ctx: CommandContext, args: Buffer[]): Reply {
  const cursor = cursorArg(args[1]);
  const o = scanOptions(args, 2, true);
  const [next, keys] = ctx.db.scan(cursor, o.count, o.match, o.type, now(ctx));
  return array([bulk(next), bulks(keys.map((k) => Buffer.from(k, 'latin1')))]);
}

function flush(ctx: CommandContext, args: Buffer[]): Reply {
  // db.c getFlushCommandFlags: at most one argument, ASYNC or SYNC. Both free at once here.
  if (args.length > 2) throw syntaxError();
  if (args.length === 2 && !['async', 'sync'].includes(opt(args[1]))) throw syntaxError();
  ctx.db.flush();
  return OK;
}

/**
 * cluster.c restoreCommand: RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f].
 * The checks run in Redis' order: options, BUSYKEY, TTL, payload. IDLETIME and FREQ are
 * validated and otherwise ignored (we keep no LRU/LFU data).
 */
function restore(ctx: CommandContext, args: Buffer[]): Reply {
  let replace = false;
  let absTtl = false;
  let idle = -1n;
  let freq = -1n;
  for (let j = 4; j < args.length; j++) {
    const o = opt(args[j]);
    const more = args.length - j - 1;
    if (o === 'replace') replace = true;
    else if (o === 'absttl') absTtl = true;
    else if (o === 'idletime' && more >= 1 && freq === -1n) {
      idle = int64Arg(args[++j]);
      if (idle < 0n) return err('ERR Invalid IDLETIME value, must be >= 0');
    } else if (o === 'freq' && more >= 1 && idle === -1n) {
      freq = int64Arg(args[++j]);
      if (freq < 0n || freq > 255n) return err('ERR Invalid FREQ value, must be >= 0 and <= 255');
    } else throw syntaxError();
  }
  const key = str(args[1]);
  const t = now(ctx);
  if (!replace && ctx.db.exists(key, t)) return err(TEXT.busyKey);
  let ttlMs = int64Arg(args[2]);
  if (ttlMs < 0n) return err('ERR Invalid TTL value, must be >= 0');
  const value = restoreValue(args[3]); // DumpPayloadError carries Redis' text; guarded() answers it
  if (replace) ctx.db.delete(key);
  if (ttlMs > 0n && !absTtl) ttlMs += BigInt(t);
  if (ttlMs > 0n && Number(ttlMs) <= t) return OK; // already expired: nothing to add (the old key is gone)
  ctx.db.set(key, value, { expireAt: ttlMs > 0n ? Number(ttlMs) : undefined });
  return OK;
}

/** The encodings Redis 7.0 would report with default thresholds (object.c, *-max-listpack-*). */
function encodingOf(v: Value): string {
  switch (v.type) {
    case 'string':
      if (v.value.length <= 20 && parseInt64(v.value) !== undefined) return 'int';
      return v.value.length <= 44 ? 'embstr' : 'raw';
    case 'hash': {
      if (v.value.size > 128) return 'hashtable';
      for (const [f, val] of v.value) if (f.length > 64 || val.length > 64) return 'hashtable';
      return 'listpack';
    }
    case 'zset': {
      if (v.value.card > 128) return 'skiplist';
      for (const [m] of v.value.entries()) if (m.length > 64) return 'skiplist';
      return 'listpack';
    }
  }
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Print this help.',
];

/** OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP. We track no access times: IDLETIME is 0. */
function object(ctx: CommandContext, args: Buffer[]): Reply {
  const sub = opt(args[1]);
  if (sub === 'help' && args.length === 2) return array(OBJECT_HELP.map((l) => status(l)));
  if (!['encoding', 'refcount', 'idletime', 'freq'].includes(sub)) {
    return err(`ERR unknown subcommand '${args[1].toString('latin1')}'. Try OBJECT HELP.`);
  }
  if (args.length !== 3) return err(`ERR wrong number of arguments for 'object|${sub}' command`);
  const v = ctx.db.get(str(args[2]), now(ctx));
  if (!v) return NIL;
  switch (sub) {
    case 'encoding':
      return bulk(encodingOf(v));
    case 'refcount':
      return int(1);
    case 'idletime':
      return int(0);
    default:
      return err(
        'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
      );
  }
}

const one = { firstKey: 1, lastKey: 1, step: 1 } as const;
const all = { firstKey: 1, lastKey: -1, step: 1 } as const;
const none = { firstKey: 0, lastKey: 0, step: 0 } as const;

export const keyCommands: CommandSpec[] = [
  { name: 'del', arity: -2, flags: ['write'], ...all, execute: guarded((c, a) => countKeys(c, a, (k, t) => c.db.delete(k, t))) },
  { name: 'unlink', arity: -2, flags: ['write', 'fast'], ...all, execute: guarded((c, a) => countKeys(c, a, (k, t) => c.db.delete(k, t))) },
  { name: 'exists', arity: -2, flags: ['readonly', 'fast'], ...all, execute: guarded((c, a) => countKeys(c, a, (k, t) => c.db.exists(k, t))) },
  { name: 'touch', arity: -2, flags: ['readonly', 'fast'], ...all, execute: guarded((c, a) => countKeys(c, a, (k, t) => c.db.exists(k, t))) },
  {
    name: 'type', arity: 2, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => status(ctx.db.type(str(args[1]), now(ctx)))),
  },
  { name: 'expire', arity: -3, flags: ['write', 'fast'], ...one, execute: guarded(expire('expire', true, true)) },
  { name: 'pexpire', arity: -3, flags: ['write', 'fast'], ...one, execute: guarded(expire('pexpire', false, true)) },
  { name: 'expireat', arity: -3, flags: ['write', 'fast'], ...one, execute: guarded(expire('expireat', true, false)) },
  { name: 'pexpireat', arity: -3, flags: ['write', 'fast'], ...one, execute: guarded(expire('pexpireat', false, false)) },
  { name: 'ttl', arity: 2, flags: ['readonly', 'fast'], ...one, execute: guarded(ttl(false)) },
  { name: 'pttl', arity: 2, flags: ['readonly', 'fast'], ...one, execute: guarded(ttl(true)) },
  { name: 'expiretime', arity: 2, flags: ['readonly', 'fast'], ...one, execute: guarded(expireTime(false)) },
  { name: 'pexpiretime', arity: 2, flags: ['readonly', 'fast'], ...one, execute: guarded(expireTime(true)) },
  {
    name: 'persist', arity: 2, flags: ['write', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const key = str(args[1]);
      if (ctx.db.ttlMs(key, now(ctx)) < 0) return int(0);
      ctx.db.expireAt(key, undefined);
      return int(1);
    }),
  },
  { name: 'scan', arity: -2, flags: ['readonly'], ...none, execute: guarded(scan) },
  {
    name: 'keys', arity: 2, flags: ['readonly'], ...none,
    execute: guarded((ctx, args) => bulks(ctx.db.keys(str(args[1]), now(ctx)).map((k) => Buffer.from(k, 'latin1')))),
  },
  {
    name: 'randomkey', arity: 1, flags: ['readonly'], ...none,
    execute: guarded((ctx) => {
      const k = ctx.db.randomKey(now(ctx));
      return k === undefined ? NIL : bulk(Buffer.from(k, 'latin1'));
    }),
  },
  { name: 'dbsize', arity: 1, flags: ['readonly', 'fast'], ...none, execute: guarded((ctx) => int(ctx.db.size())) },
  { name: 'flushall', arity: -1, flags: ['write'], ...none, execute: guarded(flush) },
  { name: 'flushdb', arity: -1, flags: ['write'], ...none, execute: guarded(flush) },
  {
    name: 'dump', arity: 2, flags: ['readonly'], ...one,
    execute: guarded((ctx, args) => {
      const v = ctx.db.get(str(args[1]), now(ctx));
      return v ? bulk(dumpValue(v)) : NIL;
    }),
  },
  { name: 'restore', arity: -4, flags: ['write', 'denyoom'], ...one, execute: guarded(restore) },
  // Same command; the dispatcher lets it through to an importing slot without ASKING.
  { name: 'restore-asking', arity: -4, flags: ['write', 'denyoom'], ...one, execute: guarded(restore) },
  {
    name: 'object', arity: -2, flags: ['readonly'], firstKey: 2, lastKey: 2, step: 1,
    keys: (args) => (args.length >= 3 ? [args[2]] : []),
    execute: guarded(object),
  },
];
