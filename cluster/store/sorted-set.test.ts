import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedSet, type ScoreRange, type ZEntry } from './sorted-set.js';

/** The model: a plain array sorted by (score, member bytes), rebuilt after every change. */
class Model {
  map = new Map<string, number>();
  sorted(): ZEntry[] {
    return [...this.map].sort(([ma, sa], [mb, sb]) => (sa !== sb ? sa - sb : Buffer.compare(Buffer.from(ma, 'latin1'), Buffer.from(mb, 'latin1'))));
  }
}

const member = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\x00', '\xff', 'ab'), maxLength: 3 });
const score = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(-Infinity, Infinity, 0.5, -0.5));
const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), member, score }),
  fc.record({ kind: fc.constant('remove' as const), member }),
);
const range = fc.record({
  min: score,
  max: score,
  minex: fc.boolean(),
  maxex: fc.boolean(),
});

const inRange = (s: number, r: ScoreRange) => (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max);

describe('sorted-set', () => {
  it('sorted-set: orders by score then member bytes, like a sorted array, through any adds and removes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), range, fc.nat(5), fc.integer({ min: -1, max: 4 }), (ops, r, offset, count) => {
        const z = new SortedSet();
        const m = new Model();
        for (const o of ops) {
          if (o.kind === 'set') {
            z.set(o.member, o.score);
            m.map.set(o.member, o.score);
          } else {
            expect(z.remove(o.member)).toBe(m.map.delete(o.member));
          }
        }
        const want = m.sorted();
        expect([...z.entries()]).toEqual(want);
        expect(z.card).toBe(want.length);
        want.forEach(([mem, s], i) => {
          expect(z.rank(mem)).toBe(i);
          expect(z.rank(mem, true)).toBe(want.length - 1 - i);
          expect(z.score(mem)).toBe(s);
        });
        const inside = want.filter(([, s]) => inRange(s, r));
        expect(z.count(r)).toBe(inside.length);
        const lim = count < 0 ? undefined : offset + count;
        expect(z.rangeByScore(r, { offset, count })).toEqual(inside.slice(offset, lim));
        expect(z.rangeByScore(r, { offset, count, reverse: true })).toEqual([...inside].reverse().slice(offset, lim));
        for (let a = 0; a < want.length; a++) {
          expect(z.rangeByRank(a, want.length - 1)).toEqual(want.slice(a));
          expect(z.rangeByRank(0, a, true)).toEqual([...want].reverse().slice(0, a + 1));
        }
        expect(z.memberBytes).toBe(want.reduce((n, [mem]) => n + mem.length, 0));
      }),
      { numRuns: 300 },
    );
  });

  it('sorted-set: removes score and rank ranges exactly as the model does', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), range, fc.nat(10), fc.nat(10), (ops, r, a, b) => {
        const build = () => {
          const z = new SortedSet();
          for (const o of ops) if (o.kind === 'set') z.set(o.member, o.score); else z.remove(o.member);
          return z;
        };
        const z1 = build();
        const all = [...z1.entries()];
        expect(z1.removeRangeByScore(r)).toBe(all.filter(([, s]) => inRange(s, r)).length);
        expect([...z1.entries()]).toEqual(all.filter(([, s]) => !inRange(s, r)));
        const z2 = build();
        const [start, end] = [Math.min(a, b), Math.max(a, b)];
        const removed = start < all.length ? Math.min(end, all.length - 1) - start + 1 : 0;
        expect(z2.removeRangeByRank(start, Math.min(end, all.length - 1))).toBe(removed);
        expect([...z2.entries()]).toEqual(all.filter((_, i) => i < start || i > end));
      }),
    );
  });

  it('sorted-set: keeps ranks right over thousands of elements', () => {
    const z = new SortedSet();
    for (let i = 0; i < 5000; i++) z.set(`m${i}`, i % 100);
    for (let i = 0; i < 5000; i += 3) z.remove(`m${i}`);
    const all = [...z.entries()];
    for (let i = 0; i < all.length; i += 97) expect(z.rank(all[i][0])).toBe(i);
    expect(z.rangeByRank(1000, 1004)).toEqual(all.slice(1000, 1005));
    expect(z.count({ min: 10, max: 19, minex: false, maxex: false })).toBe(all.filter(([, s]) => s >= 10 && s <= 19).length);
  });

  it('sorted-set: applies ZADD flags NX, XX, GT, LT and INCR like zsetAdd', () => {
    const z = new SortedSet();
    expect(z.add('a', 5)).toEqual({ outcome: 'added', score: 5 });
    expect(z.add('a', 5)).toEqual({ outcome: 'unchanged', score: 5 });
    expect(z.add('a', 7, { nx: true })).toEqual({ outcome: 'nop', score: 5 });
    expect(z.add('b', 1, { xx: true })).toEqual({ outcome: 'nop', score: undefined });
    expect(z.add('a', 3, { gt: true })).toEqual({ outcome: 'nop', score: 5 });
    expect(z.add('a', 9, { gt: true })).toEqual({ outcome: 'updated', score: 9 });
    expect(z.add('a', 10, { lt: true })).toEqual({ outcome: 'nop', score: 9 });
    expect(z.add('a', 2, { incr: true })).toEqual({ outcome: 'updated', score: 11 });
    expect(z.add('c', 4, { gt: true })).toEqual({ outcome: 'added', score: 4 }); // GT/LT only restrict updates
    z.set('inf', Infinity);
    expect(z.add('inf', -Infinity, { incr: true }).outcome).toBe('nan');
    expect(z.score('inf')).toBe(Infinity);
  });

  it('sorted-set: ranges by lex with [, ( and the open ends - and +', () => {
    const z = new SortedSet();
    for (const m of ['a', 'b', 'c', 'd', 'e']) z.set(m, 0);
    const v = (value: string, exclusive = false) => ({ kind: 'value' as const, value, exclusive });
    const names = (e: ZEntry[]) => e.map(([m]) => m);
    expect(names(z.rangeByLex({ min: { kind: 'min' }, max: v('c') }))).toEqual(['a', 'b', 'c']);
    expect(names(z.rangeByLex({ min: v('b', true), max: { kind: 'max' } }))).toEqual(['c', 'd', 'e']);
    expect(names(z.rangeByLex({ min: v('b'), max: v('d', true) }, { reverse: true }))).toEqual(['c', 'b']);
    expect(names(z.rangeByLex({ min: v('d'), max: v('b') }))).toEqual([]);
  });
});
