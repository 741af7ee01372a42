import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Keyspace } from '../store/keyspace.js';
import { keyHashSlot } from '../store/slot.js';
import { SortedSet } from '../store/sorted-set.js';
import { decodeAll, entriesView, keyspaceState } from './test-kit.js';
import { startSnapshot, type SnapshotWriter } from './writer.js';

const REPLID = 'f'.repeat(40);

function drain(w: SnapshotWriter, into: Buffer[], maxBytes = 64): void {
  for (let c = w.next(maxBytes); c; c = w.next(maxBytes)) into.push(c);
}

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '{a}x', '{a}y');
const bytesArb = fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b));
const ttlArb = fc.option(fc.integer({ min: 500, max: 1500 }), { nil: undefined });

type Op =
  | { op: 'set'; key: string; v: Buffer; ttl: number | undefined }
  | { op: 'del'; key: string }
  | { op: 'hset'; key: string; field: string; v: Buffer }
  | { op: 'hdel'; key: string; field: string }
  | { op: 'zadd'; key: string; member: string; score: number }
  | { op: 'expire'; key: string; at: number | undefined }
  | { op: 'get'; key: string; now: number }
  | { op: 'activeExpire'; now: number }
  | { op: 'deleteSlot'; key: string }
  | { op: 'flush' }
  | { op: 'start' }
  | { op: 'step'; writer: number; maxBytes: number };

const fieldArb = fc.constantFrom('x', 'y', 'z');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, v: bytesArb, ttl: ttlArb }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('del' as const), key: keyArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('hset' as const), key: keyArb, field: fieldArb, v: bytesArb }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('hdel' as const), key: keyArb, field: fieldArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('zadd' as const), key: keyArb, member: fieldArb, score: fc.integer({ min: -5, max: 5 }) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('expire' as const), key: keyArb, at: ttlArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('get' as const), key: keyArb, now: fc.integer({ min: 0, max: 2000 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('activeExpire' as const), now: fc.integer({ min: 0, max: 2000 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('deleteSlot' as const), key: keyArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('flush' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('start' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('step' as const), writer: fc.nat(3), maxBytes: fc.integer({ min: 1, max: 120 }) }), weight: 8 },
);

/**
 * Applies one op the way the commands do: strings are replaced, hashes and zsets are
 * fetched with get() and changed in place (HashWrite / ZsetWrite), emptied ones deleted.
 */
function apply(db: Keyspace, o: Op, now: number): void {
  switch (o.op) {
    case 'set':
      return db.set(o.key, { type: 'string', value: o.v }, { expireAt: o.ttl });
    case 'del':
      return void db.delete(o.key);
    case 'hset': {
      const v = db.get(o.key, now);
      if (v === undefined) db.set(o.key, { type: 'hash', value: new Map([[o.field, o.v]]) });
      else if (v.type === 'hash') v.value.set(o.field, o.v);
      return;
    }
    case 'hdel': {
      const v = db.get(o.key, now);
      if (v?.type === 'hash') {
        v.value.delete(o.field);
        if (v.value.size === 0) db.delete(o.key);
      }
      return;
    }
    case 'zadd': {
      const v = db.get(o.key, now);
      if (v === undefined) {
        const z = new SortedSet();
        z.set(o.member, o.score);
        db.set(o.key, { type: 'zset', value: z });
      } else if (v.type === 'zset') v.value.set(o.member, o.score);
      return;
    }
    case 'expire':
      return void db.expireAt(o.key, o.at);
    case 'get':
      return void db.get(o.key, o.now);
    case 'activeExpire':
      return void db.activeExpireCycle(o.now, 5);
    case 'deleteSlot':
      return void db.deleteSlot(keyHashSlot(o.key));
    case 'flush':
      return db.flush();
  }
}

describe('snapshot writer: point in time', () => {
  it('writer: the snapshot equals the keyspace at its start, whatever is written while it runs', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.array(opArb, { maxLength: 80 }), (setup, ops) => {
        const db = new Keyspace();
        for (const o of setup) if (o.op !== 'start' && o.op !== 'step') apply(db, o, 0);
        const runs: Array<{ w: SnapshotWriter; want: Map<string, unknown>; out: Buffer[] }> = [];
        const start = () => {
          const want = keyspaceState(db);
          runs.push({ w: startSnapshot(db, { replId: REPLID, replOffset: BigInt(runs.length) }), want, out: [] });
        };
        start();
        for (const o of ops) {
          if (o.op === 'start') {
            if (runs.length < 3) start();
          } else if (o.op === 'step') {
            const r = runs[o.writer % runs.length];
            const c = r.w.next(o.maxBytes);
            if (c) r.out.push(c);
          } else apply(db, o, 1000);
        }
        for (const r of runs) {
          drain(r.w, r.out);
          const d = decodeAll(Buffer.concat(r.out));
          expect(d.error).toBeUndefined();
          expect(d.trailer?.keys).toBe(r.want.size);
          expect(entriesView(d.entries)).toEqual(r.want);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('writer: keys created after the start are left out even when the walk reaches them', () => {
    const db = new Keyspace();
    db.set('old', { type: 'string', value: Buffer.from('1') });
    const w = startSnapshot(db, { replId: REPLID, replOffset: 0n });
    db.set('new', { type: 'string', value: Buffer.from('2') });
    const out: Buffer[] = [];
    drain(w, out, 1);
    expect(decodeAll(Buffer.concat(out)).entries.map((e) => e.key)).toEqual(['old']);
  });

  it('writer: an old value changed in place before the walk reaches it is written as it was', () => {
    const db = new Keyspace();
    db.set('first', { type: 'string', value: Buffer.from('x') });
    db.set('h', { type: 'hash', value: new Map([['f', Buffer.from('before')]]) });
    const w = startSnapshot(db, { replId: REPLID, replOffset: 0n });
    const h = db.get('h', 0)!;
    if (h.type === 'hash') h.value.set('f', Buffer.from('after'));
    const out: Buffer[] = [];
    drain(w, out, 1);
    const entry = decodeAll(Buffer.concat(out)).entries.find((e) => e.key === 'h')!;
    expect(entry.value).toEqual({ type: 'hash', value: new Map([['f', Buffer.from('before')]]) });
  });

  it('writer: stops observing the keyspace when done or aborted', () => {
    const db = new Keyspace();
    db.set('a', { type: 'string', value: Buffer.from('1') });
    const done = startSnapshot(db, { replId: REPLID, replOffset: 0n });
    drain(done, []);
    const aborted = startSnapshot(db, { replId: REPLID, replOffset: 0n });
    aborted.abort();
    expect(aborted.next()).toBeNull();
    expect([done.status, aborted.status]).toEqual(['done', 'aborted']);
    // With no observer left, a write costs nothing more: nothing is queued anywhere.
    let calls = 0;
    const off = db.observe(() => calls++);
    db.delete('a');
    off();
    expect(calls).toBe(1);
  });

  it('writer: refuses a replid that is not 40 hex characters', () => {
    expect(() => startSnapshot(new Keyspace(), { replId: 'nope', replOffset: 0n })).toThrow(RangeError);
  });

  it('writer: recycled chunks are packed again, and the bytes are those of a writer without recycling', () => {
    const db = new Keyspace();
    for (let i = 0; i < 300; i++) db.set(`key:${i}`, { type: 'string', value: Buffer.alloc(i % 50, i) });
    db.set('h', { type: 'hash', value: new Map([['f', Buffer.from('1')]]) });
    const plain: Buffer[] = [];
    drain(startSnapshot(db, { replId: REPLID, replOffset: 7n, createdAt: 1 }), plain, 512);
    const w = startSnapshot(db, { replId: REPLID, replOffset: 7n, createdAt: 1 });
    const copies: Buffer[] = [];
    const memories = new Set<ArrayBufferLike>();
    for (let c = w.next(512); c; c = w.next(512)) {
      copies.push(Buffer.from(c)); // what a socket has sent
      memories.add(c.buffer);
      w.recycle(c);
      w.recycle(Buffer.from('not from this writer'));
    }
    expect(Buffer.concat(copies).equals(Buffer.concat(plain))).toBe(true);
    expect(memories.size).toBeLessThan(copies.length / 2);
    expect(decodeAll(Buffer.concat(copies)).entries.length).toBe(301);
  });
});

