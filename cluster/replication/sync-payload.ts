import { dumpValue, restoreValue } from '../store/dump.js';
import type { Value } from '../store/value.js';
import { ReplicationError } from './errors.js';

/**
 * The point-in-time snapshot a master sends after +FULLRESYNC, until the snapshot
 * codec of cluster/persistence is merged (then FULLRESYNC carries that format).
 * Redis sends an RDB; this is kvnetlab's own, uncompressed like `rdbcompression no`:
 *
 *   header   "KVSYNC" 0x01 0x00 | replid (40 ASCII) | offset (u64 BE)       56 bytes
 *   record   type u8 (1 string, 2 DUMP payload) | key len u32 | key |
 *            expireAt i64 (-1: none) | value len u32 | value
 *   end      0xFF
 *
 * Strings travel raw; hashes and sorted sets as their DUMP payload (store/dump.ts).
 */
const MAGIC = Buffer.from('KVSYNC\x01\x00', 'latin1');
export const PAYLOAD_HEADER = MAGIC.length + 40 + 8;
const T_STRING = 1;
const T_DUMP = 2;
const T_END = 0xff;

/** One key as captured at snapshot time: a string's own bytes, or a DUMP payload. */
export interface SnapshotEntry {
  key: string;
  kind: 'raw' | 'dump';
  bytes: Buffer;
  expireAt: number | undefined;
}

export function encodeHeader(replid: string, offset: number): Buffer {
  const b = Buffer.alloc(PAYLOAD_HEADER);
  MAGIC.copy(b, 0);
  b.write(replid, MAGIC.length, 40, 'latin1');
  b.writeBigUInt64BE(BigInt(offset), MAGIC.length + 40);
  return b;
}

/**
 * Hashes and sorted sets change in place, so they are serialized at capture time;
 * strings are immutable Buffers (every write replaces them), so keeping the reference
 * is a copy-on-write snapshot for free.
 */
export function freezeEntry(key: string, value: Value, expireAt: number | undefined): SnapshotEntry {
  if (value.type === 'string') return { key, kind: 'raw', bytes: value.value, expireAt };
  return { key, kind: 'dump', bytes: dumpValue(value), expireAt };
}

/** Bytes encodeRecord will write for an entry. */
export function recordLength(e: SnapshotEntry): number {
  return 17 + e.key.length + e.bytes.length;
}

/** Writes one record at `pos` of `out` (recordLength bytes); returns the position after it. */
export function writeRecord(out: Buffer, pos: number, e: SnapshotEntry): number {
  out[pos] = e.kind === 'raw' ? T_STRING : T_DUMP;
  out.writeUInt32BE(e.key.length, pos + 1);
  pos += 5 + out.write(e.key, pos + 5, 'latin1');
  out.writeBigInt64BE(BigInt(e.expireAt ?? -1), pos);
  out.writeUInt32BE(e.bytes.length, pos + 8);
  e.bytes.copy(out, pos + 12);
  return pos + 12 + e.bytes.length;
}

export const END_RECORD = Buffer.from([T_END]);

export interface PayloadEvents {
  onHeader(replid: string, offset: number): void;
  onEntry(key: string, value: Value, expireAt: number | undefined): void;
  onEnd(): void;
}

/**
 * Incremental decoder: write(chunk) any way the bytes were split. Returns how many
 * bytes of the chunk belonged to the payload (the rest follows the end record).
 */
export class PayloadDecoder {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private gotHeader = false;
  private done = false;
  /** Bytes the next step needs in `pending`: big values are joined once, not per chunk. */
  private need = PAYLOAD_HEADER;

  constructor(private readonly ev: PayloadEvents) {}

  get finished(): boolean {
    return this.done;
  }

  write(chunk: Buffer): number {
    if (this.done) return 0;
    const before = this.pendingLen;
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    if (this.pendingLen < this.need) return chunk.length;
    let buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    let pos = 0;
    if (!this.gotHeader) {
      if (buf.length < PAYLOAD_HEADER) return this.keep(buf, chunk.length);
      if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new ReplicationError('PAYLOAD', 'bad snapshot magic');
      this.ev.onHeader(buf.toString('latin1', MAGIC.length, MAGIC.length + 40), Number(buf.readBigUInt64BE(MAGIC.length + 40)));
      this.gotHeader = true;
      this.need = 1;
      pos = PAYLOAD_HEADER;
    }
    while (pos < buf.length) {
      const type = buf[pos];
      if (type === T_END) {
        this.done = true;
        this.ev.onEnd();
        const used = pos + 1 - before;
        this.pending = [];
        this.pendingLen = 0;
        return used;
      }
      if (type !== T_STRING && type !== T_DUMP) throw new ReplicationError('PAYLOAD', `bad record type ${type}`);
      this.need = 5;
      if (buf.length - pos < 5) break;
      const klen = buf.readUInt32BE(pos + 1);
      this.need = 17 + klen;
      if (buf.length - pos < 17 + klen) break;
      const vlen = buf.readUInt32BE(pos + 13 + klen);
      const end = pos + 17 + klen + vlen;
      this.need = end - pos;
      if (buf.length < end) break;
      const key = buf.toString('latin1', pos + 5, pos + 5 + klen);
      const at = Number(buf.readBigInt64BE(pos + 5 + klen));
      const raw = buf.subarray(pos + 17 + klen, end);
      // A view, not a copy: it keeps at most its socket chunk alive (chunks are not pooled).
      const value: Value = type === T_STRING ? { type: 'string', value: raw } : restoreValue(raw);
      this.ev.onEntry(key, value, at < 0 ? undefined : at);
      pos = end;
      this.need = 1;
    }
    return this.keep(buf.subarray(pos), chunk.length);
  }

  private keep(rest: Buffer, used: number): number {
    this.pending = rest.length ? [rest] : [];
    this.pendingLen = rest.length;
    return used;
  }
}
