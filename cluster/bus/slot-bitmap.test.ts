import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  slotBitmapCount,
  slotBitmapEmpty,
  slotBitmapFromRanges,
  slotBitmapGet,
  slotBitmapSet,
  slotBitmapToRanges,
} from './message.js';

describe('slot bitmaps', () => {
  it('bus: slot s is bit (s & 7) of byte s >> 3, as bitmapTestBit', () => {
    const b = slotBitmapEmpty();
    slotBitmapSet(b, 0);
    slotBitmapSet(b, 9);
    slotBitmapSet(b, 16383);
    expect(b[0]).toBe(0b0000_0001);
    expect(b[1]).toBe(0b0000_0010);
    expect(b[2047]).toBe(0b1000_0000);
    expect(slotBitmapGet(b, 9)).toBe(true);
    expect(slotBitmapGet(b, 8)).toBe(false);
    slotBitmapSet(b, 9, false);
    expect(b[1]).toBe(0);
    expect(slotBitmapCount(b)).toBe(2);
  });

  it('bus: the three ranges redis-cli assigns to 3 masters map to whole bytes and back', () => {
    const ranges: Array<[number, number]> = [[0, 5460], [5461, 10922], [10923, 16383]];
    const bitmaps = ranges.map((r) => slotBitmapFromRanges([r]));
    expect(bitmaps.map(slotBitmapToRanges)).toEqual(ranges.map((r) => [r]));
    expect(bitmaps.map(slotBitmapCount)).toEqual([5461, 5462, 5461]);
    expect(slotBitmapToRanges(slotBitmapFromRanges(ranges))).toEqual([[0, 16383]]);
  });

  it('bus: out-of-range or reversed slots are refused', () => {
    expect(() => slotBitmapFromRanges([[0, 16384]])).toThrow(RangeError);
    expect(() => slotBitmapFromRanges([[5, 4]])).toThrow(RangeError);
    expect(() => slotBitmapGet(slotBitmapEmpty(), -1)).toThrow(RangeError);
    expect(() => slotBitmapSet(slotBitmapEmpty(), 1.5)).toThrow(RangeError);
  });

  it('bus: ranges round-trip through a bitmap for any set of slots', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 16383 }), { maxLength: 300 }), (slots) => {
        const b = slotBitmapEmpty();
        for (const s of slots) slotBitmapSet(b, s);
        const ranges = slotBitmapToRanges(b);
        expect(Buffer.from(slotBitmapFromRanges(ranges)).equals(Buffer.from(b))).toBe(true);
        expect(slotBitmapCount(b)).toBe(slots.length);
        for (const [a, z] of ranges) expect(a).toBeLessThanOrEqual(z);
      }),
      { numRuns: 200 },
    );
  });
});
