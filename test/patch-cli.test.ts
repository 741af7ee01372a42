import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '../cluster/patch/bundle.js';
import { loadTrustedKeys } from '../cluster/patch/keys.js';
import { verifyBundle } from '../cluster/patch/verify.js';
import { runCli } from './support/run-cli.js';

/** `kvnetlab patch keygen | sign | synth`: files a node accepts (no cluster needed). */
describe('kvnetlab patch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvnl-patch-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('patch cli: keygen writes a 0600 private key; sign and synth write bundles that verify against it', async () => {
    expect((await runCli(['patch', 'keygen', '--out-dir', dir])).code).toBe(0);
    expect(statSync(join(dir, 'patch-key.pem')).mode & 0o777).toBe(0o600);
    const trust = loadTrustedKeys([join(dir, 'patch-key.pub.pem')]);

    const signed = await runCli(['patch', 'sign', '--module', join(import.meta.dirname, '..', 'patches', 'echo-shout.mjs'), '--id', 'echo-shout', '--version', '3',
      '--target', 'v7', '--key', join(dir, 'patch-key.pem'), '--out', join(dir, 'echo.kvpb')]);
    expect(signed.code, signed.stderr).toBe(0);
    const echo = verifyBundle(readFileSync(join(dir, 'echo.kvpb')), trust, 'v7');
    expect(echo.manifest).toEqual({ id: 'echo-shout', version: 3, target: 'v7' });

    const synth = await runCli(['patch', 'synth', '--size', '50000', '--version', '4', '--dir', dir, '--out', join(dir, 's.kvpb')]);
    expect(synth.code, synth.stderr).toBe(0);
    const bytes = readFileSync(join(dir, 's.kvpb'));
    expect(bytes.length).toBe(50_000);
    expect(verifyBundle(bytes, trust, 'v1').manifest.id).toBe('synthetic-v4');

    const small = await runCli(['patch', 'synth', '--size', '10', '--version', '4', '--dir', dir, '--out', join(dir, 't.kvpb')]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/needs at least \d+ bytes/);
    expect(decodeBundle(bytes).manifest.version).toBe(4);
  }, 60_000);
});
