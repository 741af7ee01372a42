/**
 * Fixed-size field helpers shared by the codec. Text is Latin-1 (one char per byte) so
 * that whatever bytes arrive come back out unchanged; encoders refuse anything that does
 * not fit instead of truncating silently.
 */
import { BusProtocolError } from './errors.js';

const LATIN1_ONLY = /^[\u0000-\u00ff]*$/;

function badField(what: string, why: string): BusProtocolError {
  return new BusProtocolError('BAD_FIELD', `${what}: ${why}`);
}

export function checkUint(value: number, bits: 8 | 16 | 32, what: string): void {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw badField(what, `${value} is not an integer in 0..${max}`);
  }
}

export function writeU64(buf: Buffer, off: number, value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw badField(what, `${String(value)} is not a u64 bigint`);
  }
  buf.writeBigUInt64BE(value, off);
}

/** A name field of exactly `len` bytes (sender, slaveof, gossip nodename, ...). */
export function writeFixedText(buf: Buffer, off: number, len: number, text: string, what: string): void {
  if (text.length !== len || !LATIN1_ONLY.test(text)) {
    throw badField(what, `expected ${len} Latin-1 chars, got ${JSON.stringify(text)}`);
  }
  buf.write(text, off, len, 'latin1');
}

export function readFixedText(buf: Buffer, off: number, len: number): string {
  return buf.toString('latin1', off, off + len);
}

/**
 * A NUL-padded text field of `len` bytes (myip, gossip ip). The text may fill the whole
 * field (no terminator), as a decoded field may; it may not contain NUL itself.
 */
export function writePaddedText(buf: Buffer, off: number, len: number, text: string, what: string): void {
  if (text.length > len || text.includes('\0') || !LATIN1_ONLY.test(text)) {
    throw badField(what, `expected at most ${len} Latin-1 chars without NUL, got ${JSON.stringify(text)}`);
  }
  buf.fill(0, off, off + len);
  buf.write(text, off, len, 'latin1');
}

/** Text up to the first NUL (or the whole field); bytes after the NUL are ignored, as Redis does. */
export function readPaddedText(buf: Buffer, off: number, len: number): string {
  const field = buf.subarray(off, off + len);
  const nul = field.indexOf(0);
  return field.toString('latin1', 0, nul < 0 ? field.length : nul);
}

export function isAllZero(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/** EIGHT_BYTE_ALIGN (cluster.h). */
export function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
