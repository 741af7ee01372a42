/**
 * Live patching on the bus (cluster/patch): one ping extension and two message types.
 *
 * Patch extension, on every PING/PONG/MEET of a node with patch support (16 bytes):
 *
 *   off size
 *    0   4   length   16
 *    4   2   type     PATCH_EXT_TYPE (0x4b50)
 *    6   2   unused   0
 *    8   4   version  highest patch version applied, 0 = none
 *   12   4   bitmap   bit i set = holds version (version - i), i = 0..31
 *
 * The paper's extension is 4 bytes, 8 after alignment; a Redis 7.0 ping extension has an
 * 8-byte header of its own (clusterMsgPingExt) and 8-aligned data, so ours costs 16 bytes
 * per packet (and sets FLAG0_EXT_DATA, a bit in a byte that is always sent).
 *
 * PATCH_REQUEST (type 11), after the 2256-byte header:  count u32, then count x version u32.
 * PATCH (type 12), after the header:                   version u32, length u32, bundle bytes.
 * Redis accepts unknown types of any length ("we assume it's well formed"), so no padding.
 */
import { PATCH_EXT_DATA_LEN, PATCH_EXT_TYPE } from './constants.js';
import { BusProtocolError } from './errors.js';
import { checkUint } from './fields.js';
import type { PingExt } from './message.js';

export const PATCH_EXT_LEN = 8 + PATCH_EXT_DATA_LEN;

export interface PatchAdvert {
  version: number;
  bitmap: number;
}

export function patchExt(a: PatchAdvert): PingExt {
  checkUint(a.version, 32, 'patch version');
  checkUint(a.bitmap >>> 0, 32, 'patch bitmap');
  const data = Buffer.alloc(PATCH_EXT_DATA_LEN);
  data.writeUInt32BE(a.version, 0);
  data.writeUInt32BE(a.bitmap >>> 0, 4);
  return { kind: 'raw', type: PATCH_EXT_TYPE, data };
}

/** The advert among a ping's extensions, if the sender has patch support. */
export function findPatchAdvert(exts: readonly PingExt[]): PatchAdvert | undefined {
  for (const e of exts) {
    if (e.kind === 'raw' && e.type === PATCH_EXT_TYPE && e.data.length === PATCH_EXT_DATA_LEN) {
      return { version: e.data.readUInt32BE(0), bitmap: e.data.readUInt32BE(4) };
    }
  }
  return undefined;
}

/** The versions an advert says its sender holds. */
export function advertVersions(a: PatchAdvert): number[] {
  const out: number[] = [];
  for (let i = 0; i < 32 && a.version - i >= 1; i++) if ((a.bitmap >>> i) & 1) out.push(a.version - i);
  return out;
}

/** The advert for a set of held versions (the 32 below and at the highest). */
export function advertOf(held: Iterable<number>): PatchAdvert {
  const set = [...held];
  const version = set.length ? Math.max(...set) : 0;
  let bitmap = 0;
  for (const v of set) if (version - v < 32) bitmap |= 1 << (version - v);
  return { version, bitmap: bitmap >>> 0 };
}

export function encodePatchRequest(versions: readonly number[]): Buffer {
  const buf = Buffer.alloc(4 + 4 * versions.length);
  buf.writeUInt32BE(versions.length, 0);
  versions.forEach((v, i) => {
    checkUint(v, 32, 'requested version');
    buf.writeUInt32BE(v, 4 + 4 * i);
  });
  return buf;
}

export function decodePatchRequest(data: Buffer): number[] {
  if (data.length < 4) throw new BusProtocolError('LENGTH_MISMATCH', `patch-request body of ${data.length} bytes`, 11);
  const n = data.readUInt32BE(0);
  if (data.length !== 4 + 4 * n) throw new BusProtocolError('LENGTH_MISMATCH', `patch-request of ${n} versions in ${data.length} bytes`, 11);
  return Array.from({ length: n }, (_, i) => data.readUInt32BE(4 + 4 * i));
}

export function encodePatch(version: number, bundle: Buffer): Buffer {
  checkUint(version, 32, 'patch version');
  const buf = Buffer.alloc(8 + bundle.length);
  buf.writeUInt32BE(version, 0);
  buf.writeUInt32BE(bundle.length, 4);
  bundle.copy(buf, 8);
  return buf;
}

export function decodePatch(data: Buffer): { version: number; bundle: Buffer } {
  if (data.length < 8) throw new BusProtocolError('LENGTH_MISMATCH', `patch body of ${data.length} bytes`, 12);
  const len = data.readUInt32BE(4);
  if (data.length !== 8 + len) throw new BusProtocolError('LENGTH_MISMATCH', `patch of ${len} bundle bytes in a ${data.length}-byte body`, 12);
  return { version: data.readUInt32BE(0), bundle: Buffer.from(data.subarray(8)) };
}
