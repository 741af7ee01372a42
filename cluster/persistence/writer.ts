import { crc32 } from 'node:zlib';
import type { EntryView, Keyspace } from '../store/keyspace.js';
import { encodeEntry, encodeHeader, encodeTrailer, EntryPacker, PACKER_SLACK, SNAPSHOT_VERSION, type SnapshotHeader } from './format.js';

/** What a writer needs of a keyspace (Keyspace implements it). */
export type SnapshotSource = Pick<Keyspace, 'observe' | 'snapshotView'>;

export type WriterState = 'running' | 'done' | 'aborted';

/**
 * An incremental, point-in-time snapshot of a keyspace: the bytes `next()` returns, in
 * order, are the snapshot of the keyspace as it was when startSnapshot() was called,
 * whatever is written meanwhile. Serves BGSAVE (to a file) and a full resync (to a
 * replica's socket) alike; each `next()` does bounded work so the event loop keeps
 * serving clients between calls, where Redis forks a child for the same purpose.
 *
 * Copy-on-write at key granularity. The writer walks the keyspace's entries in seq order
 * (cursor = seq of the last key walked). A key is one of:
 *
 *   seq <= cursor              already written                  -> nothing to do
 *   cursor < seq < horizon     existed at the start, not yet written:
 *                                before it changes, the BeforeWrite hook serialises its
 *                                old state into `pending` and remembers it in `early`;
 *                                the walk skips it later
 *   seq >= horizon             created after the start          -> never written
 */
export class SnapshotWriter {
  readonly header: SnapshotHeader;
  private state: WriterState = 'running';
  private headerSent = false;
  private readonly horizon: number;
  private readonly walk: Iterator<[string, EntryView]>;
  private cursor = 0;
  private readonly early = new Set<string>();
  private pending: Buffer[] = [];
  private unobserve: (() => void) | undefined;
  private crc = 0;
  private written = 0;
  private keyCount = 0;
  private copied = 0;
  /** Pack buffers this writer made, and those handed back by recycle() (at most SPARES). */
  private readonly own = new WeakSet<ArrayBufferLike>();
  private spares: Buffer[] = [];

  constructor(source: SnapshotSource, header: Omit<SnapshotHeader, 'version' | 'createdAt'> & { createdAt?: number }) {
    this.header = { version: SNAPSHOT_VERSION, replId: header.replId, replOffset: header.replOffset, createdAt: header.createdAt ?? Date.now() };
    encodeHeader(this.header); // validates the replid before anything is registered
    const view = source.snapshotView();
    this.horizon = view.horizon;
    this.walk = view.entries;
    this.unobserve = source.observe((key, e) => this.beforeWrite(key, e));
  }

  get status(): WriterState {
    return this.state;
  }

  /** Keys serialised so far (walked or saved early by the hook). */
  get keys(): number {
    return this.keyCount;
  }

  /**
   * Bytes serialised ahead of the walk because their key was about to change: our
   * counterpart of Redis' copy-on-write size (INFO current_cow_size, rdb_last_cow_size).
   */
  get copiedBytes(): number {
    return this.copied;
  }

  /** Bytes returned by next() so far. */
  get bytes(): number {
    return this.written;
  }

  /**
   * The next chunk of the snapshot: at least one entry (or the header / trailer) and
   * about `maxBytes` (an entry is never split; one larger than maxBytes comes whole).
   * null once the trailer has been returned, or after abort().
   */
  next(maxBytes = 256 * 1024): Buffer | null {
    if (this.state !== 'running') return null;
    const out = new EntryPacker(maxBytes, this.packBuffer(maxBytes));
    if (!this.headerSent) {
      out.raw(encodeHeader(this.header));
      this.headerSent = true;
    }
    let finished = false;
    while (out.size < maxBytes) {
      if (this.pending.length > 0) {
        for (const b of this.pending) out.raw(b);
        this.pending = [];
        continue;
      }
      const r = this.walk.next();
      if (r.done || r.value[1].seq >= this.horizon) {
        finished = true;
        break;
      }
      const [key, e] = r.value;
      this.cursor = e.seq;
      if (this.early.delete(key)) continue;
      out.entry(key, e.value, e.expireAt);
      this.keyCount++;
    }
    if (finished) {
      // Nothing left to protect: stop observing before the last bytes go out.
      this.stopObserving();
      for (const b of this.pending) out.raw(b);
      this.pending = [];
    }
    const parts = out.finish();
    for (const b of parts) this.crc = crc32(b, this.crc) >>> 0;
    this.written += out.size;
    if (finished) {
      const t = encodeTrailer(this.crc, this.written, this.keyCount);
      parts.push(t);
      this.written += t.length;
      this.state = 'done';
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /**
   * The consumer is done with a chunk next() returned (it has been written out): its
   * memory packs a later chunk. Without it every chunk is a new ArrayBuffer, and V8
   * starts a full GC each time those have grown by 64 MiB: marking the whole keyspace
   * every 64 MiB sent. Chunks not packed in a buffer of this writer are ignored.
   */
  recycle(chunk: Buffer): void {
    if (!this.own.has(chunk.buffer) || this.spares.length >= SPARES || this.state !== 'running') return;
    const whole = Buffer.from(chunk.buffer, 0, chunk.buffer.byteLength);
    if (!this.spares.some((b) => b.buffer === whole.buffer)) this.spares.push(whole);
  }

  private packBuffer(maxBytes: number): Buffer {
    const need = Math.max(64, maxBytes) + PACKER_SLACK;
    let b = this.spares.pop();
    while (b && b.length < need) b = this.spares.pop();
    if (b) return b;
    b = Buffer.allocUnsafeSlow(need);
    this.own.add(b.buffer);
    return b;
  }

  /** Stops the snapshot (its reader went away); next() returns null from now on. */
  abort(): void {
    if (this.state !== 'running') return;
    this.state = 'aborted';
    this.stopObserving();
    this.pending = [];
    this.early.clear();
  }

  private beforeWrite(key: string, e: EntryView): void {
    if (e.seq >= this.horizon || e.seq <= this.cursor || this.early.has(key)) return;
    this.early.add(key);
    const [fixed, payload] = encodeEntry(key, e.value, e.expireAt);
    this.pending.push(fixed, payload);
    this.copied += fixed.length + payload.length;
    this.keyCount++;
  }

  private stopObserving(): void {
    this.unobserve?.();
    this.unobserve = undefined;
  }
}

/** Pack buffers kept for reuse: a socket holds a few chunks in flight. */
const SPARES = 4;

/** Starts a snapshot of `db` as it is now; see SnapshotWriter. */
export function startSnapshot(db: SnapshotSource, header: { replId: string; replOffset: bigint; createdAt?: number }): SnapshotWriter {
  return new SnapshotWriter(db, header);
}
