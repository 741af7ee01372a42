import { type KeyObject, createPublicKey, sign } from 'node:crypto';
import { type PatchManifest, encodeBundle, manifestBytes, signedRegion } from './bundle.js';
import { keyIdOf } from './keys.js';

/** Builds a signed bundle (bundle.ts layout) from a manifest and module source. */
export function signBundle(manifest: PatchManifest, moduleSource: string | Buffer, privateKey: KeyObject): Buffer {
  const keyId = keyIdOf(createPublicKey(privateKey));
  const mbytes = manifestBytes(manifest);
  const module = Buffer.isBuffer(moduleSource) ? moduleSource : Buffer.from(moduleSource, 'utf8');
  // ed25519 takes no digest name: node:crypto signs the whole message (PureEdDSA).
  const signature = sign(null, signedRegion(keyId, mbytes, module), privateKey);
  return encodeBundle({ keyId, manifest, manifestBytes: mbytes, module, signature });
}
