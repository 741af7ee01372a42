import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBusMessage } from './codec.js';
import { TYPE_PREFIX_LEN, UNFRAMED_TYPE } from './constants.js';
import { BusFrameScanner } from './framer.js';
import { FRAME_FIXTURES, loadFixture } from './fixtures/fixtures.js';
import { busHeader } from './message.js';

/** Real frames of every type, plus frames of types 7.0 does not know (future PATCH etc.). */
const frames: Buffer[] = [
  ...FRAME_FIXTURES.map((n) => loadFixture(n)),
  encodeBusMessage({
    header: busHeader({ type: 11, sender: 'f'.repeat(40) }),
    body: { kind: 'raw', count: 0, extensions: 0, data: Buffer.alloc(123, 1) },
  }),
  encodeBusMessage({
    header: busHeader({ type: 0x1234, sender: 'e'.repeat(40) }),
    body: { kind: 'raw', count: 2, extensions: 0, data: Buffer.alloc(0) },
  }),
];

interface Tally {
  bytes: Map<number, number>;
  frames: Array<[number, number]>;
  maxPending: number;
  errors: string[];
}

function scan(stream: Buffer, cuts: number[]): Tally {
  const t: Tally = { bytes: new Map(), frames: [], maxPending: 0, errors: [] };
  const s = new BusFrameScanner({
    onSegment: (type, n) => {
      expect(n).toBeGreaterThan(0);
      t.bytes.set(type, (t.bytes.get(type) ?? 0) + n);
    },
    onFrame: (type, totlen) => t.frames.push([type, totlen]),
    onError: (e) => t.errors.push(e.code),
  });
  let prev = 0;
  for (const c of [...cuts, stream.length]) {
    s.write(stream.subarray(prev, c));
    prev = c;
    t.maxPending = Math.max(t.maxPending, s.pendingBytes);
  }
  s.end();
  return t;
}

function expected(fs: Buffer[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const f of fs) m.set(f.readUInt16BE(12), (m.get(f.readUInt16BE(12)) ?? 0) + f.length);
  return m;
}

const cutsOf = (len: number) =>
  fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, len - 1) }), { maxLength: 40 }).map((cs) => cs.filter((c) => c < len).sort((a, b) => a - b));

describe('bus frame scanner', () => {
  it('bus: the scanner attributes exactly each frame\'s bytes to its type, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...frames), { minLength: 1, maxLength: 12 }).chain((fs) => {
          const stream = Buffer.concat(fs);
          return fc.tuple(fc.constant(fs), fc.constant(stream), cutsOf(stream.length));
        }),
        ([fs, stream, cuts]) => {
          const t = scan(stream, cuts);
          expect(t.errors).toEqual([]);
          expect(t.bytes).toEqual(expected(fs));
          expect(t.frames).toEqual(fs.map((f) => [f.readUInt16BE(12), f.length]));
          expect(t.maxPending).toBeLessThanOrEqual(TYPE_PREFIX_LEN);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('bus: fed byte by byte, the scanner holds at most the 14 header bytes', () => {
    const stream = Buffer.concat(frames);
    const t = scan(stream, Array.from({ length: stream.length - 1 }, (_, i) => i + 1));
    expect(t.bytes).toEqual(expected(frames));
    expect(t.maxPending).toBe(TYPE_PREFIX_LEN - 1); // never more: at 14 it knows the type
  });

  it('bus: after a corrupt frame start every later byte is counted as unframed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...frames), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 0, max: 5 }),
        fc.nat(),
        (fs, which, how, cutSeed) => {
          const bad = Buffer.from(fs[which % fs.length]);
          if (how < 4) bad[how] ^= 0xff; // signature
          else if (how === 4) bad[4] = 0xff; // totlen >= 0xFF000000: TOO_LARGE
          else bad.writeUInt32BE(2255, 4); // below the header: BAD_LENGTH
          const before = fs.slice(0, which % fs.length);
          const stream = Buffer.concat([...before, bad, ...fs]);
          const t = scan(stream, [1 + (cutSeed % (stream.length - 1))]);
          expect(t.errors).toHaveLength(1);
          const want = expected(before);
          want.set(UNFRAMED_TYPE, stream.length - before.reduce((n, f) => n + f.length, 0));
          expect(t.bytes).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bus: a stream cut inside a frame start reports the held bytes as unframed at end()', () => {
    const t = scan(loadFixture('ping-6nodes').subarray(0, 10), [3]);
    expect(t.bytes).toEqual(new Map([[UNFRAMED_TYPE, 10]]));
    expect(t.frames).toEqual([]);
  });

  it('bus: the scanner reports each frame\'s sender and port, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...frames), { minLength: 1, maxLength: 8 }).chain((fs) => {
          const stream = Buffer.concat(fs);
          return fc.tuple(fc.constant(fs), fc.constant(stream), cutsOf(stream.length));
        }),
        ([fs, stream, cuts]) => {
          const seen: Array<[string, number]> = [];
          const s = new BusFrameScanner({ onSegment: () => undefined, onSender: (name, port) => seen.push([name, port]) });
          let prev = 0;
          for (const c of [...cuts, stream.length]) {
            s.write(stream.subarray(prev, c));
            prev = c;
          }
          expect(seen).toEqual(fs.map((f) => [f.subarray(40, 80).toString('latin1'), f.readUInt16BE(10)]));
        },
      ),
      { numRuns: 500 },
    );
  });
});
