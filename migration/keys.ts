import { keyHashSlot } from '../cluster/store/slot.js';
import type { SlotRange } from './slots.js';

/** `count` key names `<prefix><i>` whose slots are inside (or, with `inside` false, outside) `range`. */
export function keysFor(range: SlotRange, count: number, prefix: string, inside = true): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count && i < count * 100_000; i++) {
    const k = `${prefix}${i}`;
    const s = keyHashSlot(k);
    if ((s >= range.first && s <= range.last) === inside) out.push(k);
  }
  return out;
}
