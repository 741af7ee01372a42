/**
 * The keys in insertion order, each under a sequence number that never changes while the
 * key exists. This is what makes SCAN cursors stable (Keyspace.scan):
 *
 *   seqs:  [ 3 ,  5 ,  6 ,  9 , 12 ]     ascending; a key gets the next seq when created
 *   keys:  [ a , null, c ,  d ,  e ]     null = deleted (tombstone), dropped by compaction
 *
 * A cursor is "the next seq to visit". Every key that exists for the whole scan keeps its
 * seq, and the cursor only moves up, so it is returned exactly once, whatever is added or
 * deleted meanwhile; keys created during the scan get higher seqs and may or may not be
 * seen. Finding a cursor's position is a binary search, so a call costs O(log n + count).
 * Compaction rewrites the arrays but not the seqs, so it never disturbs a cursor.
 */
export class InsertionIndex {
  private seqs: number[] = [];
  private keys: Array<string | null> = [];
  private tombstones = 0;
  private nextSeq = 1;

  /** The seq the next added key will get; every existing key has a smaller one. */
  get horizon(): number {
    return this.nextSeq;
  }

  /** Appends a key and returns its seq. */
  add(key: string): number {
    const seq = this.nextSeq++;
    this.seqs.push(seq);
    this.keys.push(key);
    return seq;
  }

  remove(seq: number): void {
    const i = this.indexOf(seq);
    if (i < this.seqs.length && this.seqs[i] === seq && this.keys[i] !== null) {
      this.keys[i] = null;
      this.tombstones++;
      // Amortised O(1): at most one rewrite per (live count) deletions.
      if (this.tombstones > 64 && this.tombstones > this.keys.length - this.tombstones) this.compact();
    }
  }

  clear(): void {
    this.seqs = [];
    this.keys = [];
    this.tombstones = 0;
    // nextSeq keeps counting, so a cursor from before a flush never lands inside new keys' range by accident.
  }

  /**
   * Up to `count` live keys with seq >= cursor, in order, and the cursor to continue from
   * (0 when the end was reached). `cursor` 0 starts from the beginning.
   */
  walk(cursor: number, count: number): { next: number; keys: string[] } {
    const out: string[] = [];
    let i = this.indexOf(cursor);
    while (i < this.keys.length && out.length < count) {
      const k = this.keys[i++];
      if (k !== null) out.push(k);
    }
    while (i < this.keys.length && this.keys[i] === null) i++;
    return { next: i < this.keys.length ? this.seqs[i] : 0, keys: out };
  }

  /** A uniformly random live key, or undefined when empty. Expected O(1): tombstones are at most half. */
  random(): string | undefined {
    const live = this.keys.length - this.tombstones;
    if (live === 0) return undefined;
    for (let tries = 0; tries < 64; tries++) {
      const k = this.keys[Math.floor(Math.random() * this.keys.length)];
      if (k !== null) return k;
    }
    this.compact();
    return this.keys[Math.floor(Math.random() * this.keys.length)] ?? undefined;
  }

  /** First index whose seq is >= seq. */
  private indexOf(seq: number): number {
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid] < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compact(): void {
    const seqs: number[] = [];
    const keys: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i];
      if (k !== null) {
        seqs.push(this.seqs[i]);
        keys.push(k);
      }
    }
    this.seqs = seqs;
    this.keys = keys;
    this.tombstones = 0;
  }
}
