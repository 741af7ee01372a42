import { verify } from 'node:crypto';
import { type PatchBundle, decodeBundle, signedRegion } from './bundle.js';
import { PatchError } from './errors.js';
import type { TrustedKey } from './keys.js';

/**
 * Everything a node checks before it loads any code of a bundle, in this order:
 * framing, a trusted key, the signature over header + manifest + module, the target
 * version. Throws a PatchError; nothing of a refused bundle runs.
 */
export function verifyBundle(bytes: Buffer, trust: readonly TrustedKey[], codeVersion: string): PatchBundle {
  const b = decodeBundle(bytes);
  const key = trust.find((k) => k.id.equals(b.keyId));
  if (!key) throw new PatchError('UNTRUSTED_KEY', `patch ${b.manifest.id} v${b.manifest.version} is signed by key ${b.keyId.toString('hex').slice(0, 16)}…, not trusted here`);
  if (!verify(null, signedRegion(b.keyId, b.manifestBytes, b.module), key.key, b.signature)) {
    throw new PatchError('BAD_SIGNATURE', `patch ${b.manifest.id} v${b.manifest.version}: signature does not verify (bundle altered)`);
  }
  if (b.manifest.target !== codeVersion) {
    throw new PatchError('WRONG_TARGET', `patch ${b.manifest.id} v${b.manifest.version} targets version ${b.manifest.target}, this node runs ${codeVersion}`);
  }
  return b;
}
