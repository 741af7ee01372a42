import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBusMessage } from './codec.js';
import { BusProtocolError } from './errors.js';
import { BusFramer, peekBusTotlen, peekBusType } from './framer.js';
import { FRAME_FIXTURES, STREAM_FIXTURES, loadFixture, loadManifest } from './fixtures/fixtures.js';

interface Run {
  frames: Buffer[];
  types: Array<[number, number]>;
  errors: BusProtocolError[];
  framer: BusFramer;
}

function framerRun(options?: ConstructorParameters<typeof BusFramer>[1]): Run {
  const run: Run = { frames: [], types: [], errors: [], framer: undefined as unknown as BusFramer };
  run.framer = new BusFramer(
    {
      // Copy: a frame may be a view of the chunk, and tests reuse their chunks.
      onFrame: (f) => run.frames.push(Buffer.from(f)),
      onError: (e) => run.errors.push(e),
      onType: (type, totlen) => run.types.push([type, totlen]),
    },
    options,
  );
  return run;
}

function feed(stream: Buffer, cuts: number[], run = framerRun()): Run {
  let prev = 0;
  for (const c of [...cuts, stream.length]) {
    run.framer.write(stream.subarray(prev, c));
    prev = c;
  }
  return run;
}

function sameFrames(got: Buffer[], want: Buffer[]): boolean {
  return got.length === want.length && got.every((f, i) => f.equals(want[i]));
}

/** The frames of a stream fixture, cut by the lengths in the manifest. */
function framesOf(stream: Buffer, lengths: number[]): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  for (const n of lengths) {
    out.push(stream.subarray(off, off + n));
    off += n;
  }
  expect(off).toBe(stream.length);
  return out;
}

const manifest = loadManifest();
const singles = FRAME_FIXTURES.map((name) => ({ name, frames: [loadFixture(name)] }));
const streams = STREAM_FIXTURES.map((name) => {
  const s = loadFixture(name);
  return { name, frames: framesOf(s, manifest[name].frames.map((f) => f.totlen)) };
});
const everything = { name: 'all fixtures back to back', frames: [...singles, ...streams].flatMap((x) => x.frames) };

describe('bus framer', () => {
  afterEach(() => vi.restoreAllMocks());

  /** Feeds two chunks, checking frames as they come out (no copies: this runs ~10^5 times). */
  function splitMatches(stream: Buffer, cut: number, want: Buffer[]): boolean {
    let i = 0;
    let ok = true;
    const framer = new BusFramer({
      onFrame: (f) => {
        ok &&= i < want.length && f.equals(want[i]);
        i++;
      },
      onError: () => {
        ok = false;
      },
    });
    framer.write(stream.subarray(0, cut));
    framer.write(stream.subarray(cut));
    return ok && i === want.length && framer.bufferedBytes === 0;
  }

  it.each([...singles, ...streams])('bus: $name frames the same whole, byte by byte and split anywhere', ({ frames }) => {
    const stream = Buffer.concat(frames);
    const whole = feed(stream, []);
    expect(sameFrames(whole.frames, frames)).toBe(true);
    expect(whole.errors).toEqual([]);
    expect(whole.types).toEqual(frames.map((f) => [f.readUInt16BE(12), f.length]));

    const bytewise = feed(
      stream,
      Array.from({ length: stream.length - 1 }, (_, i) => i + 1),
    );
    expect(sameFrames(bytewise.frames, frames)).toBe(true);
    expect(bytewise.types).toEqual(whole.types);

    const bad: number[] = [];
    for (let cut = 1; cut < stream.length; cut++) if (!splitMatches(stream, cut, frames)) bad.push(cut);
    expect(bad).toEqual([]);
  });

  it('bus: all fixtures back to back frame the same whole, byte by byte and in random chunks', () => {
    const { frames } = everything;
    const stream = Buffer.concat(frames);
    expect(sameFrames(feed(stream, []).frames, frames)).toBe(true);
    const bytewise = feed(stream, Array.from({ length: stream.length - 1 }, (_, i) => i + 1));
    expect(sameFrames(bytewise.frames, frames)).toBe(true);
    let seed = 7;
    for (let round = 0; round < 50; round++) {
      const cuts: number[] = [];
      for (let at = 0; ; ) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        at += 1 + (seed % 5000);
        if (at >= stream.length) break;
        cuts.push(at);
      }
      expect(sameFrames(feed(stream, cuts).frames, frames)).toBe(true);
    }
  });

  it('bus: the stream fixtures hold the frames their manifest lists', () => {
    for (const { name, frames } of streams) {
      expect(frames.map((f) => decodeBusMessage(f).header.type)).toEqual(manifest[name].frames.map((f) => f.type));
    }
  });

  it('bus: a frame inside one chunk is handed out without copying', () => {
    const f = loadFixture('ping-6nodes');
    const chunk = Buffer.concat([f, f]);
    const seen: Buffer[] = [];
    new BusFramer({ onFrame: (x) => seen.push(x), onError: () => {} }).write(chunk);
    expect(seen).toHaveLength(2);
    expect(seen[1].buffer).toBe(chunk.buffer);
    expect(seen[1].byteOffset).toBe(chunk.byteOffset + f.length);
  });

  it('bus: the type is reported as soon as 14 bytes of a frame are in', () => {
    const f = loadFixture('fail');
    const run = framerRun();
    run.framer.write(f.subarray(0, 13));
    expect(run.types).toEqual([]);
    run.framer.write(f.subarray(13, 14));
    expect(run.types).toEqual([[3, 2296]]);
    expect(run.frames).toEqual([]);
    expect(run.framer.bufferedBytes).toBe(14);
    run.framer.write(f.subarray(14));
    expect(run.frames).toHaveLength(1);
    expect(peekBusType(f.subarray(0, 14))).toBe(3);
    expect(peekBusType(f.subarray(0, 13))).toBeUndefined();
    expect(peekBusTotlen(f.subarray(0, 8))).toBe(2296);
  });

  it('bus: a bad signature is reported once and the framer stops', () => {
    const f = Buffer.from(loadFixture('meet'));
    f[3] = 0x42;
    const run = framerRun();
    run.framer.write(f.subarray(0, 5));
    expect(run.errors).toEqual([]); // 5 bytes: not yet a prefix
    run.framer.write(f.subarray(5));
    run.framer.write(loadFixture('meet'));
    expect(run.errors.map((e) => e.code)).toEqual(['BAD_SIGNATURE']);
    expect(run.frames).toEqual([]);
    expect(run.framer.failed).toBe(true);
    run.framer.reset();
    run.framer.write(loadFixture('meet'));
    expect(run.frames).toHaveLength(1);
  });

  it('bus: a totlen below the 2256-byte header is BAD_LENGTH, as in clusterReadHandler', () => {
    for (const totlen of [0, 7, 8, 16, 2255]) {
      const f = Buffer.from(loadFixture('meet'));
      f.writeUInt32BE(totlen, 4);
      const run = framerRun();
      run.framer.write(f);
      expect(run.errors.map((e) => e.code)).toEqual(['BAD_LENGTH']);
    }
  });

  it('bus: a lower minFrameLength lets short frames through, but never below 16', () => {
    const short = Buffer.alloc(16);
    short.write('RCmb', 0, 'latin1');
    short.writeUInt32BE(16, 4);
    short.writeUInt16BE(77, 12);
    const run = framerRun({ minFrameLength: 16 });
    run.framer.write(short);
    expect(run.frames).toHaveLength(1);
    expect(run.types).toEqual([[77, 16]]);
    expect(() => framerRun({ minFrameLength: 15 })).toThrow(RangeError);
    expect(() => framerRun({ maxFrameLength: 100 })).toThrow(RangeError);
  });

  it('bus: a totlen of 0xFFFFFFFF is rejected before any allocation', () => {
    const prefix = Buffer.from('RCmb\xff\xff\xff\xff\x00\x01', 'latin1');
    const cutsList = [[], [3], [1, 2, 3, 4, 5, 6, 7]];
    const runs = cutsList.map(() => framerRun()); // constructing allocates an 8-byte prefix
    const allocs = [
      vi.spyOn(Buffer, 'alloc'),
      vi.spyOn(Buffer, 'allocUnsafe'),
      vi.spyOn(Buffer, 'allocUnsafeSlow'),
    ];
    for (const [i, cuts] of cutsList.entries()) {
      const run = feed(prefix, cuts, runs[i]);
      expect(run.errors.map((e) => e.code)).toEqual(['TOO_LARGE']);
      expect(run.errors[0]).toBeInstanceOf(BusProtocolError);
    }
    for (const spy of allocs) expect(spy).not.toHaveBeenCalled();
  });

  it('bus: maxFrameLength bounds what the framer will assemble', () => {
    const f = loadFixture('update'); // 4352 bytes
    const tight = framerRun({ maxFrameLength: 4351 });
    tight.framer.write(f);
    expect(tight.errors.map((e) => e.code)).toEqual(['TOO_LARGE']);
    const exact = framerRun({ maxFrameLength: 4352 });
    exact.framer.write(f);
    expect(exact.frames).toHaveLength(1);
  });
});
