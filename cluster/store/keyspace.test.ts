import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Keyspace } from './keyspace.js';
import { keyHashSlot } from './slot.js';
import { SortedSet } from './sorted-set.js';
import type { Value } from './value.js';

const str = (s: string): Value => ({ type: 'string', value: Buffer.from(s) });
const T = 1_000_000;

describe('keyspace', () => {
  it('keyspace: stores, reads, types and deletes values', () => {
    const db = new Keyspace();
    db.set('s', str('v'));
    db.set('h', { type: 'hash', value: new Map([['f', Buffer.from('1')]]) });
    db.set('z', { type: 'zset', value: new SortedSet() });
    expect(db.get('s', T)).toEqual(str('v'));
    expect(db.type('h', T)).toBe('hash');
    expect(db.type('z', T)).toBe('zset');
    expect(db.type('nope', T)).toBe('none');
    expect(db.size()).toBe(3);
    expect(db.delete('s')).toBe(true);
    expect(db.delete('s')).toBe(false);
    expect(db.exists('s', T)).toBe(false);
  });

  it('keyspace: expires lazily on access at the exact millisecond', () => {
    const db = new Keyspace();
    db.set('k', str('v'), { expireAt: T + 100 });
    expect(db.ttlMs('k', T)).toBe(100);
    expect(db.get('k', T + 99)).toBeDefined();
    expect(db.keysWithExpire).toBe(1);
    expect(db.get('k', T + 100)).toBeUndefined();
    expect(db.size()).toBe(0);
    expect(db.keysWithExpire).toBe(0);
    expect(db.ttlMs('k', T)).toBe(-2);
  });

  it('keyspace: clears the TTL on set unless keepTtl, and reports -1 without one', () => {
    const db = new Keyspace();
    db.set('k', str('a'), { expireAt: T + 100 });
    db.set('k', str('b'), { keepTtl: true });
    expect(db.ttlMs('k', T)).toBe(100);
    db.set('k', str('c'));
    expect(db.ttlMs('k', T)).toBe(-1);
    expect(db.keysWithExpire).toBe(0);
    expect(db.expireAt('k', T + 5)).toBe(true);
    expect(db.expireTimeMs('k', T)).toBe(T + 5);
    expect(db.expireAt('missing', T)).toBe(false);
  });

  it('keyspace: DEL of an already expired key removes it but answers false', () => {
    const db = new Keyspace();
    db.set('k', str('v'), { expireAt: T });
    expect(db.delete('k', T)).toBe(false);
    expect(db.size()).toBe(0);
  });

  it('keyspace: reclaims expired keys actively with bounded work per call', () => {
    const db = new Keyspace();
    for (let i = 0; i < 1000; i++) db.set(`k${i}`, str('v'), { expireAt: T + (i < 900 ? 10 : 10_000) });
    for (let i = 0; i < 100; i++) db.set(`p${i}`, str('v'));
    const first = db.activeExpireCycle(T + 20, 50);
    expect(first.sampled).toBeLessThanOrEqual(50);
    expect(first.expired).toBeGreaterThan(0);
    let calls = 1;
    while (db.keysWithExpire > 100 && calls < 1000) {
      db.activeExpireCycle(T + 20, 50);
      calls++;
    }
    expect(db.keysWithExpire).toBe(100);
    expect(db.size()).toBe(200);
    // Nothing left to expire: one round of 20 finds nothing and the cycle stops.
    expect(db.activeExpireCycle(T + 20, 1000)).toEqual({ sampled: 20, expired: 0 });
  });

  it('keyspace: indexes keys by slot, honouring hash tags', () => {
    const db = new Keyspace();
    for (let i = 0; i < 10; i++) db.set(`{user1000}.f${i}`, str('v'));
    db.set('other', str('v'));
    const slot = keyHashSlot('user1000');
    expect(db.countInSlot(slot)).toBe(10);
    expect(db.keysInSlot(slot, 3)).toHaveLength(3);
    expect(db.keysInSlot(slot, 100).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `{user1000}.f${i}`).sort());
    expect(db.deleteSlot(slot)).toBe(10);
    expect(db.countInSlot(slot)).toBe(0);
    expect(db.size()).toBe(1);
    expect(db.countInSlot(keyHashSlot('other'))).toBe(1);
  });

  it('keyspace: scans to completion, filtering by glob and type', () => {
    const db = new Keyspace();
    for (let i = 0; i < 25; i++) db.set(`user:${i}`, str('v'));
    db.set('h', { type: 'hash', value: new Map([['f', Buffer.from('v')]]) });
    const seen: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = db.scan(cursor, 7, 'user:1*');
      seen.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    expect(seen.sort()).toEqual(['user:1', ...Array.from({ length: 10 }, (_, i) => `user:1${i}`)].sort());
    expect(db.scan('0', 100, undefined, 'hash')[1]).toEqual(['h']);
    expect(() => db.scan('x', 10)).toThrow();
  });

  it('keyspace: SCAN returns every key present for the whole scan, whatever is added or removed meanwhile', () => {
    const step = fc.record({
      count: fc.integer({ min: 1, max: 8 }),
      adds: fc.array(fc.nat(60), { maxLength: 4 }),
      dels: fc.array(fc.nat(60), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(60), { maxLength: 40 }), fc.array(step, { maxLength: 60 }), (initial, steps) => {
        const db = new Keyspace();
        for (const k of initial) db.set(`k${k}`, str('v'));
        const present = new Set(initial.map((k) => `k${k}`)); // shrinks to keys never deleted
        const returned = new Set<string>();
        let cursor = '0';
        let i = 0;
        do {
          const s = steps[i++ % Math.max(1, steps.length)] ?? { count: 10, adds: [], dels: [] };
          const [next, keys] = db.scan(cursor, s.count);
          keys.forEach((k) => returned.add(k));
          cursor = next;
          for (const k of s.adds) db.set(`k${k}`, str('v'));
          for (const k of s.dels) {
            db.delete(`k${k}`);
            present.delete(`k${k}`);
          }
        } while (cursor !== '0' && i < 10_000);
        for (const k of present) expect(returned.has(k), k).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keyspace: keeps the memory estimate equal to a recount after any sequence of writes', () => {
    const op = fc.oneof(
      fc.record({ k: fc.nat(10), v: fc.string({ maxLength: 20 }), ttl: fc.boolean() }),
      fc.record({ del: fc.nat(10) }),
      fc.record({ slot: fc.nat(10) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const db = new Keyspace();
        for (const o of ops) {
          if ('k' in o) db.set(`key${o.k}`, str(o.v), o.ttl ? { expireAt: T + 1000 } : {});
          else if ('del' in o) db.delete(`key${o.del}`);
          else db.deleteSlot(keyHashSlot(`key${o.slot}`));
          expect(db.usedMemoryBytes()).toBe(db.recomputeMemoryBytes());
        }
        db.flush();
        expect(db.usedMemoryBytes()).toBe(0);
      }),
    );
  });

  it('keyspace: picks random keys only among live ones', () => {
    const db = new Keyspace();
    expect(db.randomKey(T)).toBeUndefined();
    for (let i = 0; i < 200; i++) db.set(`dead${i}`, str('v'), { expireAt: T });
    db.set('alive', str('v'));
    expect(db.randomKey(T)).toBe('alive');
    expect(db.size()).toBeLessThanOrEqual(201);
    for (let i = 0; i < 10; i++) db.set(`live${i}`, str('v'));
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(db.randomKey(T)!);
    expect(seen.size).toBeGreaterThan(5);
    for (const k of seen) expect(k.startsWith('dead')).toBe(false);
  });

  it('keyspace: lists KEYS by glob, including the empty key for "*"', () => {
    const db = new Keyspace();
    db.set('', str('v'));
    db.set('a1', str('v'));
    db.set('b1', str('v'));
    db.set('gone', str('v'), { expireAt: T });
    expect(db.keys('*', T).sort()).toEqual(['', 'a1', 'b1']);
    expect(db.keys('a*', T)).toEqual(['a1']);
    expect(db.size()).toBe(3);
  });

  it('keyspace: load adds a new key like set, and refuses an existing one without changing it', () => {
    const a = new Keyspace();
    const b = new Keyspace();
    a.set('k', str('v'), { expireAt: T + 5 });
    a.set('{s}1', str('w'));
    expect(b.load('k', str('v'), T + 5)).toBe(true);
    expect(b.load('{s}1', str('w'), undefined)).toBe(true);
    expect(b.load('k', str('other'), undefined)).toBe(false);
    for (const db of [a, b]) {
      expect(db.get('k', T)).toEqual(str('v'));
      expect(db.expireTimeMs('k', T)).toBe(T + 5);
      expect(db.countInSlot(keyHashSlot('{s}1'))).toBe(1);
      expect(db.keysWithExpire).toBe(1);
    }
    expect(b.usedMemoryBytes()).toBe(a.usedMemoryBytes());
    expect(b.recomputeMemoryBytes()).toBe(b.usedMemoryBytes());
    expect(b.scan('0', 10)).toEqual(a.scan('0', 10));
  });
});

