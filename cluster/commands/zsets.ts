import { array, bulk, double, int, NIL, type Reply } from '../resp/reply.js';
import { cursorArg, doubleArg, guarded, longArg, lookup, opt, scanOptions, str } from '../store/command-kit.js';
import { errLine, syntaxError } from '../store/errors.js';
import { globMatch } from '../store/glob.js';
import { formatD2string, parseRangeDouble } from '../store/numbers.js';
import { SortedSet, type LexBound, type LexRange, type ScoreRange, type ZEntry } from '../store/sorted-set.js';
import { zsetBytes } from '../store/value.js';
import type { CommandContext, CommandSpec } from './types.js';

/**
 * The sorted-set family (t_zset.c). Scores are answered with `double()`, wherever Redis
 * calls addReplyDouble; the RESP encoder prints them (RESP2 bulk string, RESP3 double).
 */

const NOT_FLOAT_RANGE = 'ERR min or max is not a float';
const NOT_LEX_RANGE = 'ERR min or max not valid string range item';

/** Like HashWrite: store new sets once non-empty, delete emptied ones, keep memory exact. */
class ZsetWrite {
  readonly z: SortedSet;
  private readonly isNew: boolean;
  private readonly before: number;

  constructor(
    private readonly ctx: CommandContext,
    private readonly key: string,
  ) {
    const z = lookup(ctx, key, 'zset');
    this.isNew = z === undefined;
    this.z = z ?? new SortedSet();
    this.before = zsetBytes(this.z);
  }

  get exists(): boolean {
    return !this.isNew;
  }

  commit(): void {
    if (this.isNew) {
      if (this.z.card > 0) this.ctx.db.set(this.key, { type: 'zset', value: this.z });
    } else if (this.z.card === 0) {
      this.ctx.db.delete(this.key);
    } else {
      this.ctx.db.adjustMemory(this.key, zsetBytes(this.z) - this.before);
    }
  }
}

/** t_zset.c zslParseRange: "1.5", "(1.5" (exclusive), "-inf", "+inf". */
function scoreRange(minArg: Buffer, maxArg: Buffer): ScoreRange {
  const end = (arg: Buffer): [number, boolean] => {
    const s = arg.toString('latin1');
    const ex = s.startsWith('(');
    const v = parseRangeDouble(ex ? s.slice(1) : s);
    if (v === undefined) throw errLine(NOT_FLOAT_RANGE);
    return [v, ex];
  };
  const [min, minex] = end(minArg);
  const [max, maxex] = end(maxArg);
  return { min, max, minex, maxex };
}

/** t_zset.c zslParseLexRangeItem: "-", "+", "[a" (inclusive), "(a" (exclusive). */
function lexBound(arg: Buffer): LexBound {
  const s = arg.toString('latin1');
  if (s === '-') return { kind: 'min' };
  if (s === '+') return { kind: 'max' };
  if (s.startsWith('(') || s.startsWith('[')) return { kind: 'value', value: s.slice(1), exclusive: s[0] === '(' };
  throw errLine(NOT_LEX_RANGE);
}

/** RESP2: member, score, member, score...; RESP3: [member, score] pairs (zrangeResultEmit*). */
function entriesReply(ctx: CommandContext, entries: ZEntry[], withScores: boolean): Reply {
  const member = (m: string) => bulk(Buffer.from(m, 'latin1'));
  if (!withScores) return array(entries.map(([m]) => member(m)));
  if (ctx.client.resp === 3) return array(entries.map(([m, s]) => array([member(m), double(s)])));
  return array(entries.flatMap(([m, s]) => [member(m), double(s)]));
}

/** Normalises a rank interval like Redis (negative from the end); null when empty. */
function rankInterval(start: number, end: number, card: number): [number, number] | null {
  if (start < 0) start = card + start;
  if (end < 0) end = card + end;
  if (start < 0) start = 0;
  if (start > end || start >= card) return null;
  return [start, Math.min(end, card - 1)];
}

function zadd(ctx: CommandContext, args: Buffer[], incrOnly: boolean): Reply {
  const f = { nx: false, xx: false, gt: false, lt: false, incr: incrOnly };
  let ch = false;
  let i = 2;
  for (; !incrOnly && i < args.length; i++) {
    const o = opt(args[i]);
    if (o === 'nx') f.nx = true;
    else if (o === 'xx') f.xx = true;
    else if (o === 'ch') ch = true;
    else if (o === 'incr') f.incr = true;
    else if (o === 'gt') f.gt = true;
    else if (o === 'lt') f.lt = true;
    else break;
  }
  const elements = args.length - i;
  if (elements === 0 || elements % 2 !== 0) throw syntaxError();
  if (f.nx && f.xx) throw errLine('ERR XX and NX options at the same time are not compatible');
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    throw errLine('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (f.incr && elements > 2) throw errLine('ERR INCR option supports a single increment-element pair');
  const pairs: Array<[number, string]> = [];
  for (let j = i; j < args.length; j += 2) pairs.push([doubleArg(args[j]), str(args[j + 1])]);

  const w = new ZsetWrite(ctx, str(args[1]));
  if (!w.exists && f.xx) return f.incr ? NIL : int(0);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score: number | undefined;
  for (const [s, m] of pairs) {
    const r = w.z.add(m, s, f);
    if (r.outcome === 'nan') {
      w.commit();
      throw errLine('ERR resulting score is not a number (NaN)');
    }
    if (r.outcome === 'added') added++;
    if (r.outcome === 'updated') updated++;
    if (r.outcome !== 'nop') processed++;
    score = r.score;
  }
  w.commit();
  if (f.incr) return processed > 0 ? double(score!) : NIL;
  return int(ch ? added + updated : added);
}

type RangeKind = 'rank' | 'score' | 'lex';

/**
 * t_zset.c zrangeGenericCommand, shared by ZRANGE (kind and direction from the options)
 * and the older ZREVRANGE / ZRANGEBYSCORE / ZREVRANGEBYSCORE (fixed by the command).
 */
function zrange(ctx: CommandContext, args: Buffer[], fixedKind?: RangeKind, fixedReverse?: boolean): Reply {
  let kind = fixedKind;
  let reverse = fixedReverse;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = 4; j < args.length; j++) {
    const o = opt(args[j]);
    const left = args.length - j - 1;
    if (o === 'withscores') withScores = true;
    else if (o === 'limit' && left >= 2) {
      offset = longArg(args[j + 1]);
      limit = longArg(args[j + 2]);
      j += 2;
    } else if (reverse === undefined && o === 'rev') reverse = true;
    else if (kind === undefined && o === 'bylex') kind = 'lex';
    else if (kind === undefined && o === 'byscore') kind = 'score';
    else throw syntaxError();
  }
  kind ??= 'rank';
  reverse ??= false;
  if (limit !== -1 && kind === 'rank') {
    throw errLine('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (withScores && kind === 'lex') throw errLine('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  // BYSCORE/BYLEX with REV take the range as max, min.
  const [minArg, maxArg] = reverse && kind !== 'rank' ? [args[3], args[2]] : [args[2], args[3]];

  let get: (z: SortedSet) => ZEntry[];
  if (kind === 'rank') {
    const start = longArg(minArg);
    const end = longArg(maxArg);
    get = (z) => {
      const r = rankInterval(start, end, z.card);
      return r ? z.rangeByRank(r[0], r[1], reverse) : [];
    };
  } else if (kind === 'score') {
    const range = scoreRange(minArg, maxArg);
    get = (z) => z.rangeByScore(range, { reverse, offset, count: limit });
  } else {
    const range: LexRange = { min: lexBound(minArg), max: lexBound(maxArg) };
    get = (z) => z.rangeByLex(range, { reverse, offset, count: limit });
  }
  const z = lookup(ctx, str(args[1]), 'zset');
  return entriesReply(ctx, z ? get(z) : [], withScores);
}

function zremrange(ctx: CommandContext, args: Buffer[], kind: 'rank' | 'score'): Reply {
  const rank = kind === 'rank' ? [longArg(args[2]), longArg(args[3])] : undefined;
  const range = kind === 'score' ? scoreRange(args[2], args[3]) : undefined;
  const w = new ZsetWrite(ctx, str(args[1]));
  if (!w.exists) return int(0);
  let removed = 0;
  if (rank) {
    const r = rankInterval(rank[0], rank[1], w.z.card);
    if (r) removed = w.z.removeRangeByRank(r[0], r[1]);
  } else {
    removed = w.z.removeRangeByScore(range!);
  }
  w.commit();
  return int(removed);
}

/**
 * ZSCAN answers the whole set at once with cursor 0, as Redis does for small (listpack)
 * sets; scores are printed by d2string (integers plainly, else "%.17g").
 */
function zscan(ctx: CommandContext, args: Buffer[]): Reply {
  cursorArg(args[2]);
  const z = lookup(ctx, str(args[1]), 'zset');
  const { match } = scanOptions(args, 3, false);
  const out: Reply[] = [];
  for (const [m, s] of z?.entries() ?? []) {
    if (match !== undefined && !globMatch(match, m)) continue;
    out.push(bulk(Buffer.from(m, 'latin1')), bulk(formatD2string(s)));
  }
  return array([bulk('0'), array(out)]);
}

const one = { firstKey: 1, lastKey: 1, step: 1 } as const;

export const zsetCommands: CommandSpec[] = [
  { name: 'zadd', arity: -4, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded((c, a) => zadd(c, a, false)) },
  { name: 'zincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], ...one, execute: guarded((c, a) => zadd(c, a, true)) },
  {
    name: 'zrem', arity: -3, flags: ['write', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const w = new ZsetWrite(ctx, str(args[1]));
      let removed = 0;
      for (const m of args.slice(2)) if (w.z.remove(str(m))) removed++;
      w.commit();
      return int(removed);
    }),
  },
  {
    name: 'zscore', arity: 3, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const s = lookup(ctx, str(args[1]), 'zset')?.score(str(args[2]));
      return s === undefined ? NIL : double(s);
    }),
  },
  {
    name: 'zmscore', arity: -3, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const z = lookup(ctx, str(args[1]), 'zset');
      return array(args.slice(2).map((m) => {
        const s = z?.score(str(m));
        return s === undefined ? NIL : double(s);
      }));
    }),
  },
  {
    name: 'zcard', arity: 2, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => int(lookup(ctx, str(args[1]), 'zset')?.card ?? 0)),
  },
  {
    name: 'zcount', arity: 4, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const range = scoreRange(args[2], args[3]);
      return int(lookup(ctx, str(args[1]), 'zset')?.count(range) ?? 0);
    }),
  },
  ...(['zrank', 'zrevrank'] as const).map((name): CommandSpec => ({
    name, arity: 3, flags: ['readonly', 'fast'], ...one,
    execute: guarded((ctx, args) => {
      const r = lookup(ctx, str(args[1]), 'zset')?.rank(str(args[2]), name === 'zrevrank');
      return r === undefined ? NIL : int(r);
    }),
  })),
  { name: 'zrange', arity: -4, flags: ['readonly'], ...one, execute: guarded((c, a) => zrange(c, a)) },
  { name: 'zrevrange', arity: -4, flags: ['readonly'], ...one, execute: guarded((c, a) => zrange(c, a, 'rank', true)) },
  { name: 'zrangebyscore', arity: -4, flags: ['readonly'], ...one, execute: guarded((c, a) => zrange(c, a, 'score', false)) },
  { name: 'zrevrangebyscore', arity: -4, flags: ['readonly'], ...one, execute: guarded((c, a) => zrange(c, a, 'score', true)) },
  { name: 'zremrangebyscore', arity: 4, flags: ['write'], ...one, execute: guarded((c, a) => zremrange(c, a, 'score')) },
  { name: 'zremrangebyrank', arity: 4, flags: ['write'], ...one, execute: guarded((c, a) => zremrange(c, a, 'rank')) },
  { name: 'zscan', arity: -3, flags: ['readonly'], ...one, execute: guarded(zscan) },
];
