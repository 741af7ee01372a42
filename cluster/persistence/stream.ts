import { once } from 'node:events';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import { SnapshotError } from './errors.js';
import type { SnapshotWriter } from './writer.js';

/** Default chunk: enough to amortise a write call, small enough to keep one tick short. */
export const CHUNK_BYTES = 64 * 1024;

/**
 * The writer's chunks as an async iterable, one `next()` per event-loop turn: between two
 * chunks the loop serves clients (setImmediate runs after pending I/O callbacks). The
 * consumer's own awaiting is the backpressure: no chunk is made before it asks.
 * Aborts the writer if the consumer stops early.
 */
export async function* snapshotChunks(writer: SnapshotWriter, chunkBytes = CHUNK_BYTES): AsyncGenerator<Buffer> {
  try {
    for (;;) {
      const chunk = writer.next(chunkBytes);
      if (!chunk) break;
      yield chunk;
      await yieldToLoop();
    }
  } finally {
    writer.abort(); // no-op once done
  }
  if (writer.status === 'aborted') throw new SnapshotError('ABORTED', `stopped after ${writer.bytes} bytes`);
}

/**
 * Streams a snapshot into `out` (a replica's socket, a file stream), honouring its
 * backpressure: when write() returns false, waits for 'drain'. Does not end `out`: a
 * replication stream continues after the snapshot. Rejects with ABORTED when `out`
 * closes or errors first, or when `signal` fires.
 */
export async function pipeSnapshot(
  writer: SnapshotWriter,
  out: Writable,
  opts: {
    chunkBytes?: number;
    signal?: AbortSignal;
    /**
     * `out` copies what it writes before calling back (a net.Socket, a file), so a chunk
     * may be reused then (SnapshotWriter.recycle). Not for in-memory streams: their
     * reader gets the very Buffer, and may still hold it.
     */
    recycle?: boolean;
  } = {},
): Promise<{ bytes: number; keys: number }> {
  const stop = new AbortController();
  const onGone = () => stop.abort();
  out.once('close', onGone);
  out.once('error', onGone);
  opts.signal?.addEventListener('abort', onGone, { once: true });
  try {
    for await (const chunk of snapshotChunks(writer, opts.chunkBytes)) {
      if (stop.signal.aborted || out.destroyed) throw new SnapshotError('ABORTED', `output closed after ${writer.bytes} bytes`);
      const written = opts.recycle
        ? out.write(chunk, (e) => {
            if (!e) writer.recycle(chunk); // the kernel has the bytes: the memory packs a later chunk
          })
        : out.write(chunk);
      if (!written) {
        try {
          await once(out, 'drain', { signal: stop.signal });
        } catch {
          throw new SnapshotError('ABORTED', `output closed after ${writer.bytes} bytes`);
        }
      }
    }
  } finally {
    out.off('close', onGone);
    out.off('error', onGone);
    opts.signal?.removeEventListener('abort', onGone);
  }
  return { bytes: writer.bytes, keys: writer.keys };
}
