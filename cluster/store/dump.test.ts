import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CopySlab, dumpValue, restoreStringCovered, restoreValue } from './dump.js';
import { DumpPayloadError, TEXT } from './errors.js';
import { SortedSet } from './sorted-set.js';
import type { Value } from './value.js';

const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
const latin1 = bytes.map((b) => b.toString('latin1'));
const stringValue = bytes.map((b): Value => ({ type: 'string', value: b }));
const hashValue = fc
  .array(fc.tuple(latin1, bytes), { minLength: 1, maxLength: 10 })
  .map((pairs): Value => ({ type: 'hash', value: new Map(pairs) }));
const zsetValue = fc
  .array(fc.tuple(latin1, fc.double({ noNaN: true })), { minLength: 1, maxLength: 10 })
  .map((pairs): Value => {
    const z = new SortedSet();
    for (const [m, s] of pairs) z.set(m, s);
    return { type: 'zset', value: z };
  });
const anyValue = fc.oneof(stringValue, hashValue, zsetValue);

/** Comparable form: zsets as their ordered entries. */
const view = (v: Value) => (v.type === 'zset' ? { type: 'zset', value: [...v.value.entries()] } : v);

describe('dump', () => {
  it('dump: restores what it dumps, for strings, hashes and zsets', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        expect(view(restoreValue(dumpValue(v)))).toEqual(view(v));
      }),
    );
  });

  it('dump: starts with magic KVNL, version 1 and the type byte', () => {
    const d = dumpValue({ type: 'string', value: Buffer.from('hi') });
    expect(d.toString('hex')).toMatch(/^4b564e4c0100000000026869[0-9a-f]{8}$/);
  });

  it('dump: detects any flipped byte', () => {
    fc.assert(
      fc.property(anyValue, fc.nat(), fc.integer({ min: 1, max: 255 }), (v, at, mask) => {
        const d = dumpValue(v);
        const bad = Buffer.from(d);
        bad[at % d.length] ^= mask;
        expect(() => restoreValue(bad)).toThrow(DumpPayloadError);
        try {
          restoreValue(bad);
        } catch (e) {
          expect((e as DumpPayloadError).redisText).toBe(TEXT.dumpPayload);
        }
      }),
    );
  });

  it('dump: detects truncation at every length and extra bytes', () => {
    const d = dumpValue({ type: 'hash', value: new Map([['field', Buffer.from('value')]]) });
    for (let n = 0; n < d.length; n++) expect(() => restoreValue(d.subarray(0, n))).toThrow(DumpPayloadError);
    expect(() => restoreValue(Buffer.concat([d, Buffer.from([0])]))).toThrow(DumpPayloadError);
  });

  it('dump: names the fault of a damaged envelope', () => {
    const d = dumpValue({ type: 'string', value: Buffer.from('x') });
    const fault = (b: Buffer) => {
      try {
        restoreValue(b);
      } catch (e) {
        return (e as DumpPayloadError).fault;
      }
      return 'none';
    };
    expect(fault(Buffer.alloc(3))).toBe('truncated');
    expect(fault(Buffer.concat([Buffer.from('XXXX'), d.subarray(4)]))).toBe('magic');
    const v2 = Buffer.from(d);
    v2[4] = 2;
    expect(fault(v2)).toBe('version');
    const crc = Buffer.from(d);
    crc[crc.length - 1] ^= 1;
    expect(fault(crc)).toBe('checksum');
  });

  it('dump: with checksumCovered the payload CRC is not read, the body is still checked; copies go into a slab', () => {
    const slab = new CopySlab();
    fc.assert(
      fc.property(anyValue, (v) => {
        const d = dumpValue(v);
        d.writeUInt32BE((d.readUInt32BE(d.length - 4) ^ 1) >>> 0, d.length - 4); // a wrong CRC
        expect(view(restoreValue(d, { checksumCovered: true, slab }))).toEqual(view(v));
        expect(() => restoreValue(d)).toThrow(DumpPayloadError);
        expect(() => restoreValue(d.subarray(0, d.length - 5), { checksumCovered: true, slab })).toThrow(DumpPayloadError);
      }),
    );
  });

  it('dump: restoreStringCovered reads exactly the well-formed string payloads, at any offset', () => {
    const slab = new CopySlab();
    fc.assert(
      fc.property(anyValue, fc.nat(8), (v, pad) => {
        const d = Buffer.concat([Buffer.alloc(pad, 0xee), dumpValue(v), Buffer.alloc(3, 0xee)]);
        const got = restoreStringCovered(d, pad, d.length - 3, slab);
        if (v.type === 'string') expect(got).toEqual(v.value);
        else expect(got).toBeUndefined();
        expect(restoreStringCovered(d, pad, d.length - 4, slab)).toBeUndefined(); // one byte short
      }),
    );
  });

  it('dump: a slab copy is independent of its source and of other copies', () => {
    const slab = new CopySlab();
    const src = Buffer.from('abcdef');
    const a = slab.copy(src, 1, 3);
    const b = slab.copy(src);
    const big = slab.copy(Buffer.alloc(100_000, 1));
    src.fill(0);
    expect([a.toString(), b.toString(), big.length, big[99_999]]).toEqual(['bc', 'abcdef', 100_000, 1]);
  });
});

