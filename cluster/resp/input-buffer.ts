/**
 * Received bytes that a decoder has not consumed yet.
 *
 * A decoder parses straight out of each chunk it is given. When an item (a line, or
 * a bulk payload of known length) runs past the end of the chunk, the decoder stashes
 * the unfinished tail here and says what it waits for. Later chunks are only queued,
 * without copying, until that can be there; then the queue is joined once and parsing
 * resumes at the start of the item:
 *
 *   chunk 1: [ ...parsed... | tail ]          stash(tail), wait for N bytes or a CR
 *   chunk 2: [ ........ ]                     queued (N not reached, no CR in chunk 2)
 *   chunk 3: [ ....|..... ]                   ready: buf = tail+2+3 (one concat), pos = 0
 *
 * So a large value sent in many chunks is copied once, not once per chunk, and
 * nothing is ever allocated for a declared length: the queue holds only bytes given.
 */
const EMPTY = Buffer.alloc(0);

export class InputBuffer {
  /** What the decoder parses now, from `pos`. */
  buf: Buffer = EMPTY;
  pos = 0;

  private parts: Buffer[] = [];
  private partsLen = 0;
  /** Resume once the queue holds this many bytes (when waiting for bytes). */
  private needBytes = 0;
  /** Resume once a chunk brings this byte (when waiting for a line end), else -1. */
  private needByte = -1;
  /** Waiting for a line that cannot end (see RequestDecoder on NUL bytes). */
  private stalled = false;

  /**
   * Adds a chunk. Returns true when `buf` from `pos` holds input to parse now,
   * false when the chunk was only queued.
   */
  push(chunk: Buffer): boolean {
    if (this.partsLen === 0) {
      // Nothing stashed. If a callback threw during the last parse, `buf` still has
      // its unparsed rest: keep it in front of the new bytes.
      this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
      this.pos = 0;
      return true;
    }
    this.parts.push(chunk);
    this.partsLen += chunk.length;
    if (this.stalled) return false;
    if (this.needByte >= 0 ? chunk.indexOf(this.needByte) === -1 : this.partsLen < this.needBytes) return false;
    this.buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLen);
    this.pos = 0;
    this.parts = [];
    this.partsLen = 0;
    return true;
  }

  /** Keeps `buf[from..]` and resumes when `total` bytes from `from` are there. */
  waitBytes(from: number, total: number): void {
    this.stash(from);
    this.needBytes = total;
    this.needByte = -1;
  }

  /** Keeps `buf[from..]` and resumes when a later chunk contains `byte`. */
  waitByte(from: number, byte: number): void {
    this.stash(from);
    this.needByte = byte;
  }

  /** Keeps `buf[from..]` and only queues from now on. */
  stall(from: number): void {
    this.stash(from);
    this.stalled = true;
  }

  /** Everything in `buf` was consumed. */
  consumed(): void {
    this.buf = EMPTY;
    this.pos = 0;
  }

  /** True while waiting for a line end: the decoder then applies its line-length limit. */
  get waitingForLine(): boolean {
    return this.partsLen > 0 && (this.stalled || this.needByte >= 0);
  }

  /** Bytes held and not consumed. */
  get size(): number {
    return this.partsLen > 0 ? this.partsLen : this.buf.length - this.pos;
  }

  clear(): void {
    this.consumed();
    this.parts = [];
    this.partsLen = 0;
    this.stalled = false;
  }

  private stash(from: number): void {
    const rest = this.buf.subarray(from);
    this.consumed();
    this.parts = rest.length > 0 ? [rest] : [];
    this.partsLen = rest.length;
    this.stalled = false;
    this.needByte = -1;
  }
}
