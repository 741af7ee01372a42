import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SnapshotDecoder } from './decoder.js';
import { SnapshotError } from './errors.js';
import type { SnapshotEntry, SnapshotHeader, SnapshotTrailer } from './format.js';
import { CHUNK_BYTES, snapshotChunks } from './stream.js';
import type { SnapshotWriter } from './writer.js';

/**
 * Snapshot files. Written like rdb.c rdbSave: into a temp file in the same directory,
 * fsync'ed, then renamed over the target, so a crash leaves either the old file or the
 * new one, never a half-written one; the directory is fsync'ed so the rename survives too.
 */

function tempPath(path: string): string {
  return join(dirname(path), `temp-${process.pid}-${Math.random().toString(36).slice(2, 8)}-${basename(path)}`);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function ioError(e: unknown, what: string): SnapshotError {
  return e instanceof SnapshotError ? e : new SnapshotError('IO', `${what}: ${(e as Error).message}`);
}

/** SAVE: the whole snapshot now, blocking the event loop (Redis' SAVE blocks too). */
export function saveSnapshotSync(path: string, writer: SnapshotWriter): { bytes: number; keys: number } {
  const tmp = tempPath(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    for (let chunk = writer.next(CHUNK_BYTES * 4); chunk; chunk = writer.next(CHUNK_BYTES * 4)) {
      writeSync(fd, chunk);
      writer.recycle(chunk);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    fsyncDir(dirname(path));
    return { bytes: writer.bytes, keys: writer.keys };
  } catch (e) {
    writer.abort();
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw ioError(e, `writing ${tmp}`);
  }
}

/** BGSAVE: the same, one chunk per event-loop turn; each awaited write is the backpressure. */
export async function saveSnapshotFile(path: string, writer: SnapshotWriter, chunkBytes = CHUNK_BYTES): Promise<{ bytes: number; keys: number }> {
  const tmp = tempPath(path);
  const fh = await open(tmp, 'w', 0o644).catch((e) => {
    writer.abort();
    throw ioError(e, `opening ${tmp}`);
  });
  let closed = false;
  try {
    for await (const chunk of snapshotChunks(writer, chunkBytes)) {
      await fh.write(chunk);
      writer.recycle(chunk);
    }
    await fh.sync();
    await fh.close();
    closed = true;
    await rename(tmp, path);
    fsyncDir(dirname(path));
    return { bytes: writer.bytes, keys: writer.keys };
  } catch (e) {
    writer.abort();
    if (!closed) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw ioError(e, `writing ${tmp}`);
  }
}

export interface LoadResult {
  header: SnapshotHeader;
  trailer: SnapshotTrailer;
}

/**
 * Reads and checks a whole snapshot file, handing each entry to `onEntry`. Throws a
 * SnapshotError on any fault, including bytes after the trailer; the caller must treat
 * the entries it got as garbage then (the node exits instead of starting).
 */
export function loadSnapshotFile(path: string, onEntry: (e: SnapshotEntry) => void): LoadResult {
  let header: SnapshotHeader | undefined;
  let result: LoadResult | undefined;
  let failure: SnapshotError | undefined;
  const dec = new SnapshotDecoder({
    onHeader: (h) => (header = h),
    onEntry,
    onEnd: (trailer, rest) => {
      if (rest.length > 0) failure = new SnapshotError('TRAILING_BYTES', `${rest.length} bytes after the trailer`, trailer.bytes);
      else result = { header: header!, trailer };
    },
    onError: (e) => (failure = e),
  });
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(e, `opening ${path}`);
  }
  try {
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      // The decoder keeps views of what it is given until a field is complete: give it a copy.
      dec.write(Buffer.from(buf.subarray(0, n)));
      if (failure) throw failure;
      if (dec.done) {
        const extra = readSync(fd, buf, 0, 1, null);
        if (extra > 0) throw new SnapshotError('TRAILING_BYTES', 'bytes after the trailer', dec.bytesRead);
        break;
      }
    }
    dec.end();
    if (failure) throw failure;
    return result!;
  } catch (e) {
    throw ioError(e, `reading ${path}`);
  } finally {
    closeSync(fd);
  }
}
