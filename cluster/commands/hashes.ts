import { array, bulk, bulks, err, int, map, OK, type Reply } from '../resp/reply.js';
import { cursorArg, guarded, int64Arg, lookup, own, scanOptions, str } from '../store/command-kit.js';
import { errLine, notFloat, overflow } from '../store/errors.js';
import { globMatch } from '../store/glob.js';
import { formatHumanDouble, INT64_MAX, INT64_MIN, parseInt64, parseLongDouble } from '../store/numbers.js';
import { hashFieldBytes } from '../store/value.js';
import type { CommandContext, CommandSpec } from './types.js';

/**
 * The hash family (t_hash.c). A hash is a Map from field (latin1 string) to Buffer.
 * Writes go through HashWrite so that a new hash is stored only once it has a field, an
 * emptied one is deleted (Redis never keeps empty aggregates), and the keyspace's memory
 * estimate follows every field change.
 */

class HashWrite {
  readonly h: Map<string, Buffer>;
  private readonly isNew: boolean;

  constructor(
    private readonly ctx: CommandContext,
    private readonly key: string,
  ) {
    const h = lookup(ctx, key, 'hash');
    this.isNew = h === undefined;
    this.h = h ?? new Map();
  }

  /** Sets a field; true when the field is new. */
  put(field: string, value: Buffer): boolean {
    const old = this.h.get(field);
    this.h.set(field, value);
    if (!this.isNew) {
      this.ctx.db.adjustMemory(this.key, hashFieldBytes(field, value) - (old ? hashFieldBytes(field, old) : 0));
    }
    return old === undefined;
  }

  remove(field: string): boolean {
    const old = this.h.get(field);
    if (old === undefined) return false;
    this.h.delete(field);
    if (!this.isNew) this.ctx.db.adjustMemory(this.key, -hashFieldBytes(field, old));
    return true;
  }

  commit(): void {
    if (this.isNew && this.h.size > 0) this.ctx.db.set(this.key, { type: 'hash', value: this.h });
    else if (!this.isNew && this.h.size === 0) this.ctx.db.delete(this.key);
  }
}

function hset(ctx: CommandContext, args: Buffer[]): Reply {
  const name = args[0].toString('latin1').toLowerCase();
  if (args.length % 2 === 1) return err(`ERR wrong number of arguments for '${name}' command`);
  const w = new HashWrite(ctx, str(args[1]));
  let created = 0;
  for (let i = 2; i < args.length; i += 2) if (w.put(str(args[i]), own(args[i + 1]))) created++;
  w.commit();
  return name === 'hmset' ? OK : int(created);
}

function hincrby(ctx: CommandContext, args: Buffer[]): Reply {
  const by = int64Arg(args[3]);
  const w = new HashWrite(ctx, str(args[1]));
  const field = str(args[2]);
  const cur = w.h.get(field);
  const value = cur === undefined ? 0n : parseInt64(cur);
  if (value === undefined) throw errLine('ERR hash value is not an integer');
  const next = value + by;
  if (next > INT64_MAX || next < INT64_MIN) throw overflow();
  w.put(field, Buffer.from(next.toString(), 'latin1'));
  w.commit();
  return int(Number(next));
}

function hincrbyfloat(ctx: CommandContext, args: Buffer[]): Reply {
  const by = parseLongDouble(args[3]);
  if (by === undefined) throw notFloat();
  if (!Number.isFinite(by)) throw errLine('ERR value is NaN or Infinity');
  const w = new HashWrite(ctx, str(args[1]));
  const field = str(args[2]);
  const cur = w.h.get(field);
  const value = cur === undefined ? 0 : parseLongDouble(cur);
  if (value === undefined) throw errLine('ERR hash value is not a float');
  const next = value + by;
  if (!Number.isFinite(next)) throw errLine('ERR increment would produce NaN or Infinity');
  const text = Buffer.from(formatHumanDouble(next), 'latin1');
  w.put(field, text);
  w.commit();
  return bulk(text);
}

/**
 * HSCAN returns the whole hash in one reply with cursor 0, which is what Redis does for
 * small (listpack) hashes; COUNT is accepted and, as there, only a hint. A Map offers no
 * position that survives deletes, and this keeps the scan guarantee trivially.
 */
function hscan(ctx: CommandContext, args: Buffer[]): Reply {
  cursorArg(args[2]);
  const h = lookup(ctx, str(args[1]), 'hash');
  const o = scanOptions(args, 3, false);
  const out: Buffer[] = [];
  for (const [f, v] of h ?? []) {
    if (o.match !== undefined && !globMatch(o.match, f)) continue;
    out.push(Buffer.from(f, 'latin1'), v);
  }
  return array([bulk('0'), bulks(out)]);
}

const one = { firstKey: 1, lastKey: 1, step: 1 } as const;
const field = (h: Map<string, Buffer> | undefined, f: Buffer): Buffer | null => h?.get(str(f)) ?? null;

export const hashCommands: CommandSpec[] = [
  { name: 'hset', arity: -4, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded(hset) },
  { name: 'hmset', arity: -4, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded(hset) },
  {
    name: 'hsetnx', arity: 4, flags: ['write', 'denyoom', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const w = new HashWrite(ctx, str(args[1]));
      if (w.h.has(str(args[2]))) return int(0);
      w.put(str(args[2]), own(args[3]));
      w.commit();
      return int(1);
    }),
  },
  {
    name: 'hget', arity: 3, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => bulk(field(lookup(ctx, str(args[1]), 'hash'), args[2]))),
  },
  {
    name: 'hmget', arity: -3, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const h = lookup(ctx, str(args[1]), 'hash');
      return bulks(args.slice(2).map((f) => field(h, f)));
    }),
  },
  {
    name: 'hgetall', arity: 2, flags: ['readonly'], ...one,
    // A map: RESP3 sends it as one, RESP2 flattens it to field, value, ... (addReplyMapLen).
    execute: guarded((ctx, args) => {
      const h = lookup(ctx, str(args[1]), 'hash');
      return map([...(h ?? [])].map(([f, v]): [Reply, Reply] => [bulk(Buffer.from(f, 'latin1')), bulk(v)]));
    }),
  },
  {
    name: 'hdel', arity: -3, flags: ['write', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const w = new HashWrite(ctx, str(args[1]));
      let deleted = 0;
      for (const f of args.slice(2)) if (w.remove(str(f))) deleted++;
      w.commit();
      return int(deleted);
    }),
  },
  {
    name: 'hlen', arity: 2, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => int(lookup(ctx, str(args[1]), 'hash')?.size ?? 0)),
  },
  {
    name: 'hexists', arity: 3, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => int(lookup(ctx, str(args[1]), 'hash')?.has(str(args[2])) ? 1 : 0)),
  },
  {
    name: 'hkeys', arity: 2, flags: ['readonly'], ...one,
    execute: guarded((ctx, args) => bulks([...(lookup(ctx, str(args[1]), 'hash')?.keys() ?? [])].map((f) => Buffer.from(f, 'latin1')))),
  },
  {
    name: 'hvals', arity: 2, flags: ['readonly'], ...one,
    execute: guarded((ctx, args) => bulks([...(lookup(ctx, str(args[1]), 'hash')?.values() ?? [])])),
  },
  { name: 'hincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded(hincrby) },
  { name: 'hincrbyfloat', arity: 4, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded(hincrbyfloat) },
  {
    name: 'hstrlen', arity: 3, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => int(field(lookup(ctx, str(args[1]), 'hash'), args[2])?.length ?? 0)),
  },
  { name: 'hscan', arity: -3, flags: ['readonly'], ...one, execute: guarded(hscan) },
];
