/**
 * Incremental framer for one direction of a bus link: bytes in (`write(chunk)`), whole
 * frames out (`onFrame`), like cluster.c clusterReadHandler but without a socket.
 *
 *   chunk:  |..frame A (rest)..|..frame B..|..frame C (start)..|
 *              copied into A's      a view of     copied into C's buffer,
 *              buffer, emitted      the chunk     allocated once its 8-byte
 *                                   (no copy)     prefix is checked
 *
 * A frame wholly inside one chunk is delivered as a view of that chunk (valid for as long
 * as the caller does not reuse the chunk's memory; socket chunks are never reused). A
 * frame spanning chunks is copied once into a buffer of exactly totlen bytes, allocated
 * only after its signature and totlen passed the checks, so a hostile length never
 * allocates. After an error the framer stays failed (the stream is out of sync; Redis
 * frees the link) until reset().
 */
import { FRAME_PREFIX_LEN, TYPE_PREFIX_LEN } from './constants.js';
import type { BusProtocolError } from './errors.js';
import { checkFramePrefix, type FrameLimits, type ResolvedLimits, resolveLimits } from './frame-prefix.js';

export { peekBusTotlen, peekBusType, type FrameLimits } from './frame-prefix.js';
export { BusFrameScanner, type BusScanHandlers } from './scanner.js';

export interface BusFramerHandlers {
  onFrame(frame: Buffer): void;
  onError(err: BusProtocolError): void;
  /** Once per frame, as soon as its first 14 bytes (through `type`) have arrived. */
  onType?(type: number, totlen: number): void;
}

export class BusFramer {
  private readonly limits: ResolvedLimits;
  /** sig + totlen of the next frame while they straddle chunks. */
  private readonly prefix = Buffer.alloc(FRAME_PREFIX_LEN);
  private prefixLen = 0;
  /** The frame being assembled across chunks, or null between frames. */
  private partial: Buffer | null = null;
  private filled = 0;
  private failedWith: BusProtocolError | null = null;

  constructor(
    private readonly handlers: BusFramerHandlers,
    options: FrameLimits = {},
  ) {
    this.limits = resolveLimits(options);
  }

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.partial ? this.filled : this.prefixLen;
  }

  get failed(): boolean {
    return this.failedWith !== null;
  }

  /** Drops any partial frame and the failed state. */
  reset(): void {
    this.prefixLen = 0;
    this.partial = null;
    this.filled = 0;
    this.failedWith = null;
  }

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.failedWith) {
      if (this.partial) {
        pos = this.fill(chunk, pos);
      } else if (this.prefixLen === 0 && chunk.length - pos >= FRAME_PREFIX_LEN) {
        pos = this.startInChunk(chunk, pos);
      } else {
        pos = this.collectPrefix(chunk, pos);
      }
    }
  }

  /** A frame starts at `pos` with its whole prefix in this chunk. */
  private startInChunk(chunk: Buffer, pos: number): number {
    const totlen = checkFramePrefix(chunk, pos, this.limits);
    if (typeof totlen !== 'number') return this.fail(totlen, chunk.length);
    if (chunk.length - pos >= totlen) {
      const frame = chunk.subarray(pos, pos + totlen);
      this.handlers.onType?.(frame.readUInt16BE(12), totlen);
      this.handlers.onFrame(frame);
      return pos + totlen;
    }
    this.partial = Buffer.allocUnsafe(totlen);
    this.filled = 0;
    return this.fill(chunk, pos);
  }

  /** Fewer than 8 bytes of the next frame so far. */
  private collectPrefix(chunk: Buffer, pos: number): number {
    const take = Math.min(FRAME_PREFIX_LEN - this.prefixLen, chunk.length - pos);
    chunk.copy(this.prefix, this.prefixLen, pos, pos + take);
    this.prefixLen += take;
    pos += take;
    if (this.prefixLen < FRAME_PREFIX_LEN) return pos;
    const totlen = checkFramePrefix(this.prefix, 0, this.limits);
    if (typeof totlen !== 'number') return this.fail(totlen, chunk.length);
    this.partial = Buffer.allocUnsafe(totlen);
    this.prefix.copy(this.partial, 0);
    this.filled = FRAME_PREFIX_LEN;
    this.prefixLen = 0;
    return pos;
  }

  /** Copies bytes into the partial frame; emits it when complete. */
  private fill(chunk: Buffer, pos: number): number {
    const frame = this.partial as Buffer;
    const take = Math.min(frame.length - this.filled, chunk.length - pos);
    const before = this.filled;
    chunk.copy(frame, this.filled, pos, pos + take);
    this.filled += take;
    if (before < TYPE_PREFIX_LEN && this.filled >= TYPE_PREFIX_LEN) {
      this.handlers.onType?.(frame.readUInt16BE(12), frame.length);
    }
    if (this.filled === frame.length) {
      this.partial = null;
      this.filled = 0;
      this.handlers.onFrame(frame);
    }
    return pos + take;
  }

  private fail(err: BusProtocolError, end: number): number {
    this.failedWith = err;
    this.prefixLen = 0;
    this.partial = null;
    this.handlers.onError(err);
    return end;
  }
}
