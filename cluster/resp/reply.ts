/**
 * A RESP value, used both for replies a node sends and for values a client decodes.
 *
 * RESP2 has five wire types (simple string, error, integer, bulk string, array).
 * `map` and `double` exist so that a command can answer in RESP3 after HELLO 3;
 * in RESP2 the encoder flattens a map into an array and a double into a bulk string,
 * exactly as Redis does (see `addReplyMap` / `addReplyDouble` in networking.c).
 */
export type Reply =
  | { t: 'status'; v: string }
  | { t: 'error'; v: string }
  | { t: 'int'; v: number }
  | { t: 'bulk'; v: Buffer | null }
  | { t: 'array'; v: Reply[] | null }
  | { t: 'map'; v: Array<[Reply, Reply]> }
  | { t: 'double'; v: number };

export const OK: Reply = { t: 'status', v: 'OK' };
export const PONG: Reply = { t: 'status', v: 'PONG' };
export const NIL: Reply = { t: 'bulk', v: null };
export const NIL_ARRAY: Reply = { t: 'array', v: null };
export const EMPTY_ARRAY: Reply = { t: 'array', v: [] };

export const status = (v: string): Reply => ({ t: 'status', v });
/** `v` is the whole error line without the leading '-', e.g. `ERR syntax error`. */
export const err = (v: string): Reply => ({ t: 'error', v });
export const int = (v: number): Reply => ({ t: 'int', v });
export const bulk = (v: Buffer | string | null): Reply => ({
  t: 'bulk',
  v: v === null ? null : typeof v === 'string' ? Buffer.from(v) : v,
});
export const array = (v: Reply[] | null): Reply => ({ t: 'array', v });
export const bulks = (items: Array<Buffer | string | null>): Reply => array(items.map(bulk));
export const map = (v: Array<[Reply, Reply]>): Reply => ({ t: 'map', v });
export const double = (v: number): Reply => ({ t: 'double', v });
