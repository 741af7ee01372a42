import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBusMessage, encodeBusMessage } from './codec.js';
import { MFlag0 } from './constants.js';
import { BusProtocolError } from './errors.js';
import { FRAME_FIXTURES, loadFixture } from './fixtures/fixtures.js';
import { type BusBody, type BusHeader, type BusMessage, type GossipEntry, type PingExt, slotBitmapFromRanges } from './message.js';

// ------------------------------------------------------------------ property tests

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const latin1 = (min: number, max: number, noNul = false) =>
  fc
    .array(fc.integer({ min: noNul ? 1 : 0, max: 0xff }), { minLength: min, maxLength: max })
    .map((cs) => String.fromCharCode(...cs));
const hexName = fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: 40, maxLength: 40 }).map((a) => a.join(''));
/** Real names are hex; the codec must carry any 40 bytes (zeros included) unchanged. */
const anyName = fc.oneof(hexName, latin1(40, 40));
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
/** Deterministic noise (xorshift32): generating 2048 bytes one by one is slow in fast-check. */
function noise(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = seed | 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
const slot = fc.integer({ min: 0, max: 16383 });
const bitmap = fc.oneof(
  fc
    .array(fc.tuple(slot, slot), { maxLength: 4 })
    .map((rs) => slotBitmapFromRanges(rs.map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const))),
  fc.integer().map((seed) => noise(2048, seed)),
);
const nonZero = (arb: fc.Arbitrary<Uint8Array>) => arb.filter((a) => a.some((b) => b !== 0));

const headerArb = (types: fc.Arbitrary<number>): fc.Arbitrary<BusHeader> =>
  fc
    .record({
      type: types,
      port: u16,
      pport: u16,
      cport: u16,
      currentEpoch: u64,
      configEpoch: u64,
      offset: u64,
      sender: anyName,
      myslots: bitmap,
      slaveof: fc.option(anyName.filter((n) => n !== '\0'.repeat(40)), { nil: null }),
      myip: latin1(0, 46, true),
      flags: u16,
      state: u8,
      mflags: fc.tuple(u8, u8, u8),
      reserved: fc.option(nonZero(fc.uint8Array({ minLength: 30, maxLength: 30 })), { nil: undefined }),
    })
    .map((h) => {
      if (h.reserved === undefined) delete (h as Partial<BusHeader>).reserved;
      return h;
    });

const gossipArb: fc.Arbitrary<GossipEntry> = fc
  .record({
    nodename: anyName,
    pingSent: u32,
    pongReceived: u32,
    ip: latin1(0, 46, true),
    port: u16,
    cport: u16,
    flags: u16,
    pport: u16,
    notused: fc.option(fc.integer({ min: 1, max: 0xffff }), { nil: undefined }),
  })
  .map((g) => {
    if (g.notused === undefined) delete (g as Partial<GossipEntry>).notused;
    return g;
  });

const extArb: fc.Arbitrary<PingExt> = fc.oneof(
  latin1(0, 40, true).map((hostname) => ({ kind: 'hostname' as const, hostname })),
  latin1(0, 20, true).map((nodename) => ({ kind: 'human-nodename' as const, nodename })),
  fc.record({ kind: fc.constant('forgotten-node' as const), name: anyName, ttl: u64 }),
  fc.record({ kind: fc.constant('shard-id' as const), shardId: anyName }),
  fc.record({
    kind: fc.constant('raw' as const),
    type: fc.integer({ min: 4, max: 0xffff }),
    data: fc.integer({ min: 0, max: 6 }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n })).map((a) => Buffer.from(a)),
  }),
  fc.record({
    kind: fc.constant('raw' as const),
    type: fc.integer({ min: 0, max: 3 }),
    unused: fc.integer({ min: 1, max: 0xffff }),
    data: fc.constant(Buffer.alloc(16)),
  }),
);

const messageArb: fc.Arbitrary<BusMessage> = fc.oneof(
  fc.tuple(headerArb(fc.constantFrom(0, 1, 2)), fc.array(gossipArb, { maxLength: 6 }), fc.array(extArb, { maxLength: 4 })).map(
    ([header, gossip, exts]) => {
      if (exts.length > 0) header.mflags[0] |= MFlag0.EXT_DATA;
      return { header, body: { kind: 'ping', gossip, exts } as BusBody };
    },
  ),
  fc.tuple(headerArb(fc.constant(3)), anyName).map(([header, nodename]) => ({ header, body: { kind: 'fail', nodename } as BusBody })),
  fc.tuple(headerArb(fc.constantFrom(4, 10)), bytes(64), bytes(300)).map(([header, channel, message]) => ({
    header,
    body: { kind: 'publish', channel, message } as BusBody,
  })),
  headerArb(fc.constantFrom(5, 6, 8)).map((header) => ({ header, body: { kind: 'empty' } as BusBody })),
  fc.tuple(headerArb(fc.constant(7)), u64, anyName, bitmap).map(([header, configEpoch, nodename, slots]) => ({
    header,
    body: { kind: 'update', configEpoch, nodename, slots } as BusBody,
  })),
  fc.tuple(headerArb(fc.constant(9)), u64, u8, bytes(100)).map(([header, moduleId, moduleType, payload]) => ({
    header,
    body: { kind: 'module', moduleId, moduleType, payload } as BusBody,
  })),
  fc.tuple(headerArb(fc.integer({ min: 11, max: 0xffff })), u16, u16, bytes(200)).map(([header, count, extensions, data]) => ({
    header,
    body: { kind: 'raw', count, extensions, data } as BusBody,
  })),
);

/**
 * The message with every byte array as hex, kind-tagged: toEqual walks a 2048-byte
 * Uint8Array element by element (ms per message), a string compares at once.
 */
function comparable(v: unknown): unknown {
  if (v instanceof Uint8Array) return `${Buffer.isBuffer(v) ? 'buf' : 'u8'}:${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(comparable);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, comparable(x)]));
  }
  return v;
}

describe('bus codec properties', () => {
  it('bus: every message of every type round-trips through encode and decode', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const f = encodeBusMessage(m);
        expect(f.readUInt32BE(4)).toBe(f.length);
        expect(comparable(decodeBusMessage(f))).toEqual(comparable(m));
      }),
      { numRuns: 2000 },
    );
  });

  // Real frames, plus generated ones of every layout (a fixed seed: the same each run).
  const seeds = [
    ...FRAME_FIXTURES.map((n) => loadFixture(n)),
    ...fc.sample(messageArb, { numRuns: 40, seed: 42 }).map(encodeBusMessage),
  ];
  type Mutation =
    | { op: 'flip'; at: number; value: number }
    | { op: 'truncate'; at: number }
    | { op: 'append'; extra: Uint8Array }
    | { op: 'totlen'; value: number }
    | { op: 'type'; value: number }
    | { op: 'count'; value: number }
    | { op: 'extensions'; value: number; flag: boolean }
    | { op: 'u32'; at: number; value: number };
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: u8 }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
    fc.record({ op: fc.constant('totlen' as const), value: fc.oneof(u32, fc.integer({ min: 2200, max: 5000 })) }),
    fc.record({ op: fc.constant('type' as const), value: fc.oneof(fc.integer({ min: 0, max: 12 }), u16) }),
    fc.record({ op: fc.constant('count' as const), value: fc.oneof(fc.integer({ min: 0, max: 8 }), u16) }),
    fc.record({ op: fc.constant('extensions' as const), value: fc.oneof(fc.integer({ min: 0, max: 4 }), u16), flag: fc.boolean() }),
    fc.record({ op: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(u32, fc.integer({ min: 0, max: 64 })) }),
  );
  function mutate(seed: Buffer, ms: Mutation[]): Buffer {
    let f = Buffer.from(seed);
    for (const m of ms) {
      switch (m.op) {
        case 'flip':
          f[m.at % f.length] = m.value;
          break;
        case 'truncate':
          f = f.subarray(0, m.at % (f.length + 1));
          break;
        case 'append':
          f = Buffer.concat([f, m.extra]);
          break;
        case 'totlen':
          if (f.length >= 8) f.writeUInt32BE(m.value, 4);
          break;
        case 'type':
          if (f.length >= 14) f.writeUInt16BE(m.value, 12);
          break;
        case 'count':
          if (f.length >= 16) f.writeUInt16BE(m.value, 14);
          break;
        case 'extensions':
          if (f.length >= 2256) {
            f.writeUInt16BE(m.value, 2214);
            f[2253] = m.flag ? f[2253] | MFlag0.EXT_DATA : f[2253] & ~MFlag0.EXT_DATA;
          }
          break;
        case 'u32':
          if (f.length >= 4) f.writeUInt32BE(m.value, m.at % (f.length - 3));
          break;
      }
      if (f.length === 0) break;
    }
    // Half the time keep totlen honest, so that mutations reach the per-type checks.
    return f;
  }

  it('bus: 10,000 mutated frames either decode or throw BusProtocolError, nothing else', () => {
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (seed, ms, fixTotlen) => {
          const f = mutate(seed, ms);
          if (fixTotlen && f.length >= 8) f.writeUInt32BE(f.length, 4);
          let m: BusMessage;
          try {
            m = decodeBusMessage(f);
          } catch (e) {
            expect(e).toBeInstanceOf(BusProtocolError);
            return;
          }
          decoded++;
          // Whatever decodes is a fixed point: its encoding decodes and re-encodes identically.
          const canonical = encodeBusMessage(m);
          expect(encodeBusMessage(decodeBusMessage(canonical)).equals(canonical)).toBe(true);
        },
      ),
      { numRuns: 10_000 },
    );
    expect(decoded).toBeGreaterThan(500); // the fuzzer also reaches the accepting paths
  });
});
