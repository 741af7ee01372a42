import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplBacklog } from './backlog.js';
import { ReplHistory } from './history.js';
import { parseMemory } from './units.js';

describe('ReplBacklog', () => {
  it('backlog: returns exactly the stream tail from any offset it still holds, null otherwise', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 1000 }), fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 30 }), (size, start, writes) => {
        const b = new ReplBacklog(size, start);
        const all = Buffer.concat(writes.map((w) => Buffer.from(w)));
        for (const w of writes) b.append(Buffer.from(w));
        expect(b.offset).toBe(start + all.length);
        expect(b.histlen).toBe(Math.min(size, all.length));
        expect(b.firstByteOffset).toBe(start + all.length - b.histlen + 1);
        for (let from = start - 1; from <= start + all.length + 2; from++) {
          const got = b.from(from);
          const ok = from >= b.firstByteOffset && from <= b.offset + 1;
          if (!ok) expect(got).toBeNull();
          else expect(got).toEqual(all.subarray(from - start - 1));
        }
      }),
    );
  });

  it('backlog: resize keeps the newest bytes that fit', () => {
    const b = new ReplBacklog(10, 0);
    b.append(Buffer.from('abcdefghij'));
    b.resize(4);
    expect(b.from(7)).toEqual(Buffer.from('ghij'));
    expect(b.from(6)).toBeNull();
    b.resize(8);
    b.append(Buffer.from('kl'));
    expect(b.from(7)).toEqual(Buffer.from('ghijkl'));
  });
});

describe('ReplHistory (PSYNC2)', () => {
  it('history: a promoted replica continues its old master ID up to the shift point only', () => {
    const h = new ReplHistory();
    h.adopt('a'.repeat(40), 100, 1024);
    h.feed(Buffer.from('0123456789')); // offset 110
    const old = h.replid;
    h.shift();
    expect(h.replid2).toBe(old);
    expect(h.secondReplOffset).toBe(111);
    h.feed(Buffer.from('xyz')); // new history's bytes
    expect(h.continueFrom(old, 105)).toEqual(Buffer.from('456789xyz')); // byte 101 is '0'
    expect(h.continueFrom(old, 112)).toBeNull(); // past where the old ID is valid
    expect(h.continueFrom(h.replid, 111)).toEqual(Buffer.from('xyz'));
    expect(h.continueFrom('b'.repeat(40), 111)).toBeNull();
  });
});

describe('parseMemory', () => {
  it('units: reads Redis memory values (k = 1000, kb = 1024) and refuses others', () => {
    expect(parseMemory('1mb')).toBe(1048576);
    expect(parseMemory('64k')).toBe(64000);
    expect(parseMemory('64KB')).toBe(65536);
    expect(parseMemory('1gb')).toBe(1073741824);
    expect(parseMemory('100')).toBe(100);
    expect(() => parseMemory('1xb')).toThrow(/memory value/);
    expect(() => parseMemory('-1')).toThrow(/memory value/);
  });
});
