import type { CommandContext } from '../commands/types.js';
import { err, type Reply } from '../resp/reply.js';
import { notFloat, notInteger, StoreError, syntaxError, TEXT, wrongType } from './errors.js';
import { parseDouble, parseInt64 } from './numbers.js';
import type { ValueOf, ValueType } from './value.js';

/**
 * What the data command families (cluster/commands/{strings,hashes,zsets,keys}.ts) share:
 * typed key lookup, argument parsing with Redis' error texts, and the wrapper that turns a
 * thrown StoreError into its error reply. It lives here rather than in cluster/commands
 * because it is about the keyspace's value model and its errors.ts.
 */

type Execute = (ctx: CommandContext, args: Buffer[]) => Reply;

/** Wraps a command body so that a StoreError becomes `-<its text>`; other errors propagate. */
export function guarded(execute: Execute): Execute {
  return (ctx, args) => {
    try {
      return execute(ctx, args);
    } catch (e) {
      if (e instanceof StoreError) return err(e.redisText);
      throw e;
    }
  };
}

/** A key or field argument as the keyspace holds it (latin1: one char per byte). */
export const str = (arg: Buffer): string => arg.toString('latin1');

/**
 * A copy of an argument, for storing. The RESP decoder may hand out views into its read
 * chunk; keeping those would pin the whole chunk in memory (and break if it is reused).
 */
export const own = (arg: Buffer): Buffer => Buffer.from(arg);

/** An option name, for case-insensitive matching like strcasecmp. */
export const opt = (arg: Buffer): string => arg.toString('latin1').toLowerCase();

/**
 * lookupKeyRead + checkType: the value if the key holds `type`, undefined if missing,
 * WRONGTYPE if it holds something else.
 */
export function lookup<T extends ValueType>(ctx: CommandContext, key: string, type: T): ValueOf<T> | undefined {
  const v = ctx.db.get(key, ctx.node.now());
  if (!v) return undefined;
  if (v.type !== type) throw wrongType();
  return v.value as ValueOf<T>;
}

/** getLongLongFromObjectOrReply: a signed 64-bit integer argument. */
export function int64Arg(arg: Buffer, text: string = TEXT.notInteger): bigint {
  const n = parseInt64(arg);
  if (n === undefined) throw notInteger(text);
  return n;
}

/**
 * getLongFromObjectOrReply for offsets, ranks and counts. Values beyond 2^53 lose
 * precision, which cannot change the outcome of a range over a set that fits in memory.
 */
export function longArg(arg: Buffer): number {
  return Number(int64Arg(arg));
}

/** getDoubleFromObjectOrReply. */
export function doubleArg(arg: Buffer, text: string = TEXT.notFloat): number {
  const n = parseDouble(arg);
  if (n === undefined) throw notFloat(text);
  return n;
}

/** util.c parseScanCursorOrReply: an unsigned decimal integer. */
export function cursorArg(arg: Buffer): string {
  const s = arg.toString('latin1');
  if (!/^[0-9]+$/.test(s) || s.length > 20) throw new StoreError('INVALID_CURSOR', TEXT.invalidCursor);
  return s.replace(/^0+(?=.)/, '');
}

export interface ScanOptions {
  count: number;
  match?: string;
  type?: string;
}

/**
 * db.c scanGenericCommand's options from `args[from]` on: COUNT n (>= 1), MATCH pattern
 * ("*" is the same as none), and TYPE t for SCAN only. Anything else is a syntax error.
 */
export function scanOptions(args: Buffer[], from: number, allowType: boolean): ScanOptions {
  const o: ScanOptions = { count: 10 };
  for (let i = from; i < args.length; i += 2) {
    const name = opt(args[i]);
    const more = args.length - i >= 2;
    if (name === 'count' && more) {
      o.count = longArg(args[i + 1]);
      if (o.count < 1) throw syntaxError();
    } else if (name === 'match' && more) {
      const p = str(args[i + 1]);
      o.match = p === '*' ? undefined : p;
    } else if (name === 'type' && allowType && more) {
      o.type = opt(args[i + 1]);
    } else {
      throw syntaxError();
    }
  }
  return o;
}
