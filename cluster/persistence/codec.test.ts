import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Keyspace } from '../store/keyspace.js';
import { SortedSet } from '../store/sorted-set.js';
import { encodeEntry, encodeHeader, encodeTrailer, EntryPacker, HEADER_BYTES, TRAILER_BYTES } from './format.js';
import { decodeAll, decodeChunks, entriesView } from './test-kit.js';
import { startSnapshot } from './writer.js';

const REPLID = '0123456789abcdef0123456789abcdef01234567';
const CREATED = 1700000000000; // 0x18bcfe56800

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');
const crcHex = (b: Buffer, prev = 0) => (crc32(b, prev) >>> 0).toString(16).padStart(8, '0');
const withCrc = (b: Buffer) => Buffer.concat([b, hex(crcHex(b))]);

/** The fixture laid out by hand from the table in README.md; CRCs are zlib's crc32. */
function fixtureBytes(): Buffer {
  const header = withCrc(
    Buffer.concat([
      Buffer.from('KVNLSNAP', 'latin1'),
      hex('0001 | 0000'),
      Buffer.from(REPLID, 'latin1'),
      hex('00000000000004d2'), // repl offset 1234
      hex('0000018bcfe56800'), // created ms
    ]),
  );
  // "k" -> string "v", no TTL. DUMP payload: KVNL 01 00 | u32 1 | 'v' | crc
  const v = withCrc(hex('4b564e4c 01 00 00000001 76'));
  const e1 = Buffer.concat([hex('01 | 00000001 | 6b | ffffffffffffffff | 0000000f'), v]);
  // "h" -> hash { f: "1" }, expires at 1700000001000 (0x18bcfe56be8).
  const hv = withCrc(hex('4b564e4c 01 01 00000001 | 00000001 66 | 00000001 31'));
  const e2 = Buffer.concat([hex('01 | 00000001 | 68 | 0000018bcfe56be8 | 00000018'), hv]);
  const body = Buffer.concat([header, e1, e2]);
  const total = body.length + 21;
  const t = Buffer.concat([hex('ff'), hex('0000000000000002'), hex(total.toString(16).padStart(16, '0'))]);
  return Buffer.concat([body, t, hex(crcHex(t, crc32(body)))]);
}

function fixtureDb(): Keyspace {
  const db = new Keyspace();
  db.set('k', { type: 'string', value: Buffer.from('v') });
  db.set('h', { type: 'hash', value: new Map([['f', Buffer.from('1')]]) }, { expireAt: 1700000001000 });
  return db;
}

function snapshotOf(db: Keyspace, maxBytes = 1 << 20): Buffer {
  const w = startSnapshot(db, { replId: REPLID, replOffset: 1234n, createdAt: CREATED });
  const out: Buffer[] = [];
  for (let c = w.next(maxBytes); c; c = w.next(maxBytes)) out.push(c);
  return Buffer.concat(out);
}

const expected = {
  header: { version: 1, replId: REPLID, replOffset: 1234n, createdAt: CREATED },
  entries: [
    { key: 'k', value: { type: 'string', value: Buffer.from('v') }, expireAt: undefined },
    { key: 'h', value: { type: 'hash', value: new Map([['f', Buffer.from('1')]]) }, expireAt: 1700000001000 },
  ],
  trailer: { keys: 2, bytes: fixtureBytes().length },
  rest: Buffer.alloc(0),
};

describe('snapshot codec', () => {
  it('codec: the writer produces the documented bytes exactly', () => {
    expect(snapshotOf(fixtureDb()).toString('hex')).toBe(fixtureBytes().toString('hex'));
    expect(fixtureBytes().length).toBe(HEADER_BYTES + (5 + 1 + 12 + 15) + (5 + 1 + 12 + 24) + TRAILER_BYTES);
  });

  it('codec: chunk size does not change the bytes', () => {
    expect(snapshotOf(fixtureDb(), 1).equals(fixtureBytes())).toBe(true);
  });

  it('codec: decodes the fixture whole', () => {
    expect(decodeAll(fixtureBytes())).toEqual(expected);
  });

  it('codec: decodes the fixture fed byte by byte', () => {
    const b = fixtureBytes();
    expect(decodeChunks([...b].map((x) => Buffer.from([x])))).toEqual(expected);
  });

  it('codec: decodes the fixture split at every boundary, in two and in three', () => {
    const b = fixtureBytes();
    for (let i = 0; i <= b.length; i++) {
      expect(decodeChunks([b.subarray(0, i), b.subarray(i)])).toEqual(expected);
      const j = Math.min(b.length, i + 7);
      expect(decodeChunks([b.subarray(0, i), b.subarray(i, j), b.subarray(j)])).toEqual(expected);
    }
  });

  it('codec: hands back the bytes that follow the trailer (a replication stream goes on)', () => {
    const tail = Buffer.from('*1\r\n$4\r\nPING\r\n');
    const b = Buffer.concat([fixtureBytes(), tail]);
    for (let i = 0; i <= b.length; i += 5) {
      const d = decodeChunks([b.subarray(0, i), b.subarray(i)]);
      expect(d.trailer).toEqual(expected.trailer);
      // The split may leave part of the tail for a second write, which the decoder ignores once done.
      if (i <= fixtureBytes().length) expect(d.rest!.equals(tail)).toBe(true);
      else expect(d.rest!.equals(b.subarray(fixtureBytes().length, i))).toBe(true);
    }
  });

  it('codec: a prefix is "need more bytes" until end(), then TRUNCATED', () => {
    const b = fixtureBytes();
    for (let i = 0; i < b.length; i++) {
      const d = decodeChunks([b.subarray(0, i)]);
      expect(d.error?.code).toBe('TRUNCATED');
      expect(d.trailer).toBeUndefined();
    }
  });

  it('codec: refuses a stream that is not a snapshot at its first byte', () => {
    const d = decodeChunks([Buffer.from('-ERR')]);
    expect(d.error?.code).toBe('BAD_MAGIC');
    expect(d.error?.offset).toBe(0);
  });

  it('codec: names the fault: version, header, opcode, entry, length, checksum', () => {
    const b = fixtureBytes();
    const bad = (at: number, byte: number) => {
      const c = Buffer.from(b);
      c[at] = byte;
      return decodeAll(c).error?.code;
    };
    expect(bad(9, 2)).toBe('BAD_VERSION');
    expect(bad(20, 0x30)).toBe('BAD_HEADER'); // a replid digit: header CRC no longer matches
    expect(bad(HEADER_BYTES, 0x07)).toBe('BAD_OPCODE');
    expect(bad(HEADER_BYTES + 5 + 1 + 12 + 9, 0x77)).toBe('BAD_ENTRY'); // the value's length byte: the DUMP body no longer parses
    expect(bad(HEADER_BYTES + 5, 0x6c)).toBe('BAD_CHECKSUM'); // the key byte: only the file CRC sees it
    expect(bad(b.length - 1, b[b.length - 1] ^ 1)).toBe('BAD_CHECKSUM');
  });

  it('codec: a trailer with the right CRC but a wrong count or length is BAD_LENGTH', () => {
    const b = fixtureBytes();
    const body = b.subarray(0, b.length - TRAILER_BYTES);
    const wrongCount = Buffer.concat([body, encodeTrailer(crc32(body) >>> 0, body.length, 3)]);
    expect(decodeAll(wrongCount).error?.code).toBe('BAD_LENGTH');
    const wrongLength = Buffer.concat([body, encodeTrailer(crc32(body) >>> 0, body.length + 1, 2)]);
    expect(decodeAll(wrongLength).error?.code).toBe('BAD_LENGTH');
  });

  it('codec: an empty keyspace is a header and a trailer', () => {
    const b = snapshotOf(new Keyspace());
    expect(b.length).toBe(HEADER_BYTES + TRAILER_BYTES);
    expect(b.subarray(0, HEADER_BYTES).equals(encodeHeader({ replId: REPLID, replOffset: 1234n, createdAt: CREATED }))).toBe(true);
    expect(decodeAll(b)).toMatchObject({ entries: [], trailer: { keys: 0, bytes: 93 } });
  });
});

// ---- mutations of a real snapshot ------------------------------------------------------

const bytes = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
const key = fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b).toString('latin1'));
const entryArb = fc.tuple(
  key,
  fc.oneof(
    bytes.map((v) => ({ type: 'string' as const, value: v })),
    fc.array(fc.tuple(key, bytes), { minLength: 1, maxLength: 4 }).map((p) => ({ type: 'hash' as const, value: new Map(p) })),
    fc.array(fc.tuple(key, fc.double({ noNaN: true })), { minLength: 1, maxLength: 4 }).map((p) => {
      const z = new SortedSet();
      for (const [m, s] of p) z.set(m, s);
      return { type: 'zset' as const, value: z };
    }),
  ),
  fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: undefined }),
);

function dbOf(entries: Array<[string, import('../store/value.js').Value, number | undefined]>): Keyspace {
  const db = new Keyspace();
  for (const [k, v, at] of entries) db.set(k, v, { expireAt: at });
  return db;
}

describe('snapshot codec: damage is always refused', () => {
  it('codec: round-trips random keyspaces', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 12 }), fc.integer({ min: 1, max: 300 }), (entries, chunk) => {
        const db = dbOf(entries);
        const d = decodeAll(snapshotOf(db, chunk));
        expect(d.error).toBeUndefined();
        const want = entriesView(entries.map(([k, value, expireAt]) => ({ key: k, value, expireAt }))); // the last write of a key wins
        expect(entriesView(d.entries)).toEqual(want);
      }),
    );
  });

  it('codec: the in-place packer writes exactly what encodeEntry does, whatever its target size', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 12 }), fc.integer({ min: 1, max: 200 }), (entries, target) => {
        const p = new EntryPacker(target);
        for (const [k, v, at] of entries) p.entry(k, v, at);
        const want = Buffer.concat(entries.flatMap(([k, v, at]) => encodeEntry(k, v, at)));
        const got = Buffer.concat(p.finish());
        expect(got.toString('hex')).toBe(want.toString('hex'));
        expect(p.size).toBe(want.length);
      }),
    );
  });

  it('codec: any changed byte of a real snapshot is refused', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 1, maxLength: 8 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (entries, pos, x) => {
        const b = Buffer.from(snapshotOf(dbOf(entries)));
        b[pos % b.length] ^= x;
        const d = decodeAll(b);
        expect(d.error).toBeDefined();
        expect(d.trailer).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('codec: every single-byte change of the fixture is refused', () => {
    const b = fixtureBytes();
    for (let i = 0; i < b.length; i++) {
      for (const x of [0x01, 0x80, 0xff]) {
        const c = Buffer.from(b);
        c[i] ^= x;
        expect(decodeAll(c).error, `byte ${i} ^ ${x}`).toBeDefined();
      }
    }
  });

  it('codec: any truncation of a real snapshot is refused as TRUNCATED', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 8 }), fc.nat(), (entries, cut) => {
        const b = snapshotOf(dbOf(entries));
        const d = decodeAll(b.subarray(0, cut % b.length));
        expect(d.error?.code).toBe('TRUNCATED');
      }),
      { numRuns: 300 },
    );
  });

  it('codec: several changed bytes together are refused', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 1, maxLength: 8 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 2, maxLength: 6 }), (entries, flips) => {
        const orig = snapshotOf(dbOf(entries));
        const b = Buffer.from(orig);
        for (const [p, x] of flips) b[p % b.length] ^= x;
        fc.pre(!b.equals(orig)); // two flips of one byte may cancel out
        expect(decodeAll(b).error).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });
});
