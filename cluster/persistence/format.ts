import { crc32 } from 'node:zlib';
import { DUMP_VERSION, dumpValue } from '../store/dump.js';
import type { Value } from '../store/value.js';

/**
 * The kvnetlab snapshot file ("dump.kvnl"), our analogue of Redis' RDB file (rdb.c): a
 * header with the replication id and offset (Redis keeps them as the `repl-id` /
 * `repl-offset` AUX fields, so a restarted node can PSYNC partially), the entries, and a
 * trailer whose CRC-32 covers every byte before it (Redis: 8-byte CRC-64 after RDB_OPCODE_EOF).
 * All integers are big-endian. Full table in cluster/persistence/README.md.
 *
 *   header (72 B)  "KVNLSNAP" | u16 version | u16 flags=0 | replid 40 ASCII hex
 *                  | u64 repl offset | u64 created ms | u32 CRC-32 of header bytes [0,68)
 *   entry          0x01 | u32 klen | key | i64 expireAt ms (-1 none) | u32 vlen | DUMP payload
 *   trailer (21 B) 0xFF | u64 entry count | u64 total file length | u32 CRC-32 of [0, len-4)
 *
 * Values reuse the DUMP payload of store/dump.ts (its own magic, version, type and CRC).
 */

export const MAGIC = Buffer.from('KVNLSNAP', 'latin1');
export const SNAPSHOT_VERSION = 1;
export const HEADER_BYTES = 72;
const HEADER_CRC_AT = 68;
export const OP_ENTRY = 0x01;
export const OP_END = 0xff;
/** Entry bytes before the key: opcode + u32 key length. */
export const ENTRY_PREFIX_BYTES = 5;
/** Entry bytes between key and payload: i64 expireAt + u32 payload length. */
export const ENTRY_MID_BYTES = 12;
export const TRAILER_BYTES = 21;
export const REPLID_BYTES = 40;
/** No expiry, as the i64 written in an entry. */
export const NO_EXPIRE = -1;

export interface SnapshotHeader {
  version: number;
  /** 40 hex characters: the master_replid the data belongs to. */
  replId: string;
  /** master_repl_offset at the instant the snapshot was taken. */
  replOffset: bigint;
  /** ms since the epoch when the snapshot started (LASTSAVE of the node that wrote it). */
  createdAt: number;
}

export interface SnapshotEntry {
  /** latin1: one char per key byte, as the keyspace holds keys. */
  key: string;
  value: Value;
  /** Absolute ms since the epoch, undefined without TTL. */
  expireAt: number | undefined;
}

export interface SnapshotTrailer {
  keys: number;
  bytes: number;
}

/** ms values fit in 53 bits; written as two u32 halves so no BigInt is made per entry. */
export function writeInt64(buf: Buffer, n: number, at: number): void {
  buf.writeInt32BE(Math.floor(n / 0x1_0000_0000), at);
  buf.writeUInt32BE(n >>> 0, at + 4);
}

export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

export function encodeHeader(h: Omit<SnapshotHeader, 'version'>): Buffer {
  if (!/^[0-9a-fA-F]{40}$/.test(h.replId)) throw new RangeError(`replid must be 40 hex chars: ${h.replId}`);
  const b = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt16BE(SNAPSHOT_VERSION, 8);
  b.writeUInt16BE(0, 10);
  b.write(h.replId, 12, 'latin1');
  b.writeBigUInt64BE(h.replOffset, 52);
  writeInt64(b, h.createdAt, 60);
  b.writeUInt32BE(crc32(b.subarray(0, HEADER_CRC_AT)) >>> 0, HEADER_CRC_AT);
  return b;
}

/**
 * Why a complete 72-byte header is refused, or the header. Magic is checked first, then
 * version, then the header CRC, then the fields, so the code names the first fault.
 */
export function parseHeader(b: Buffer): SnapshotHeader | { fault: 'BAD_MAGIC' | 'BAD_VERSION' | 'BAD_HEADER'; detail: string } {
  if (!b.subarray(0, 8).equals(MAGIC)) return { fault: 'BAD_MAGIC', detail: `starts with ${b.subarray(0, 8).toString('hex')}` };
  const version = b.readUInt16BE(8);
  if (version !== SNAPSHOT_VERSION) return { fault: 'BAD_VERSION', detail: `version ${version}, this build reads ${SNAPSHOT_VERSION}` };
  const want = b.readUInt32BE(HEADER_CRC_AT);
  const got = crc32(b.subarray(0, HEADER_CRC_AT)) >>> 0;
  if (want !== got) return { fault: 'BAD_HEADER', detail: `header crc ${got.toString(16)} != ${want.toString(16)}` };
  const flags = b.readUInt16BE(10);
  if (flags !== 0) return { fault: 'BAD_HEADER', detail: `flags ${flags}` };
  const replId = b.toString('latin1', 12, 52);
  if (!/^[0-9a-fA-F]{40}$/.test(replId)) return { fault: 'BAD_HEADER', detail: 'replid is not 40 hex chars' };
  return { version, replId, replOffset: b.readBigUInt64BE(52), createdAt: readInt64(b, 60) };
}

/** One entry as two buffers: the fixed fields with the key, then the DUMP payload. */
export function encodeEntry(key: string, value: Value, expireAt: number | undefined): [Buffer, Buffer] {
  const payload = dumpValue(value);
  const klen = Buffer.byteLength(key, 'latin1');
  const b = Buffer.allocUnsafe(ENTRY_PREFIX_BYTES + klen + ENTRY_MID_BYTES);
  b[0] = OP_ENTRY;
  b.writeUInt32BE(klen, 1);
  b.write(key, ENTRY_PREFIX_BYTES, 'latin1');
  writeInt64(b, expireAt ?? NO_EXPIRE, ENTRY_PREFIX_BYTES + klen);
  b.writeUInt32BE(payload.length, ENTRY_PREFIX_BYTES + klen + 8);
  return [b, payload];
}

/**
 * The trailer, given the CRC-32 of every byte written before it and their count. The CRC
 * field covers the trailer's own first 17 bytes too.
 */
export function encodeTrailer(crcBefore: number, bytesBefore: number, keys: number): Buffer {
  const b = Buffer.allocUnsafe(TRAILER_BYTES);
  b[0] = OP_END;
  b.writeBigUInt64BE(BigInt(keys), 1);
  b.writeBigUInt64BE(BigInt(bytesBefore + TRAILER_BYTES), 9);
  b.writeUInt32BE(crc32(b.subarray(0, 17), crcBefore) >>> 0, 17);
  return b;
}

/** DUMP payload of a string: "KVNL" | version | type 0 | u32 len | bytes | crc32 (store/dump.ts). */
const DUMP_STRING_OVERHEAD = 14;
const DUMP_MAGIC = Buffer.from('KVNL', 'latin1');
/** Room past the target size, so an entry that starts just before it still fits. */
export const PACKER_SLACK = 64 * 1024;

/**
 * Packs entries into one buffer per chunk. Strings, the bulk of a dataset, are encoded
 * in place (no allocation per entry, one CRC call over their payload); hashes and zsets
 * go through dumpValue. Byte for byte the same as encodeEntry (a test checks it).
 */
export class EntryPacker {
  private buf: Buffer;
  private pos = 0;
  private sealed = 0;
  private readonly parts: Buffer[] = [];
  private total = 0;

  /** `buf`: where to pack (at least target + PACKER_SLACK bytes), else a new buffer. */
  constructor(target: number, buf?: Buffer) {
    this.buf = buf ?? Buffer.allocUnsafe(Math.max(64, target) + PACKER_SLACK);
  }

  /** Bytes packed so far. */
  get size(): number {
    return this.total;
  }

  /** Appends bytes made elsewhere (header, trailer, copy-on-write entries) without copying. */
  raw(b: Buffer): void {
    this.seal();
    this.parts.push(b);
    this.total += b.length;
  }

  entry(key: string, value: Value, expireAt: number | undefined): void {
    if (value.type !== 'string') {
      for (const b of encodeEntry(key, value, expireAt)) this.raw(b);
      return;
    }
    const klen = key.length; // latin1: one char per byte
    const vlen = value.value.length;
    const n = ENTRY_PREFIX_BYTES + klen + ENTRY_MID_BYTES + DUMP_STRING_OVERHEAD + vlen;
    if (this.pos + n > this.buf.length) {
      this.seal();
      this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length));
      this.pos = this.sealed = 0;
    }
    const b = this.buf;
    let p = this.pos;
    b[p] = OP_ENTRY;
    b.writeUInt32BE(klen, p + 1);
    p += ENTRY_PREFIX_BYTES;
    p += b.write(key, p, 'latin1');
    writeInt64(b, expireAt ?? NO_EXPIRE, p);
    b.writeUInt32BE(DUMP_STRING_OVERHEAD + vlen, p + 8);
    p += ENTRY_MID_BYTES;
    const payload = p;
    DUMP_MAGIC.copy(b, p);
    b[p + 4] = DUMP_VERSION;
    b[p + 5] = 0; // type string
    b.writeUInt32BE(vlen, p + 6);
    value.value.copy(b, p + 10);
    p += 10 + vlen;
    b.writeUInt32BE(crc32(b.subarray(payload, p)) >>> 0, p);
    this.pos = p + 4;
    this.total += n;
  }

  /** The packed bytes, in order; the packer is spent. */
  finish(): Buffer[] {
    this.seal();
    return this.parts;
  }

  private seal(): void {
    if (this.pos > this.sealed) this.parts.push(this.buf.subarray(this.sealed, this.pos));
    this.sealed = this.pos;
  }
}
