import { crc32 } from 'node:zlib';
import { DumpPayloadError } from './errors.js';
import { SortedSet } from './sorted-set.js';
import type { Value } from './value.js';

/**
 * Our DUMP/RESTORE payload. Not Redis' RDB encoding: only kvnetlab nodes read it (MIGRATE
 * between our nodes, DUMP + RESTORE through a client). All integers are big-endian.
 *
 *   offset  size  field
 *   0       4     magic "KVNL"                    0x4B 0x56 0x4E 0x4C
 *   4       1     format version                  0x01
 *   5       1     type                            0x00 string, 0x01 hash, 0x02 zset
 *   6       ...   body, by type:
 *                   string  u32 len, len bytes
 *                   hash    u32 n, then n x ( u32 flen, field bytes, u32 vlen, value bytes )
 *                   zset    u32 n, then n x ( u32 mlen, member bytes, f64 score )   ascending order
 *   end-4   4     CRC-32 (IEEE, as zlib's crc32) of bytes [0, end-4)
 *
 *   +------+---+---+-----------------------------+--------+
 *   | KVNL | v | t | body                        | crc32  |
 *   +------+---+---+-----------------------------+--------+
 *
 * restoreValue checks, in order: length >= 10, magic, version, CRC (unless the caller's own
 * checksum covers the bytes: a snapshot's whole-file CRC), then parses the body
 * with bounds checks (no trailing bytes, no duplicate fields/members, no NaN score).
 * The first four faults answer "ERR DUMP payload version or checksum are wrong", like
 * Redis' verifyDumpPayload; a body that does not parse answers "ERR Bad data format".
 */

const MAGIC = Buffer.from('KVNL', 'latin1');
export const DUMP_VERSION = 1;
const TYPE_CODE = { string: 0, hash: 1, zset: 2 } as const;
const HEADER = 6;
const TRAILER = 4;

/** Collects the body as a list of chunks; one concat at the end. */
class Writer {
  readonly chunks: Buffer[] = [];
  u32(n: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(n);
    this.chunks.push(b);
  }
  f64(n: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(n);
    this.chunks.push(b);
  }
  bytes(b: Buffer): void {
    this.u32(b.length);
    this.chunks.push(b);
  }
  str(s: string): void {
    this.bytes(Buffer.from(s, 'latin1'));
  }
}

export function dumpValue(v: Value): Buffer {
  const w = new Writer();
  w.chunks.push(MAGIC, Buffer.from([DUMP_VERSION, TYPE_CODE[v.type]]));
  switch (v.type) {
    case 'string':
      w.bytes(v.value);
      break;
    case 'hash':
      w.u32(v.value.size);
      for (const [f, val] of v.value) {
        w.str(f);
        w.bytes(val);
      }
      break;
    case 'zset':
      w.u32(v.value.card);
      for (const [m, score] of v.value.entries()) {
        w.str(m);
        w.f64(score);
      }
      break;
  }
  const body = Buffer.concat(w.chunks);
  const crc = Buffer.allocUnsafe(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([body, crc]);
}

/**
 * Copies small buffers into shared blocks: one allocation per block instead of one per
 * value (Buffer.from makes an 8 KiB pool every 8 values of 1 KiB, and each pool is an
 * ArrayBuffer the GC tracks). For loading many values at once (a replica's full sync, a
 * snapshot file); a block lives as long as any value in it, as jemalloc's runs do in Redis.
 *
 * Blocks double in size (1 MiB .. 256 MiB): V8 starts a full mark of the heap each time
 * ArrayBuffer memory has grown by 64 MiB since the last one and an allocation crosses
 * that line, so fixed-size blocks made one full GC per 64 MiB loaded, each marking
 * every key loaded so far (quadratic: a 1 GiB load spent seconds in them); doubling
 * blocks make about log2 of them. The untouched tail of the last block is not resident
 * (a large malloc is mmap'ed and faulted in page by page).
 */
const FIRST_BLOCK = 1 << 20;
const LAST_BLOCK = 256 << 20;
/** Values above this get their own allocation. */
const BIG_VALUE = 64 * 1024;
export class CopySlab {
  private block = Buffer.alloc(0);
  private pos = 0;
  private next = FIRST_BLOCK;

  /** A copy of src[start, end). */
  copy(src: Buffer, start = 0, end = src.length): Buffer {
    const n = end - start;
    if (n > BIG_VALUE) return Buffer.from(src.subarray(start, end));
    if (this.pos + n > this.block.length) {
      this.block = Buffer.allocUnsafeSlow(this.next);
      this.next = Math.min(this.next * 2, LAST_BLOCK);
      this.pos = 0;
    }
    src.copy(this.block, this.pos, start, end);
    const out = this.block.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const MAGIC_U32 = 0x4b564e4c; // "KVNL"

/**
 * The bytes of a well-formed string payload at buf[at, end), copied into `slab`, without
 * checking its CRC (the caller's covers it, see RestoreOptions); undefined for anything
 * else, which restoreValue then judges. The fast path of a snapshot load: strings are
 * the bulk of a dataset, and this makes no Reader and no view of the payload.
 */
export function restoreStringCovered(buf: Buffer, at: number, end: number, slab: CopySlab): Buffer | undefined {
  if (end - at < HEADER + 4 + TRAILER || buf[at + 5] !== TYPE_CODE.string || buf[at + 4] !== DUMP_VERSION) return undefined;
  if (buf.readUInt32BE(at) !== MAGIC_U32 || buf.readUInt32BE(at + HEADER) !== end - at - HEADER - 4 - TRAILER) return undefined;
  return slab.copy(buf, at + HEADER + 4, end - TRAILER);
}

export interface RestoreOptions {
  /**
   * The caller has checked these bytes with a checksum of its own (a snapshot's whole-file
   * CRC-32, verified before any entry becomes visible): skip the payload's CRC.
   */
  checksumCovered?: boolean;
  /** Where the value's bytes are copied to; by default one Buffer.from each. */
  slab?: CopySlab;
}

/** Bounds-checked reader over the body; any overrun is a format fault. */
class Reader {
  pos = HEADER;
  constructor(
    private readonly buf: Buffer,
    private readonly end: number,
    private readonly slab: CopySlab | undefined,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.end) throw new DumpPayloadError('format', `body ends at ${this.end}, needs ${this.pos + n}`);
  }
  u32(): number {
    this.need(4);
    const n = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return n;
  }
  f64(): number {
    this.need(8);
    const n = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return n;
  }
  bytes(): Buffer {
    const len = this.u32();
    this.need(len);
    // A copy: the payload is not ours to keep.
    const b = this.slab ? this.slab.copy(this.buf, this.pos, this.pos + len) : Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return b;
  }
  str(): string {
    const len = this.u32();
    this.need(len);
    this.pos += len;
    return this.buf.toString('latin1', this.pos - len, this.pos);
  }
  done(): void {
    if (this.pos !== this.end) throw new DumpPayloadError('format', `${this.end - this.pos} trailing bytes`);
  }
}

/** Throws DumpPayloadError on any damage; see the layout above. */
export function restoreValue(buf: Buffer, opts: RestoreOptions = {}): Value {
  if (buf.length < HEADER + TRAILER) throw new DumpPayloadError('truncated', `${buf.length} bytes`);
  if (!buf.subarray(0, 4).equals(MAGIC)) throw new DumpPayloadError('magic', buf.subarray(0, 4).toString('hex'));
  if (buf[4] !== DUMP_VERSION) throw new DumpPayloadError('version', `version ${buf[4]}`);
  const end = buf.length - TRAILER;
  if (!opts.checksumCovered) {
    const want = buf.readUInt32BE(end);
    const got = crc32(buf.subarray(0, end)) >>> 0;
    if (want !== got) throw new DumpPayloadError('checksum', `crc ${got.toString(16)} != ${want.toString(16)}`);
  }

  const r = new Reader(buf, end, opts.slab);
  let value: Value;
  switch (buf[5]) {
    case TYPE_CODE.string:
      value = { type: 'string', value: r.bytes() };
      break;
    case TYPE_CODE.hash: {
      const n = r.u32();
      const h = new Map<string, Buffer>();
      for (let i = 0; i < n; i++) {
        const f = r.str();
        if (h.has(f)) throw new DumpPayloadError('format', 'duplicate hash field');
        h.set(f, r.bytes());
      }
      if (n === 0) throw new DumpPayloadError('format', 'empty hash');
      value = { type: 'hash', value: h };
      break;
    }
    case TYPE_CODE.zset: {
      const n = r.u32();
      const z = new SortedSet();
      for (let i = 0; i < n; i++) {
        const m = r.str();
        const score = r.f64();
        if (Number.isNaN(score)) throw new DumpPayloadError('format', 'NaN score');
        if (z.set(m, score) !== 'added') throw new DumpPayloadError('format', 'duplicate zset member');
      }
      if (n === 0) throw new DumpPayloadError('format', 'empty zset');
      value = { type: 'zset', value: z };
      break;
    }
    default:
      throw new DumpPayloadError('format', `type ${buf[5]}`);
  }
  r.done();
  return value;
}
