import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { Keyspace } from '../store/keyspace.js';
import { SnapshotError } from './errors.js';
import { loadSnapshotFile, saveSnapshotFile, saveSnapshotSync } from './file.js';
import { pipeSnapshot } from './stream.js';
import { decodeAll } from './test-kit.js';
import { startSnapshot } from './writer.js';

const REPLID = 'ab'.repeat(20);
const dir = mkdtempSync(join(tmpdir(), 'kvnl-snap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bigDb(keys: number, valueBytes = 100): Keyspace {
  const db = new Keyspace();
  for (let i = 0; i < keys; i++) db.set(`key:${i}`, { type: 'string', value: Buffer.alloc(valueBytes, i % 251) }, { expireAt: i % 3 === 0 ? 4_000_000_000_000 + i : undefined });
  return db;
}

describe('snapshot streaming', () => {
  it('stream: waits for drain when the output is full, and the bytes decode', async () => {
    const db = bigDb(2000);
    const w = startSnapshot(db, { replId: REPLID, replOffset: 7n });
    const got: Buffer[] = [];
    let maxQueued = 0;
    const out = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _enc, cb) {
        got.push(chunk);
        setTimeout(cb, 1); // a slow reader
      },
    });
    const origWrite = out.write.bind(out);
    out.write = ((chunk: Buffer) => {
      maxQueued = Math.max(maxQueued, out.writableLength);
      return origWrite(chunk);
    }) as typeof out.write;
    const r = await pipeSnapshot(w, out, { chunkBytes: 4096 });
    expect(r.keys).toBe(2000);
    // Never more than one chunk past the high-water mark: each full write waited for 'drain'.
    expect(maxQueued).toBeLessThan(4096 + 4096 + 200);
    await new Promise<void>((res) => out.end(res));
    const d = decodeAll(Buffer.concat(got));
    expect(d.error).toBeUndefined();
    expect(d.entries.length).toBe(2000);
  });

  it('stream: rejects with ABORTED and releases the keyspace when the output closes midway', async () => {
    const db = bigDb(5000);
    const w = startSnapshot(db, { replId: REPLID, replOffset: 0n });
    const out = new PassThrough({ highWaterMark: 1024 });
    out.on('data', () => out.destroy());
    const err = await pipeSnapshot(w, out, { chunkBytes: 1024 }).catch((e) => e);
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.code).toBe('ABORTED');
    expect(w.status).toBe('aborted');
  });

  it('stream: keeps the event loop turning between chunks', async () => {
    const db = bigDb(3000);
    const w = startSnapshot(db, { replId: REPLID, replOffset: 0n });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    await pipeSnapshot(w, sink, { chunkBytes: 2048 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5); // timers ran while the snapshot was being made
  });
});

describe('snapshot files', () => {
  it('file: BGSAVE-style save and load give back every key with its absolute expiry', async () => {
    const db = bigDb(500);
    const path = join(dir, 'a.kvnl');
    const r = await saveSnapshotFile(path, startSnapshot(db, { replId: REPLID, replOffset: 99n, createdAt: 5 }), 1000);
    expect(r.keys).toBe(500);
    const back = new Keyspace();
    const loaded = loadSnapshotFile(path, (e) => back.set(e.key, e.value, { expireAt: e.expireAt }));
    expect(loaded.header).toMatchObject({ replId: REPLID, replOffset: 99n, createdAt: 5 });
    expect(loaded.trailer.keys).toBe(500);
    expect(back.size()).toBe(500);
    expect(back.expireTimeMs('key:3', 0)).toBe(4_000_000_000_003);
    expect(back.expireTimeMs('key:4', 0)).toBe(-1);
    expect(readdirSync(dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
  });

  it('file: SAVE-style save writes the same bytes as the incremental one', async () => {
    const db = bigDb(300);
    const a = join(dir, 'sync.kvnl');
    const b = join(dir, 'async.kvnl');
    saveSnapshotSync(a, startSnapshot(db, { replId: REPLID, replOffset: 1n, createdAt: 1 }));
    await saveSnapshotFile(b, startSnapshot(db, { replId: REPLID, replOffset: 1n, createdAt: 1 }), 333);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('file: a damaged or extended file is refused with its code', () => {
    const db = bigDb(50);
    const path = join(dir, 'bad.kvnl');
    saveSnapshotSync(path, startSnapshot(db, { replId: REPLID, replOffset: 0n }));
    const good = readFileSync(path);
    const codeOf = (bytes: Buffer) => {
      writeFileSync(path, bytes);
      try {
        loadSnapshotFile(path, () => undefined);
        return 'loaded';
      } catch (e) {
        return (e as SnapshotError).code;
      }
    };
    expect(codeOf(good.subarray(0, good.length - 1))).toBe('TRUNCATED');
    expect(codeOf(Buffer.concat([good, Buffer.from('x')]))).toBe('TRAILING_BYTES');
    const flipped = Buffer.from(good);
    flipped[1000] ^= 0x10;
    expect(codeOf(flipped)).toMatch(/^BAD_/);
    expect(codeOf(good)).toBe('loaded');
    expect(() => loadSnapshotFile(join(dir, 'missing.kvnl'), () => undefined)).toThrow(/IO/);
  });

  it('file: a failed save leaves no temp file and keeps the previous snapshot', async () => {
    const path = join(dir, 'keep.kvnl');
    saveSnapshotSync(path, startSnapshot(bigDb(10), { replId: REPLID, replOffset: 0n }));
    const before = readFileSync(path);
    // A non-empty directory where the file should go: rename fails after the data was written.
    const blocked = join(dir, 'blocked');
    mkdirSync(join(blocked, 'sub'), { recursive: true });
    await expect(saveSnapshotFile(blocked, startSnapshot(bigDb(10), { replId: REPLID, replOffset: 0n }))).rejects.toThrow(SnapshotError);
    expect(readdirSync(dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});
