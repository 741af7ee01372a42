import { describe, expect, it } from 'vitest';
import { parsePatchLine } from './live-patch.js';
import { nextCodeVersion, withCodeVersion } from './node-process.js';

describe('controller: live patch and code versions', () => {
  it("controller: reads a node's timestamps of one version from INFO patches", () => {
    const info = { patch_v2: 'id=synthetic-v2,state=applied,via=bus,bytes=20000,registered_ms=0,received_ms=1795299983917,applied_ms=1795299983919,refusal=' };
    expect(parsePatchLine(info, 2)).toEqual({ state: 'applied', registered_ms: 0, received_ms: 1795299983917, applied_ms: 1795299983919, refusal: '' });
    expect(parsePatchLine(info, 3)).toBeUndefined();
  });

  it('controller: a restart as the new version bumps the trailing number of --code-version', () => {
    expect(nextCodeVersion('v1')).toBe('v2');
    expect(nextCodeVersion('1.0.9')).toBe('1.0.10');
    expect(nextCodeVersion('beta')).toBe('beta-next');
    expect(withCodeVersion(['node', 'x', '--code-version', 'v1', '--dir', 'd'], 'v2')).toEqual(['node', 'x', '--code-version', 'v2', '--dir', 'd']);
    expect(withCodeVersion(['node', 'x'], 'v2')).toEqual(['node', 'x', '--code-version', 'v2']);
  });
});
