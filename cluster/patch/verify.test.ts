import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CommandRegistry } from '../commands/registry.js';
import { ALL_COMMAND_FAMILIES } from '../commands/index.js';
import { applyNow } from './apply.js';
import { decodeBundle } from './bundle.js';
import type { PatchError } from './errors.js';
import { trustedKey } from './keys.js';
import { loadPatch } from './load.js';
import { signBundle } from './sign.js';
import { StageTable } from './stages.js';
import { makeSyntheticPatch, minSyntheticSize } from './synth.js';
import { verifyBundle } from './verify.js';

const keys = generateKeyPairSync('ed25519');
const trust = [trustedKey(keys.publicKey.export({ type: 'spki', format: 'pem' }), 'test')];
const SHOUT = `export default (api) => { const e = api.command('echo'); return { commands: [{ ...e, execute: (c, a) => api.reply.bulk(a[1].toString().toUpperCase()) }] }; };`;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as PatchError).code;
  }
  return 'none';
}

async function codeAsync(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'none', (e: PatchError) => e.code);
}

function target() {
  const registry = new CommandRegistry(ALL_COMMAND_FAMILIES);
  const stages = new StageTable();
  stages.register('greeting', () => 'hello');
  return { registry, stages, lookup: (n: string) => registry.lookup(n), stage: (n: string) => stages.get(n), hasStage: (n: string) => stages.has(n) };
}

describe('patch verify, load, apply', () => {
  const good = signBundle({ id: 'shout', version: 1, target: 'v1' }, SHOUT, keys.privateKey);

  it('patch: a bundle signed by a trusted key for this version verifies', () => {
    expect(verifyBundle(good, trust, 'v1').manifest.id).toBe('shout');
  });

  it('patch: one flipped byte in the key id, the module or the signature fails as BAD_SIGNATURE or UNTRUSTED_KEY', () => {
    const moduleStart = 44 + decodeBundle(good).manifestBytes.length;
    for (const i of [moduleStart, moduleStart + 10, good.length - 70, good.length - 1]) {
      const t = Buffer.from(good);
      t[i] ^= 1;
      expect(code(() => verifyBundle(t, trust, 'v1'))).toBe('BAD_SIGNATURE');
    }
    const k = Buffer.from(good);
    k[12] ^= 1;
    expect(code(() => verifyBundle(k, trust, 'v1'))).toBe('UNTRUSTED_KEY');
  });

  it('patch: an unknown signer is UNTRUSTED_KEY and another target is WRONG_TARGET', () => {
    const other = generateKeyPairSync('ed25519');
    expect(code(() => verifyBundle(signBundle({ id: 'a', version: 1, target: 'v1' }, SHOUT, other.privateKey), trust, 'v1'))).toBe('UNTRUSTED_KEY');
    expect(code(() => verifyBundle(good, [], 'v1'))).toBe('UNTRUSTED_KEY');
    expect(code(() => verifyBundle(good, trust, 'v2'))).toBe('WRONG_TARGET');
  });

  it('patch: a module that throws while loading, or whose factory throws, is LOAD_FAILED; bad exports are BAD_MODULE', async () => {
    const t = target();
    const m = { id: 'x', version: 1, target: 'v1' };
    expect(await codeAsync(loadPatch(Buffer.from('throw new Error("boom")'), m, 'v1', t))).toBe('LOAD_FAILED');
    expect(await codeAsync(loadPatch(Buffer.from('export default () => { throw new Error("no") }'), m, 'v1', t))).toBe('LOAD_FAILED');
    expect(await codeAsync(loadPatch(Buffer.from('export default () => {'), m, 'v1', t))).toBe('LOAD_FAILED');
    expect(await codeAsync(loadPatch(Buffer.from('export const x = 1'), m, 'v1', t))).toBe('BAD_MODULE');
    expect(await codeAsync(loadPatch(Buffer.from('export default () => ({ stages: { nope: 1 } })'), m, 'v1', t))).toBe('BAD_MODULE');
  });

  it('patch: applying swaps the command entry and a stage, and leaves the rest of the table alone', async () => {
    const t = target();
    const before = t.registry.all().length;
    const get = t.registry.lookup('get');
    const b = decodeBundle(good);
    const changes = await loadPatch(b.module, b.manifest, 'v1', t);
    const applied = applyNow(t, { ...changes, stages: { greeting: () => 'patched' } });
    expect(applied.commands).toEqual(['echo']);
    expect(applied.stages).toEqual(['greeting']);
    const echo = t.registry.lookup('ECHO')!;
    const reply = await echo.execute({} as never, [Buffer.from('echo'), Buffer.from('hi')]);
    expect(reply).toEqual({ t: 'bulk', v: Buffer.from('HI') });
    expect(t.registry.lookup('get')).toBe(get);
    expect(t.registry.all().length).toBe(before);
    expect(t.stages.get<() => string>('greeting')!()).toBe('patched');
  });

  it('patch: a synthetic patch is exactly the size asked for, verifies and replaces nothing', async () => {
    const min = minSyntheticSize({ version: 3, target: 'v1' });
    for (const size of [min, min + 1, 10_000]) {
      const b = makeSyntheticPatch({ size, version: 3, target: 'v1', privateKey: keys.privateKey });
      expect(b.length).toBe(size);
      const v = verifyBundle(b, trust, 'v1');
      const changes = await loadPatch(v.module, v.manifest, 'v1', target());
      expect(changes.commands).toEqual([]);
    }
    expect(() => makeSyntheticPatch({ size: min - 1, version: 3, target: 'v1', privateKey: keys.privateKey })).toThrow();
  });
});
