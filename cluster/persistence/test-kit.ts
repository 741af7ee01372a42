import { SnapshotDecoder } from './decoder.js';
import type { SnapshotError } from './errors.js';
import type { SnapshotEntry, SnapshotHeader, SnapshotTrailer } from './format.js';
import type { Value } from '../store/value.js';
import type { Keyspace } from '../store/keyspace.js';

/** Everything a decoder reported for one input, in a form tests compare with toEqual. */
export interface Decoded {
  header?: SnapshotHeader;
  entries: SnapshotEntry[];
  trailer?: SnapshotTrailer;
  rest?: Buffer;
  error?: SnapshotError;
}

/** Feeds `chunks` in order, then end(). */
export function decodeChunks(chunks: Buffer[]): Decoded {
  const d: Decoded = { entries: [] };
  const dec = new SnapshotDecoder({
    onHeader: (h) => (d.header = h),
    onEntry: (e) => d.entries.push(e),
    onEnd: (t, rest) => {
      d.trailer = t;
      d.rest = rest;
    },
    onError: (e) => {
      if (d.error) throw new Error('onError called twice');
      d.error = e;
    },
  });
  for (const c of chunks) dec.write(c);
  dec.end();
  return d;
}

export const decodeAll = (buf: Buffer): Decoded => decodeChunks([buf]);

/** Comparable form of a value: zsets as their ordered entries. */
export function valueView(v: Value): unknown {
  return v.type === 'zset' ? { type: 'zset', value: [...v.value.entries()] } : v;
}

/** key -> comparable { value, expireAt }, for entries in any order. */
export function entriesView(entries: Iterable<{ key: string; value: Value; expireAt: number | undefined }>): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const e of entries) m.set(e.key, { value: valueView(e.value), expireAt: e.expireAt });
  return m;
}

/** A deep copy of everything stored right now, expired-but-not-reclaimed keys included. */
export function keyspaceState(db: Keyspace): Map<string, unknown> {
  const copy: Array<{ key: string; value: Value; expireAt: number | undefined }> = [];
  for (const [key, e] of db.snapshotView().entries) {
    const v = e.value;
    // Hash maps are copied here, zsets by entriesView; Buffers are never changed in place.
    const value: Value = v.type === 'hash' ? { type: 'hash', value: new Map(v.value) } : v;
    copy.push({ key, value, expireAt: e.expireAt });
  }
  return entriesView(copy);
}
