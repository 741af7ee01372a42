import { crc32 } from 'node:zlib';
import { CopySlab, restoreStringCovered, restoreValue } from '../store/dump.js';
import type { Value } from '../store/value.js';
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
 * `end()` when the input is over. Fields are parsed in place in the chunk they arrive
 * in; only a field cut by a chunk boundary is joined (its pieces are held until it is
 * complete, so a large value arriving in small chunks is copied once). The whole-file
 * CRC is folded once per run of fields parsed in one buffer, not once per field, and
 * the DUMP payloads' own CRCs are not recomputed: the file CRC covers their bytes and
 * is checked before any consumer may use an entry (onEntry). Values are copied out of
 * the chunk into shared blocks (CopySlab). Running out of bytes is never an error until
 * `end()` (TRUNCATED); malformed bytes are reported as soon as they are seen.
 *
 *   header -> opcode -+- 0x01 -> key -> entry (expire, vlen) -> payload -> opcode ...
 *                     +- 0xFF -> trailer -> done
 */
export class SnapshotDecoder {
  /** The start of a field cut by a chunk boundary: fewer than `need` bytes. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private stage: Stage = 'header';
  /** Bytes consumed so far = offset in the snapshot of the next byte to parse. */
  private offset = 0;
  private crc = 0;
  private keys = 0;
  private key = '';
  private expireAt: number | undefined;
  private need = HEADER_BYTES;
  private ended: SnapshotTrailer | undefined;
  private readonly slab = new CopySlab();

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
    if (this.finished() || chunk.length === 0) return;
    if (this.stage === 'header' && !this.magicSoFar(chunk)) return;
    let pos = 0;
    if (this.heldBytes > 0) {
      const take = this.need - this.heldBytes;
      if (chunk.length < take) {
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        return;
      }
      this.held.push(chunk.subarray(0, take));
      const field = Buffer.concat(this.held, this.need);
      this.held = [];
      this.heldBytes = 0;
      this.run(field, 0);
      pos = take;
    }
    if (!this.finished()) pos = this.run(chunk, pos);
    if (this.stage === 'done') return this.h.onEnd(this.ended!, chunk.subarray(pos));
    if (this.stage !== 'failed' && pos < chunk.length) {
      this.held = [chunk.subarray(pos)];
      this.heldBytes = chunk.length - pos;
    }
  }

  private finished(): boolean {
    return this.stage === 'done' || this.stage === 'failed';
  }

  /** The input is over: anything short of a complete trailer is TRUNCATED. */
  end(): void {
    if (this.finished()) return;
    this.fail('TRUNCATED', `input ended in ${this.stage} after ${this.offset + this.heldBytes} bytes`, this.offset + this.heldBytes);
  }

  /** Refuse a non-snapshot as soon as its first bytes differ from the magic. */
  private magicSoFar(chunk: Buffer): boolean {
    const from = this.heldBytes;
    if (from >= MAGIC.length) return true;
    const n = Math.min(chunk.length, MAGIC.length - from);
    if (chunk.subarray(0, n).equals(MAGIC.subarray(from, from + n))) return true;
    this.fail('BAD_MAGIC', `starts with ${Buffer.concat([...this.held, chunk.subarray(0, n)]).toString('hex')}`, 0);
    return false;
  }

  /**
   * Parses whole fields of `buf` from `pos` on; returns where the first incomplete one
   * starts. Folds the parsed bytes into the running CRC with one call at the end.
   */
  private run(buf: Buffer, pos: number): number {
    let crcFrom = pos;
    while (buf.length - pos >= this.need && !this.finished()) {
      const at = pos;
      const off = this.offset;
      pos += this.need;
      this.offset += this.need;
      switch (this.stage) {
        case 'header': {
          const h = parseHeader(buf.subarray(at, pos));
          if ('fault' in h) return this.fail(h.fault, h.detail, off), pos;
          this.next('opcode', 1);
          this.h.onHeader(h);
          break;
        }
        case 'opcode':
          if (buf[at] === OP_ENTRY) this.next('key', ENTRY_PREFIX_BYTES - 1);
          else if (buf[at] === OP_END) this.next('trailer', TRAILER_BYTES - 1);
          else return this.fail('BAD_OPCODE', `opcode 0x${buf[at].toString(16)}`, off), pos;
          break;
        case 'key': {
          const klen = buf.readUInt32BE(at);
          if (klen > MAX_KEY) return this.fail('BAD_ENTRY', `key length ${klen}`, off), pos;
          this.next('entry', klen + ENTRY_MID_BYTES);
          break;
        }
        case 'entry': {
          const klen = pos - at - ENTRY_MID_BYTES;
          this.key = buf.toString('latin1', at, at + klen);
          const exp = readInt64(buf, at + klen);
          if (exp < NO_EXPIRE) return this.fail('BAD_ENTRY', `expire ${exp} for key #${this.keys}`, off + klen), pos;
          this.expireAt = exp === NO_EXPIRE ? undefined : exp;
          this.next('payload', buf.readUInt32BE(at + klen + 8));
          break;
        }
        case 'payload': {
          let value: Value;
          const str = restoreStringCovered(buf, at, pos, this.slab);
          if (str) value = { type: 'string', value: str };
          else {
            try {
              value = restoreValue(buf.subarray(at, pos), { checksumCovered: true, slab: this.slab });
            } catch (e) {
              if (e instanceof DumpPayloadError) return this.fail('BAD_ENTRY', `value of key #${this.keys}: ${e.fault} ${e.detail}`, off), pos;
              throw e;
            }
          }
          this.keys++;
          this.next('opcode', 1);
          this.h.onEntry({ key: this.key, value, expireAt: this.expireAt });
          break;
        }
        case 'trailer':
          // The CRC field covers the trailer's first 16 bytes, not itself.
          this.crc = crc32(buf.subarray(crcFrom, at + 16), this.crc) >>> 0;
          crcFrom = pos;
          this.trailer(buf.subarray(at, pos), off);
          break;
      }
    }
    if (pos > crcFrom && !this.finished()) this.crc = crc32(buf.subarray(crcFrom, pos), this.crc) >>> 0;
    return pos;
  }

  /** The 20 bytes after 0xFF: u64 keys, u64 length, u32 CRC (already folded up to it). */
  private trailer(b: Buffer, at: number): void {
    const keys = Number(b.readBigUInt64BE(0));
    const bytes = Number(b.readBigUInt64BE(8));
    const crc = this.crc;
    const want = b.readUInt32BE(16);
    // CRC first: if anything was damaged, the checksum is the honest name for it.
    if (crc !== want) return this.fail('BAD_CHECKSUM', `crc ${crc.toString(16)} != ${want.toString(16)}`, at + 16);
    if (keys !== this.keys) return this.fail('BAD_LENGTH', `trailer says ${keys} keys, read ${this.keys}`, at);
    if (bytes !== this.offset) return this.fail('BAD_LENGTH', `trailer says ${bytes} bytes, read ${this.offset}`, at + 8);
    this.stage = 'done';
    this.ended = { keys, bytes };
  }

  private next(stage: Stage, need: number): void {
    this.stage = stage;
    this.need = need;
  }

  private fail(code: SnapshotErrorCode, detail: string, offset: number): void {
    this.stage = 'failed';
    this.held = [];
    this.heldBytes = 0;
    this.h.onError(new SnapshotError(code, detail, offset));
  }
}
