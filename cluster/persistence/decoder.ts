import { crc32 } from 'node:zlib';
import { restoreValue } from '../store/dump.js';
import { DumpPayloadError } from '../store/errors.js';
import { SnapshotError, type SnapshotErrorCode } from './errors.js';
import {
  ENTRY_MID_BYTES,
  ENTRY_PREFIX_BYTES,
  HEADER_BYTES,
  MAGIC,
  NO_EXPIRE,
  OP_END,
  OP_ENTRY,
  parseHeader,
  readInt64,
  TRAILER_BYTES,
  type SnapshotEntry,
  type SnapshotHeader,
  type SnapshotTrailer,
} from './format.js';

export interface SnapshotHandlers {
  /** The header, once its 72 bytes are in and its own CRC is right. */
  onHeader(h: SnapshotHeader): void;
  /**
   * One key. The whole-file CRC is only known at the end: a consumer must not make the
   * entries visible before onEnd (the loader fills a keyspace nobody serves yet).
   */
  onEntry(e: SnapshotEntry): void;
  /** The trailer checked out. `rest` holds the bytes after it (a replication stream goes on). */
  onEnd(t: SnapshotTrailer, rest: Buffer): void;
  /** Malformed input; nothing more is reported after it. */
  onError(e: SnapshotError): void;
}

type Stage = 'header' | 'opcode' | 'key' | 'entry' | 'payload' | 'trailer' | 'done' | 'failed';

/** Largest key accepted: Redis' proto-max-bulk-len default; guards a flipped length byte. */
const MAX_KEY = 512 * 1024 * 1024;

/**
 * Incremental snapshot decoder (STYLE.md 1): `write(chunk)` any split of the bytes,
 * `end()` when the input is over. Input is kept as a list of chunks and joined only
 * when a whole field is present, so a large value arriving in small chunks is copied
 * once. Running out of bytes is never an error until `end()` (TRUNCATED); malformed
 * bytes are reported as soon as they are seen.
 *
 *   header -> opcode -+- 0x01 -> key -> entry (expire, vlen) -> payload -> opcode ...
 *                     +- 0xFF -> trailer -> done
 */
export class SnapshotDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private stage: Stage = 'header';
  /** Bytes consumed so far = offset in the snapshot of the next byte to parse. */
  private offset = 0;
  private crc = 0;
  private keys = 0;
  private key = '';
  private expireAt: number | undefined;
  private need = HEADER_BYTES;

  constructor(private readonly h: SnapshotHandlers) {}

  get done(): boolean {
    return this.stage === 'done';
  }

  get failed(): boolean {
    return this.stage === 'failed';
  }

  /** Bytes of the snapshot parsed so far. */
  get bytesRead(): number {
    return this.offset;
  }

  write(chunk: Buffer): void {
    if (this.stage === 'done' || this.stage === 'failed') return;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.stage === 'header' && !this.magicSoFar()) return;
    while (this.buffered >= this.need && !this.finished()) this.step();
  }

  private finished(): boolean {
    return this.stage === 'done' || this.stage === 'failed';
  }

  /** The input is over: anything short of a complete trailer is TRUNCATED. */
  end(): void {
    if (this.stage === 'done' || this.stage === 'failed') return;
    this.fail('TRUNCATED', `input ended in ${this.stage} after ${this.offset + this.buffered} bytes`, this.offset + this.buffered);
  }

  /** Refuse a non-snapshot as soon as its first bytes differ from the magic. */
  private magicSoFar(): boolean {
    const head = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const n = Math.min(head.length, MAGIC.length);
    if (head.subarray(0, n).equals(MAGIC.subarray(0, n))) return true;
    this.fail('BAD_MAGIC', `starts with ${head.subarray(0, n).toString('hex')}`, 0);
    return false;
  }

  private step(): void {
    const at = this.offset;
    if (this.stage === 'trailer') return this.trailer(this.take(this.need, false), at);
    const b = this.take(this.need, true);
    switch (this.stage) {
      case 'header': {
        const h = parseHeader(b);
        if ('fault' in h) return this.fail(h.fault, h.detail, at);
        this.next('opcode', 1);
        return this.h.onHeader(h);
      }
      case 'opcode':
        if (b[0] === OP_ENTRY) return this.next('key', ENTRY_PREFIX_BYTES - 1);
        if (b[0] === OP_END) return this.next('trailer', TRAILER_BYTES - 1);
        return this.fail('BAD_OPCODE', `opcode 0x${b[0].toString(16)}`, at);
      case 'key': {
        const klen = b.readUInt32BE(0);
        if (klen > MAX_KEY) return this.fail('BAD_ENTRY', `key length ${klen}`, at);
        return this.next('entry', klen + ENTRY_MID_BYTES);
      }
      case 'entry': {
        const klen = b.length - ENTRY_MID_BYTES;
        this.key = b.toString('latin1', 0, klen);
        const exp = readInt64(b, klen);
        if (exp < NO_EXPIRE) return this.fail('BAD_ENTRY', `expire ${exp} for key #${this.keys}`, at + klen);
        this.expireAt = exp === NO_EXPIRE ? undefined : exp;
        return this.next('payload', b.readUInt32BE(klen + 8));
      }
      case 'payload': {
        let value;
        try {
          value = restoreValue(b);
        } catch (e) {
          if (e instanceof DumpPayloadError) return this.fail('BAD_ENTRY', `value of key #${this.keys}: ${e.fault} ${e.detail}`, at);
          throw e;
        }
        this.keys++;
        this.next('opcode', 1);
        return this.h.onEntry({ key: this.key, value, expireAt: this.expireAt });
      }
    }
  }

  /** The 20 bytes after 0xFF: u64 keys, u64 length, u32 CRC. */
  private trailer(b: Buffer, at: number): void {
    const keys = Number(b.readBigUInt64BE(0));
    const bytes = Number(b.readBigUInt64BE(8));
    const crc = crc32(b.subarray(0, 16), this.crc) >>> 0;
    const want = b.readUInt32BE(16);
    // CRC first: if anything was damaged, the checksum is the honest name for it.
    if (crc !== want) return this.fail('BAD_CHECKSUM', `crc ${crc.toString(16)} != ${want.toString(16)}`, at + 16);
    if (keys !== this.keys) return this.fail('BAD_LENGTH', `trailer says ${keys} keys, read ${this.keys}`, at);
    if (bytes !== this.offset) return this.fail('BAD_LENGTH', `trailer says ${bytes} bytes, read ${this.offset}`, at + 8);
    this.stage = 'done';
    const rest = this.chunks.length === 0 ? Buffer.alloc(0) : Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    this.h.onEnd({ keys, bytes }, rest);
  }

  private next(stage: Stage, need: number): void {
    this.stage = stage;
    this.need = need;
  }

  /** Removes `n` buffered bytes (n <= buffered) and folds them into the running CRC. */
  private take(n: number, checksum: boolean): Buffer {
    let out: Buffer;
    const first = this.chunks[0];
    if (n === 0) out = Buffer.alloc(0);
    else if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const parts: Buffer[] = [];
      let left = n;
      while (left > 0) {
        const c = this.chunks[0];
        if (c.length <= left) {
          parts.push(c);
          this.chunks.shift();
          left -= c.length;
        } else {
          parts.push(c.subarray(0, left));
          this.chunks[0] = c.subarray(left);
          left = 0;
        }
      }
      out = Buffer.concat(parts, n);
    }
    this.buffered -= n;
    this.offset += n;
    if (checksum) this.crc = crc32(out, this.crc) >>> 0;
    return out;
  }

  private fail(code: SnapshotErrorCode, detail: string, offset: number): void {
    this.stage = 'failed';
    this.chunks = [];
    this.buffered = 0;
    this.h.onError(new SnapshotError(code, detail, offset));
  }
}
