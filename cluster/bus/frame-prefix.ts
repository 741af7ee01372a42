/**
 * The first bytes of every bus frame, all a framer or scanner needs to look at:
 *
 *   0      4        8     10     12     14
 *   | "RCmb" | totlen | ver | port | type | ...
 *
 * clusterReadHandler reads the first 8, rejects a wrong signature or a totlen below
 * CLUSTERMSG_MIN_LEN (and frees the link), then reads totlen - 8 more.
 */
import { BUS_HEADER_LEN, DEFAULT_MAX_FRAME_LEN, FRAME_PREFIX_LEN, HDR, MIN_PROCESSABLE_LEN, TYPE_PREFIX_LEN } from './constants.js';
import { BusProtocolError } from './errors.js';

export interface FrameLimits {
  /**
   * Largest totlen accepted; a larger declared length is refused (TOO_LARGE) before any
   * allocation. Default 32 MiB. Redis itself has no limit here.
   */
  maxFrameLength?: number;
  /**
   * Smallest totlen accepted (BAD_LENGTH below it). Default 2256, CLUSTERMSG_MIN_LEN, as
   * clusterReadHandler; may be lowered to 16, clusterProcessPacket's own floor, so that
   * a frame always holds its type.
   */
  minFrameLength?: number;
}

export interface ResolvedLimits {
  max: number;
  min: number;
}

export function resolveLimits(o: FrameLimits = {}): ResolvedLimits {
  const min = o.minFrameLength ?? BUS_HEADER_LEN;
  const max = o.maxFrameLength ?? DEFAULT_MAX_FRAME_LEN;
  if (!Number.isInteger(min) || min < MIN_PROCESSABLE_LEN) {
    throw new RangeError(`minFrameLength must be an integer >= ${MIN_PROCESSABLE_LEN}`);
  }
  if (!Number.isInteger(max) || max < min || max > 0xffff_ffff) {
    throw new RangeError(`maxFrameLength must be an integer in ${min}..2^32-1`);
  }
  return { min, max };
}

/** Checks the 8-byte prefix at `off`; returns totlen or the error to report. */
export function checkFramePrefix(buf: Uint8Array, off: number, limits: ResolvedLimits): number | BusProtocolError {
  if (buf[off] !== 0x52 || buf[off + 1] !== 0x43 || buf[off + 2] !== 0x6d || buf[off + 3] !== 0x62) {
    const sig = Buffer.from(buf.subarray(off, off + 4)).toString('latin1');
    return new BusProtocolError('BAD_SIGNATURE', `bad signature ${JSON.stringify(sig)}, expected "RCmb"`);
  }
  const totlen = readU32(buf, off + HDR.totlen);
  if (totlen < limits.min) {
    return new BusProtocolError('BAD_LENGTH', `declared totlen ${totlen} is below ${limits.min}`);
  }
  if (totlen > limits.max) {
    return new BusProtocolError('TOO_LARGE', `declared totlen ${totlen} exceeds the ${limits.max}-byte limit`);
  }
  return totlen;
}

function readU32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** The type code of a frame (or frame start) of at least 14 bytes; undefined if shorter. */
export function peekBusType(frame: Uint8Array): number | undefined {
  if (frame.length < TYPE_PREFIX_LEN) return undefined;
  return (frame[HDR.type] << 8) | frame[HDR.type + 1];
}

/** The declared totlen of a frame (or frame start) of at least 8 bytes. */
export function peekBusTotlen(frame: Uint8Array): number | undefined {
  if (frame.length < FRAME_PREFIX_LEN) return undefined;
  return readU32(frame, HDR.totlen);
}
