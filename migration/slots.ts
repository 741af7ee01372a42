import { MigrationError } from './errors.js';

export const SLOT_COUNT = 16384;

/** An inclusive slot range, as `--slots A-B` gives it (a single `A` is A-A). */
export interface SlotRange {
  first: number;
  last: number;
}

export function parseSlotRange(text: string): SlotRange {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) throw new MigrationError('BAD_RANGE', `slots "${text}": expected A-B, e.g. 0-99`);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (first > last || last >= SLOT_COUNT) throw new MigrationError('BAD_RANGE', `slots "${text}": need 0 <= A <= B <= ${SLOT_COUNT - 1}`);
  return { first, last };
}

export function slotsOf(r: SlotRange): number[] {
  return Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i);
}

export function formatRange(r: SlotRange): string {
  return r.first === r.last ? String(r.first) : `${r.first}-${r.last}`;
}
