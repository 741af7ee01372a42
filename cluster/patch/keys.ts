/**
 * ed25519 keys for patches (node:crypto). The key id in a bundle is the SHA-256 of the
 * public key's SPKI DER, so a node can tell "signed by a key I don't trust" from
 * "signature does not verify".
 */
import { type KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_KEY_FILE = 'patch-key.pem';
export const PUBLIC_KEY_FILE = 'patch-key.pub.pem';

export interface TrustedKey {
  id: Buffer;
  key: KeyObject;
  /** Where it came from (a file name), for logs. */
  source: string;
}

export function keyIdOf(publicKey: KeyObject): Buffer {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
}

export function trustedKey(pem: string | Buffer, source = 'inline'): TrustedKey {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${source}: not an ed25519 public key`);
  return { id: keyIdOf(key), key, source };
}

export function loadTrustedKeys(files: string[]): TrustedKey[] {
  return files.map((f) => trustedKey(readFileSync(f), f));
}

export function loadPrivateKey(file: string): KeyObject {
  const key = createPrivateKey(readFileSync(file));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: not an ed25519 private key`);
  return key;
}

/** Writes `<dir>/patch-key.pem` (mode 0600) and `<dir>/patch-key.pub.pem` unless both exist. */
export function ensureKeyPair(dir: string): { privateFile: string; publicFile: string; created: boolean } {
  const privateFile = join(dir, PRIVATE_KEY_FILE);
  const publicFile = join(dir, PUBLIC_KEY_FILE);
  if (existsSync(privateFile) && existsSync(publicFile)) return { privateFile, publicFile, created: false };
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(privateFile, 0o600);
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateFile, publicFile, created: true };
}
