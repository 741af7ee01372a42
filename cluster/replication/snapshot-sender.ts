import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { Keyspace } from '../store/keyspace.js';
import { END_RECORD, type SnapshotEntry, encodeHeader, freezeEntry, recordLength, writeRecord } from './sync-payload.js';

/** A point-in-time copy of the keyspace, taken synchronously (strings shared, see freezeEntry). */
export function captureKeyspace(db: Keyspace, nowMs: number): SnapshotEntry[] {
  const out: SnapshotEntry[] = [];
  for (const key of db.keys('*', nowMs)) {
    const value = db.get(key, nowMs)!;
    const at = db.expireTimeMs(key, nowMs);
    out.push(freezeEntry(key, value, at < 0 ? undefined : at));
  }
  return out;
}

/** Bytes per write: large enough that the syscall cost vanishes, small enough to interleave. */
const CHUNK = 1 << 20;

/**
 * Streams a captured snapshot after +FULLRESYNC. With `capa eof` (diskless, as Redis'
 * repl-diskless-sync) the length is not announced: `$EOF:<40 random chars>\r\n`, the
 * payload, then the same 40 chars. Without it: `$<len>\r\n` and the payload
 * (replication.c sendBulkToSlave / rdbSaveToSlavesSockets). Waits for 'drain' so a slow
 * replica does not pile the whole dataset into the socket buffer. Resolves with the bytes
 * written, or rejects when the stream closed first.
 */
export async function sendSnapshot(stream: Duplex, entries: SnapshotEntry[], replid: string, offset: number, eof: boolean): Promise<number> {
  let total = 0;
  const write = async (b: Buffer): Promise<void> => {
    if (stream.destroyed || stream.writableEnded) throw new Error('replica link closed during the transfer');
    total += b.length;
    if (!stream.write(b)) {
      await new Promise<void>((resolve, reject) => {
        const done = (e?: Error) => {
          stream.off('drain', ok);
          stream.off('close', closed);
          if (e) reject(e);
          else resolve();
        };
        const ok = () => done();
        const closed = () => done(new Error('replica link closed during the transfer'));
        stream.on('drain', ok);
        stream.on('close', closed);
      });
    }
  };
  const header = encodeHeader(replid, offset);
  const mark = randomBytes(20).toString('hex');
  if (eof) await write(Buffer.from(`$EOF:${mark}\r\n`));
  else {
    let len = header.length + END_RECORD.length;
    for (const e of entries) len += recordLength(e);
    await write(Buffer.from(`$${len}\r\n`));
  }
  await write(header);
  let buf = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  for (const e of entries) {
    const n = recordLength(e);
    if (pos + n > buf.length && pos > 0) {
      await write(buf.subarray(0, pos));
      buf = Buffer.allocUnsafe(CHUNK);
      pos = 0;
    }
    if (n > buf.length) buf = Buffer.allocUnsafe(n);
    pos = writeRecord(buf, pos, e);
  }
  if (pos > 0) await write(buf.subarray(0, pos));
  await write(END_RECORD);
  if (eof) await write(Buffer.from(mark, 'latin1'));
  return total;
}
