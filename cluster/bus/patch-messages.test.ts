import { describe, expect, it } from 'vitest';
import { decodeBusMessage, encodeBusMessage } from './codec.js';
import { BUS_HEADER_LEN, HDR, KvBusType, MFlag0, NodeFlag, busTypeLayout, busTypeName } from './constants.js';
import { BusFramer } from './framer.js';
import { busHeader } from './message.js';
import {
  PATCH_EXT_LEN,
  advertOf,
  advertVersions,
  decodePatch,
  decodePatchRequest,
  encodePatch,
  encodePatchRequest,
  findPatchAdvert,
  patchExt,
} from './patch-messages.js';
import { BusFrameScanner } from './scanner.js';

const NAME = 'ab'.repeat(20);

function ping(withExt: boolean): Buffer {
  return encodeBusMessage({
    header: busHeader({ type: 0, sender: NAME, port: 7000, cport: 17000, flags: NodeFlag.MASTER | NodeFlag.MYSELF }),
    body: { kind: 'ping', gossip: [], exts: withExt ? [patchExt({ version: 3, bitmap: 0b101 })] : [] },
  });
}

describe('bus: live patch extension and messages', () => {
  it('bus: the patch extension adds exactly 16 bytes to a PING, laid out as documented', () => {
    const plain = ping(false);
    const withExt = ping(true);
    expect(withExt.length - plain.length).toBe(16);
    expect(PATCH_EXT_LEN).toBe(16);
    const ext = withExt.subarray(BUS_HEADER_LEN);
    expect([...ext]).toEqual([0, 0, 0, 16, 0x4b, 0x50, 0, 0, 0, 0, 0, 3, 0, 0, 0, 5]);
    expect(withExt.readUInt16BE(HDR.extensions)).toBe(1);
    expect(withExt[HDR.mflags] & MFlag0.EXT_DATA).toBe(MFlag0.EXT_DATA);
    const back = decodeBusMessage(withExt);
    expect(back.body.kind === 'ping' && findPatchAdvert(back.body.exts)).toEqual({ version: 3, bitmap: 5 });
    expect(encodeBusMessage(back).equals(withExt)).toBe(true);
  });

  it('bus: the advert bitmap counts down from the version', () => {
    expect(advertOf([])).toEqual({ version: 0, bitmap: 0 });
    const a = advertOf([1, 3, 4]);
    expect(a).toEqual({ version: 4, bitmap: 0b1011 });
    expect(advertVersions(a).sort()).toEqual([1, 3, 4]);
    expect(advertOf([40, 1]).bitmap).toBe(1); // 39 behind: out of the 32-version window
    expect(advertVersions(advertOf(Array.from({ length: 32 }, (_, i) => i + 1))).length).toBe(32);
  });

  it('bus: PATCH_REQUEST and PATCH bodies are byte exact and framed as types 11 and 12', () => {
    const req = encodePatchRequest([2, 7]);
    expect([...req]).toEqual([0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 7]);
    expect(decodePatchRequest(req)).toEqual([2, 7]);
    const p = encodePatch(9, Buffer.from('KVPB'));
    expect([...p]).toEqual([0, 0, 0, 9, 0, 0, 0, 4, 0x4b, 0x56, 0x50, 0x42]);
    expect(decodePatch(p)).toEqual({ version: 9, bundle: Buffer.from('KVPB') });
    expect(() => decodePatch(p.subarray(0, 11))).toThrow(/LENGTH_MISMATCH|bundle bytes/);
    expect(() => decodePatchRequest(req.subarray(0, 8))).toThrow();
    expect(busTypeName(KvBusType.PATCH_REQUEST)).toBe('patch-request');
    expect(busTypeName(KvBusType.PATCH)).toBe('patch');
    expect(busTypeLayout(KvBusType.PATCH)).toBeUndefined(); // Redis 7.0 does not know it either
  });

  it('bus: a PATCH frame round-trips as a raw body, whole and split at every byte, and the scanner names its bytes', () => {
    const data = encodePatch(1, Buffer.alloc(300, 7));
    const frame = encodeBusMessage({ header: busHeader({ type: KvBusType.PATCH, sender: NAME }), body: { kind: 'raw', count: 0, extensions: 0, data } });
    expect(frame.length).toBe(BUS_HEADER_LEN + 8 + 300);
    const msg = decodeBusMessage(frame);
    expect(msg.body.kind === 'raw' && decodePatch(msg.body.data).bundle.length).toBe(300);
    for (let cut = 1; cut < frame.length; cut += 37) {
      const frames: Buffer[] = [];
      const f = new BusFramer({ onFrame: (x) => frames.push(Buffer.from(x)), onError: (e) => { throw e; } });
      f.write(frame.subarray(0, cut));
      f.write(frame.subarray(cut));
      expect(frames.length).toBe(1);
      expect(frames[0].equals(frame)).toBe(true);
    }
    const bytes = new Map<number, number>();
    const s = new BusFrameScanner({ onSegment: (t, n) => bytes.set(t, (bytes.get(t) ?? 0) + n) });
    for (const b of frame) s.write(Buffer.from([b]));
    expect(bytes.get(KvBusType.PATCH)).toBe(frame.length);
  });
});
