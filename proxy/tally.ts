import { type DirIndex } from './names.js';

/**
 * One connection's counts, per 100 ms bucket and bus message type. A chunk costs one
 * Map lookup and two additions; nothing here looks at the bytes.
 *
 *   cells: msg_type -> [sent bytes, received bytes, sent messages, received messages]
 *   (msg_type '' for client and replication connections)
 */
export type Cell = [number, number, number, number];

export interface Bucket {
  /** Bucket start, ms since the epoch, a multiple of 100. */
  ts: number;
  cells: Map<string, Cell>;
}

export class Tally {
  /** Oldest first; the last one is the bucket being filled. */
  private buckets: Bucket[] = [];

  add(ts: number, dir: DirIndex, msgType: string, bytes: number, messages: number): void {
    let b = this.buckets[this.buckets.length - 1];
    if (b === undefined || b.ts !== ts) this.buckets.push((b = { ts, cells: new Map() }));
    let cell = b.cells.get(msgType);
    if (cell === undefined) b.cells.set(msgType, (cell = [0, 0, 0, 0]));
    cell[dir] += bytes;
    cell[dir + 2] += messages;
  }

  /** Removes and returns the buckets that started before `ts` (all when ts is Infinity). */
  takeBefore(ts: number): Bucket[] {
    let n = 0;
    while (n < this.buckets.length && this.buckets[n].ts < ts) n++;
    return n === 0 ? [] : this.buckets.splice(0, n);
  }

  get empty(): boolean {
    return this.buckets.length === 0;
  }
}
