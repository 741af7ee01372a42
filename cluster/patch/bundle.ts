/**
 * The patch bundle: one file holding a manifest, an ES module and an ed25519 signature.
 * Byte layout (all integers big-endian, like the cluster bus):
 *
 *   off        size  field
 *     0          4   magic "KVPB"
 *     4          1   format       1
 *     5          1   algorithm    1 = ed25519
 *     6          2   M            manifest length
 *     8          4   N            module length
 *    12         32   key id       SHA-256 of the signer's public key (SPKI DER)
 *    44          M   manifest     UTF-8 JSON {"id":string,"version":u32>=1,"target":string}
 *    44+M        N   module       UTF-8 ES module source
 *    44+M+N     64   signature    ed25519 over bytes [0, 44+M+N): header, manifest, module
 *
 * A bundle is 108 + M + N bytes. The signature covers the lengths and the key id too,
 * so no byte before it can change unnoticed. Decoding keeps the manifest's own bytes:
 * encodeBundle(decodeBundle(b)) equals b.
 */
import { PatchError } from './errors.js';

export const BUNDLE_MAGIC = 'KVPB';
export const BUNDLE_FORMAT = 1;
export const ALG_ED25519 = 1;
export const KEY_ID_LEN = 32;
export const SIGNATURE_LEN = 64;
export const BUNDLE_HEADER_LEN = 44;
/** Header and signature: what a bundle costs beyond its manifest and module. */
export const BUNDLE_OVERHEAD = BUNDLE_HEADER_LEN + SIGNATURE_LEN;
const MAX_MANIFEST_LEN = 0xffff;

export const BUNDLE = { magic: 0, format: 4, algorithm: 5, manifestLen: 6, moduleLen: 8, keyId: 12, manifest: 44 } as const;

export interface PatchManifest {
  id: string;
  /** Patch version, 1 and up; a node holds at most one bundle per version. */
  version: number;
  /** The node code version (--code-version) this patch applies to. */
  target: string;
}

export interface PatchBundle {
  keyId: Buffer;
  manifest: PatchManifest;
  /** The manifest exactly as it travels (JSON, UTF-8). */
  manifestBytes: Buffer;
  module: Buffer;
  signature: Buffer;
}

/** The canonical manifest bytes (what `sign` writes). */
export function manifestBytes(m: PatchManifest): Buffer {
  checkManifest(m);
  return Buffer.from(JSON.stringify({ id: m.id, version: m.version, target: m.target }), 'utf8');
}

function checkManifest(m: unknown): asserts m is PatchManifest {
  const o = m as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) throw new PatchError('BAD_BUNDLE', 'manifest is not an object');
  if (typeof o.id !== 'string' || o.id === '') throw new PatchError('BAD_BUNDLE', 'manifest id must be a non-empty string');
  if (!Number.isInteger(o.version) || (o.version as number) < 1 || (o.version as number) > 0xffffffff) {
    throw new PatchError('BAD_BUNDLE', 'manifest version must be an integer from 1 to 2^32-1');
  }
  if (typeof o.target !== 'string') throw new PatchError('BAD_BUNDLE', 'manifest target must be a string');
}

/** The bytes the signature covers: header + manifest + module. */
export function signedRegion(keyId: Buffer, manifest: Buffer, module: Buffer): Buffer {
  if (keyId.length !== KEY_ID_LEN) throw new PatchError('BAD_BUNDLE', `key id is ${keyId.length} bytes, not ${KEY_ID_LEN}`);
  if (manifest.length > MAX_MANIFEST_LEN) throw new PatchError('BAD_BUNDLE', `manifest of ${manifest.length} bytes exceeds ${MAX_MANIFEST_LEN}`);
  const head = Buffer.alloc(BUNDLE_HEADER_LEN);
  head.write(BUNDLE_MAGIC, BUNDLE.magic, 'latin1');
  head[BUNDLE.format] = BUNDLE_FORMAT;
  head[BUNDLE.algorithm] = ALG_ED25519;
  head.writeUInt16BE(manifest.length, BUNDLE.manifestLen);
  head.writeUInt32BE(module.length, BUNDLE.moduleLen);
  keyId.copy(head, BUNDLE.keyId);
  return Buffer.concat([head, manifest, module]);
}

export function encodeBundle(b: PatchBundle): Buffer {
  if (b.signature.length !== SIGNATURE_LEN) throw new PatchError('BAD_BUNDLE', `signature is ${b.signature.length} bytes, not ${SIGNATURE_LEN}`);
  return Buffer.concat([signedRegion(b.keyId, b.manifestBytes, b.module), b.signature]);
}

/** Splits a bundle; checks framing and the manifest's shape, not the signature (verify.ts). */
export function decodeBundle(buf: Buffer): PatchBundle {
  if (buf.length < BUNDLE_OVERHEAD) throw new PatchError('BAD_BUNDLE', `${buf.length} bytes, a bundle has at least ${BUNDLE_OVERHEAD}`);
  if (buf.toString('latin1', 0, 4) !== BUNDLE_MAGIC) throw new PatchError('BAD_BUNDLE', 'bad magic, not a KVPB patch bundle');
  if (buf[BUNDLE.format] !== BUNDLE_FORMAT) throw new PatchError('BAD_BUNDLE', `format ${buf[BUNDLE.format]} is not ${BUNDLE_FORMAT}`);
  if (buf[BUNDLE.algorithm] !== ALG_ED25519) throw new PatchError('BAD_BUNDLE', `signature algorithm ${buf[BUNDLE.algorithm]} is not ed25519 (1)`);
  const m = buf.readUInt16BE(BUNDLE.manifestLen);
  const n = buf.readUInt32BE(BUNDLE.moduleLen);
  if (buf.length !== BUNDLE_OVERHEAD + m + n) {
    throw new PatchError('BAD_BUNDLE', `${buf.length} bytes but the lengths say ${BUNDLE_OVERHEAD + m + n}`);
  }
  const manifestRaw = Buffer.from(buf.subarray(BUNDLE.manifest, BUNDLE.manifest + m));
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestRaw.toString('utf8'));
  } catch {
    throw new PatchError('BAD_BUNDLE', 'manifest is not JSON');
  }
  checkManifest(parsed);
  const moduleEnd = BUNDLE.manifest + m + n;
  return {
    keyId: Buffer.from(buf.subarray(BUNDLE.keyId, BUNDLE.keyId + KEY_ID_LEN)),
    manifest: { id: parsed.id, version: parsed.version, target: parsed.target },
    manifestBytes: manifestRaw,
    module: Buffer.from(buf.subarray(BUNDLE.manifest + m, moduleEnd)),
    signature: Buffer.from(buf.subarray(moduleEnd)),
  };
}
