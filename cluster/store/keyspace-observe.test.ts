import { describe, expect, it } from 'vitest';
import { Keyspace } from './keyspace.js';
import { keyHashSlot } from './slot.js';
import { SortedSet } from './sorted-set.js';

const str = (s: string) => ({ type: 'string' as const, value: Buffer.from(s) });

describe('keyspace write observers', () => {
  it('keyspace: tells observers before an existing key is replaced, re-timed, deleted or expired, with the old state', () => {
    const db = new Keyspace();
    db.set('a', str('1'));
    db.set('b', str('2'), { expireAt: 100 });
    db.set('c', str('3'), { expireAt: 100 });
    db.set('d', str('4'));
    const seen: string[] = [];
    const off = db.observe((k, e) => seen.push(`${k}=${e.value.type === 'string' ? e.value.value.toString() : e.value.type}@${e.expireAt ?? '-'}`));
    db.set('a', str('1b')); // replaced
    db.set('new', str('n')); // created: nothing old to keep
    db.expireAt('d', 500);
    db.get('b', 200); // lazily expired
    db.activeExpireCycle(200); // c
    db.delete('a');
    db.deleteSlot(keyHashSlot('d'));
    off();
    db.delete('new');
    expect(seen).toEqual(['a=1@-', 'd=4@-', 'b=2@100', 'c=3@100', 'a=1b@-', 'd=4@500']);
  });

  it('keyspace: get() tells observers about hashes and zsets, which callers change in place, not about strings', () => {
    const db = new Keyspace();
    const z = new SortedSet();
    z.set('m', 1);
    db.set('h', { type: 'hash', value: new Map([['f', Buffer.from('v')]]) });
    db.set('z', { type: 'zset', value: z });
    db.set('s', str('x'));
    const seen: string[] = [];
    db.observe((k) => seen.push(k));
    db.get('h', 0);
    db.get('z', 0);
    db.get('s', 0);
    expect(seen).toEqual(['h', 'z']);
  });

  it('keyspace: flush leaves a snapshot walk on the old entries and counts as changes', () => {
    const db = new Keyspace();
    db.set('a', str('1'));
    db.set('b', str('2'));
    const view = db.snapshotView();
    const dirty = db.dirty;
    db.flush();
    db.set('c', str('3'));
    expect([...view.entries].map(([k]) => k)).toEqual(['a', 'b']);
    expect(db.dirty - dirty).toBe(3);
    expect(db.snapshotView().horizon).toBeGreaterThan(view.horizon);
  });
});
