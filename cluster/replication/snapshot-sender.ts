import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { type SnapshotWriter, pipeSnapshot, snapshotChunks } from '../persistence/index.js';

/**
 * Streams a snapshot after +FULLRESYNC (replication.c rdbSaveToSlavesSockets /
 * sendBulkToSlave). The writer was started at the offset announced in +FULLRESYNC, so
 * what it yields is the keyspace at that offset (cluster/persistence: copy-on-write).
 *
 *   capa eof (diskless, Redis' repl-diskless-sync):  $EOF:<40 chars>\r\n <snapshot> <40 chars>
 *   otherwise:                                       $<len>\r\n <snapshot>
 *
 * The second form needs the length first: the snapshot is gathered in memory, where
 * Redis writes its RDB file to disk. Resolves with the bytes written; rejects when the
 * link closed first.
 */
/** Bytes per writer step: one event-loop turn each; larger than BGSAVE's, a replica is waiting. */
const CHUNK = 1 << 20;

export async function sendSnapshot(stream: Duplex, writer: SnapshotWriter, eof: boolean): Promise<number> {
  if (eof) {
    const mark = randomBytes(20).toString('hex');
    const head = Buffer.from(`$EOF:${mark}\r\n`);
    stream.write(head);
    const { bytes } = await pipeSnapshot(writer, stream, { chunkBytes: CHUNK, recycle: stream instanceof Socket });
    stream.write(mark);
    return head.length + bytes + mark.length;
  }
  const chunks: Buffer[] = [];
  for await (const c of snapshotChunks(writer)) chunks.push(c);
  const body = Buffer.concat(chunks);
  const head = Buffer.from(`$${body.length}\r\n`);
  stream.write(head);
  stream.write(body);
  return head.length + body.length;
}
