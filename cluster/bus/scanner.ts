/**
 * Counts bus bytes per message type without holding frames: for a proxy that forwards
 * chunks untouched and only needs "these N bytes were part of a frame of type T".
 *
 *   chunk 1            chunk 2                         chunk 3
 *   |PING ...........|..PING.|PONG hdr (14 B)..PONG..|..PONG....|RCm
 *    seg(0, n1)        seg(0, a) seg(1, b)              seg(1, c)  (held)
 *
 * Only the first 14 bytes of a frame (through `type`) are ever kept. Bytes before the
 * type is known are held back and reported with the first segment of that frame, so a
 * segment may cover bytes of earlier chunks; the sum of all segments always equals the
 * bytes written (after end()). After a bad prefix (signature, totlen out of limits) the
 * stream cannot be framed any more: every further byte is reported as UNFRAMED_TYPE.
 */
import { FRAME_PREFIX_LEN, HDR, NODE_NAME_LEN, TYPE_PREFIX_LEN, UNFRAMED_TYPE } from './constants.js';
import type { BusProtocolError } from './errors.js';
import { checkFramePrefix, type FrameLimits, type ResolvedLimits, resolveLimits } from './frame-prefix.js';

export interface BusScanHandlers {
  /** `bytes` more bytes of the stream belong to a frame of `type` (or UNFRAMED_TYPE). */
  onSegment(type: number, bytes: number): void;
  /** A frame of `type` and `totlen` bytes has passed completely. */
  onFrame?(type: number, totlen: number): void;
  /** The stream stopped being a bus stream (reported once). */
  onError?(err: BusProtocolError): void;
  /**
   * The sender name (clusterMsg.sender, 40 hex chars at offset 40) and announced client
   * port (offset 10) of a frame, once its first 80 bytes have passed. Only frames of at
   * least 80 bytes report it. The 40 bytes are copied as they pass, never held back.
   */
  onSender?(sender: string, port: number): void;
}

const SENDER_END = HDR.sender + NODE_NAME_LEN;

export class BusFrameScanner {
  private readonly limits: ResolvedLimits;
  private readonly head = new Uint8Array(TYPE_PREFIX_LEN);
  private headLen = 0;
  private totlen = 0;
  private type = 0;
  /** Bytes of the current frame not yet seen, once its type is known. */
  private remaining = 0;
  private broken = false;
  /** The sender field of the current frame, filled as its bytes pass (onSender only). */
  private readonly sender = new Uint8Array(NODE_NAME_LEN);
  private port = 0;

  constructor(
    private readonly handlers: BusScanHandlers,
    options: FrameLimits = {},
  ) {
    this.limits = resolveLimits(options);
  }

  /** Bytes seen but not yet reported (the start of a frame whose type is not known yet). */
  get pendingBytes(): number {
    return this.headLen;
  }

  get failed(): boolean {
    return this.broken;
  }

  write(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.broken) {
        this.handlers.onSegment(UNFRAMED_TYPE, n - pos);
        return;
      }
      let carried = 0;
      if (this.remaining === 0) {
        const hadPrefix = this.headLen >= FRAME_PREFIX_LEN;
        const take = Math.min(TYPE_PREFIX_LEN - this.headLen, n - pos);
        this.head.set(chunk.subarray(pos, pos + take), this.headLen);
        this.headLen += take;
        pos += take;
        if (!hadPrefix && this.headLen >= FRAME_PREFIX_LEN) {
          const totlen = checkFramePrefix(this.head, 0, this.limits);
          if (typeof totlen !== 'number') {
            this.broken = true;
            this.handlers.onError?.(totlen);
            this.flushHead();
            continue;
          }
          this.totlen = totlen;
        }
        if (this.headLen < TYPE_PREFIX_LEN) continue; // chunk exhausted
        this.type = (this.head[12] << 8) | this.head[13];
        this.port = (this.head[10] << 8) | this.head[11];
        this.remaining = this.totlen - TYPE_PREFIX_LEN; // >= 2: totlen >= 16
        carried = this.headLen;
        this.headLen = 0;
      }
      const take = Math.min(this.remaining, n - pos);
      if (this.handlers.onSender) this.copySender(chunk, pos, take);
      this.remaining -= take;
      pos += take;
      this.handlers.onSegment(this.type, carried + take);
      if (this.remaining === 0) this.handlers.onFrame?.(this.type, this.totlen);
    }
  }

  /** Copies the part of chunk[pos, pos+take) that lies in the frame's sender field. */
  private copySender(chunk: Uint8Array, pos: number, take: number): void {
    const start = this.totlen - this.remaining; // frame offset of chunk[pos]
    if (start >= SENDER_END || start + take <= HDR.sender || this.totlen < SENDER_END) return;
    const from = Math.max(start, HDR.sender);
    const to = Math.min(start + take, SENDER_END);
    this.sender.set(chunk.subarray(pos + from - start, pos + to - start), from - HDR.sender);
    if (to === SENDER_END) this.handlers.onSender!(Buffer.from(this.sender).toString('latin1'), this.port);
  }

  /** End of stream: held bytes of an unfinished frame start are reported as unframed. */
  end(): void {
    this.flushHead();
  }

  private flushHead(): void {
    if (this.headLen > 0) this.handlers.onSegment(UNFRAMED_TYPE, this.headLen);
    this.headLen = 0;
  }
}
