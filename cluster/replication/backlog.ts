/**
 * The replication backlog (replication.c, Redis 7.0 `replBacklog`): the last `size`
 * bytes of the replication stream, so a replica that lost its link can continue
 * from its offset instead of loading a full snapshot.
 *
 *   stream offsets:   firstByteOffset ............ masterOffset
 *                     |<---------- histlen ---------->|
 *   ring buffer:      [ .... older | newest ... ]  (wraps at `size`)
 *
 * Offsets follow Redis: master_repl_offset counts every byte ever fed; the first byte
 * the backlog holds is `repl_backlog_first_byte_offset` = masterOffset - histlen + 1;
 * a replica asking `PSYNC <id> <off>` wants bytes from `off` (its own offset + 1).
 * Offsets are JS numbers: exact up to 2^53 bytes (9 PB), far beyond any run here.
 */
export class ReplBacklog {
  private buf: Buffer;
  /** Index in `buf` where the next byte goes. */
  private idx = 0;
  private hist = 0;

  /** `masterOffset`: the stream offset of the last byte fed before this backlog existed. */
  constructor(
    size: number,
    private masterOffset: number,
  ) {
    this.buf = Buffer.alloc(Math.max(1, size));
  }

  get size(): number {
    return this.buf.length;
  }

  get histlen(): number {
    return this.hist;
  }

  /** repl_backlog_first_byte_offset as INFO shows it. */
  get firstByteOffset(): number {
    return this.masterOffset - this.hist + 1;
  }

  get offset(): number {
    return this.masterOffset;
  }

  append(data: Buffer): void {
    this.masterOffset += data.length;
    const size = this.buf.length;
    // Only the last `size` bytes of a big write can survive.
    const src = data.length > size ? data.subarray(data.length - size) : data;
    const first = Math.min(src.length, size - this.idx);
    src.copy(this.buf, this.idx, 0, first);
    if (first < src.length) src.copy(this.buf, 0, first);
    this.idx = (this.idx + src.length) % size;
    this.hist = Math.min(size, this.hist + data.length);
  }

  /**
   * Bytes from stream offset `from` (the replica's offset + 1) to the end, or null when
   * they are no longer (or not yet) all here: replication.c masterTryPartialResynchronization.
   */
  from(from: number): Buffer | null {
    if (from < this.firstByteOffset || from > this.masterOffset + 1) return null;
    const len = this.masterOffset + 1 - from;
    const out = Buffer.allocUnsafe(len);
    const size = this.buf.length;
    let start = (this.idx - len + size) % size;
    let done = 0;
    while (done < len) {
      const n = Math.min(len - done, size - start);
      this.buf.copy(out, done, start, start + n);
      done += n;
      start = 0;
    }
    return out;
  }

  /**
   * CONFIG SET repl-backlog-size: keeps the newest bytes that still fit
   * (Redis 7.0 resizeReplicationBacklog keeps the history too).
   */
  resize(size: number): void {
    if (size === this.buf.length) return;
    const keep = Math.min(this.hist, size);
    const tail = this.from(this.masterOffset + 1 - keep) ?? Buffer.alloc(0);
    this.buf = Buffer.alloc(Math.max(1, size));
    this.idx = 0;
    this.hist = 0;
    const offset = this.masterOffset;
    this.masterOffset -= tail.length;
    this.append(tail);
    this.masterOffset = offset;
  }
}
