import { CLUSTER_SLOTS, SLOT_BITMAP_LEN } from './constants.js';

/**
 * 16384-slot bitmaps as they travel in `myslots` and UPDATE's `slots`: slot s is bit
 * (s & 7) of byte (s >> 3), least significant bit first (cluster.c bitmapTestBit).
 *
 *   byte 0: slots 7 6 5 4 3 2 1 0   byte 1: slots 15 ... 8   ...
 */
export type SlotBitmap = Uint8Array;

/** An inclusive range of slots, `[first, last]`, as CLUSTER NODES prints `first-last`. */
export type SlotRange = readonly [number, number];

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= CLUSTER_SLOTS) {
    throw new RangeError(`slot ${slot} is outside 0..${CLUSTER_SLOTS - 1}`);
  }
}

export function slotBitmapEmpty(): SlotBitmap {
  return new Uint8Array(SLOT_BITMAP_LEN);
}

export function slotBitmapGet(bitmap: SlotBitmap, slot: number): boolean {
  checkSlot(slot);
  return (bitmap[slot >> 3] & (1 << (slot & 7))) !== 0;
}

export function slotBitmapSet(bitmap: SlotBitmap, slot: number, on = true): void {
  checkSlot(slot);
  if (on) bitmap[slot >> 3] |= 1 << (slot & 7);
  else bitmap[slot >> 3] &= ~(1 << (slot & 7));
}

export function slotBitmapFromRanges(ranges: Iterable<SlotRange>): SlotBitmap {
  const bitmap = slotBitmapEmpty();
  for (const [first, last] of ranges) {
    checkSlot(first);
    checkSlot(last);
    if (first > last) throw new RangeError(`slot range ${first}-${last} is reversed`);
    for (let s = first; s <= last; s++) bitmap[s >> 3] |= 1 << (s & 7);
  }
  return bitmap;
}

/** Maximal runs of set slots, in order. */
export function slotBitmapToRanges(bitmap: SlotBitmap): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = -1;
  for (let s = 0; s < CLUSTER_SLOTS; s++) {
    const on = (bitmap[s >> 3] & (1 << (s & 7))) !== 0;
    if (on && start < 0) start = s;
    if (!on && start >= 0) {
      ranges.push([start, s - 1]);
      start = -1;
    }
  }
  if (start >= 0) ranges.push([start, CLUSTER_SLOTS - 1]);
  return ranges;
}

export function slotBitmapCount(bitmap: SlotBitmap): number {
  let n = 0;
  for (let i = 0; i < SLOT_BITMAP_LEN; i++) {
    let b = bitmap[i];
    while (b) {
      b &= b - 1;
      n++;
    }
  }
  return n;
}
