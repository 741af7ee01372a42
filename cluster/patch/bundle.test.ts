import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BUNDLE_OVERHEAD, type PatchBundle, decodeBundle, encodeBundle } from './bundle.js';
import { PatchError } from './errors.js';
import { keyIdOf } from './keys.js';
import { signBundle } from './sign.js';

/** A bundle written field by field from the README layout, independent of the encoder. */
function handMade(): { bytes: Buffer; bundle: PatchBundle } {
  const manifest = Buffer.from('{"id":"p","version":7,"target":"v1"}');
  const module = Buffer.from('export default () => ({});\n');
  const keyId = Buffer.alloc(32, 0xab);
  const signature = Buffer.alloc(64, 0xcd);
  const head = Buffer.from([0x4b, 0x56, 0x50, 0x42, 1, 1, 0, manifest.length, 0, 0, 0, module.length]);
  const bytes = Buffer.concat([head, keyId, manifest, module, signature]);
  return { bytes, bundle: { keyId, manifest: { id: 'p', version: 7, target: 'v1' }, manifestBytes: manifest, module, signature } };
}

describe('patch bundle codec', () => {
  it('patch: a bundle encodes to the documented byte layout and decodes back byte exact', () => {
    const { bytes, bundle } = handMade();
    expect(encodeBundle(bundle).equals(bytes)).toBe(true);
    const back = decodeBundle(bytes);
    expect(back).toEqual(bundle);
    expect(encodeBundle(back).equals(bytes)).toBe(true);
    expect(bytes.length).toBe(BUNDLE_OVERHEAD + bundle.manifestBytes.length + bundle.module.length);
  });

  it('patch: every truncation and every extra byte is refused as BAD_BUNDLE', () => {
    const { bytes } = handMade();
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeBundle(bytes.subarray(0, n))).toThrowError(PatchError);
    }
    const longer = Buffer.concat([bytes, Buffer.from([0])]);
    expect(() => decodeBundle(longer)).toThrow(/BAD_BUNDLE/);
  });

  it('patch: bad magic, format, algorithm and manifest are typed BAD_BUNDLE refusals', () => {
    const { bytes } = handMade();
    const at = (i: number, v: number) => {
      const b = Buffer.from(bytes);
      b[i] = v;
      return b;
    };
    for (const b of [at(0, 0x58), at(4, 2), at(5, 9), at(44, 0x5b)]) {
      try {
        decodeBundle(b);
        expect.unreachable();
      } catch (e) {
        expect((e as PatchError).code).toBe('BAD_BUNDLE');
      }
    }
  });

  it('patch: sign writes the signer key id and a 64-byte ed25519 signature at the end', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const b = signBundle({ id: 'x', version: 1, target: 'v1' }, 'export default () => ({})', privateKey);
    const d = decodeBundle(b);
    expect(d.keyId.equals(keyIdOf(publicKey))).toBe(true);
    expect(d.signature.length).toBe(64);
    expect(d.manifestBytes.toString()).toBe('{"id":"x","version":1,"target":"v1"}');
    expect(encodeBundle(d).equals(b)).toBe(true);
  });
});
