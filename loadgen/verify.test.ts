import { describe, expect, it } from 'vitest';
import type { KvClient } from './connect.js';
import { STRING_FIELD, Verifier } from './verify.js';

/** A store that answers GET from a map: the read-back side only, deterministic. */
function storeWith(values: Record<string, string>): KvClient {
  return {
    async call(name, args) {
      if (name !== 'get') throw new Error(`unexpected ${name}`);
      const v = values[String(args[0])];
      return v === undefined ? null : Buffer.from(v);
    },
    async usedMemory() {
      return 0;
    },
    async close() {},
  };
}
const b = (s: string) => Buffer.from(s);

describe('loadgen --verify', () => {
  it('verify: the last acknowledged value is required once writes did not overlap', async () => {
    const v = new Verifier();
    v.begin('k', STRING_FIELD);
    v.end('k', STRING_FIELD, b('one'), true);
    v.begin('k', STRING_FIELD);
    v.end('k', STRING_FIELD, b('two'), true);
    expect((await v.check(storeWith({ k: 'two' }))).stale).toBe(0);
    expect((await v.check(storeWith({ k: 'one' }))).stale).toBe(1);
    expect((await v.check(storeWith({}))).lost).toBe(1);
  });

  it('verify: any value of overlapping writes, or of a failed write, is a legal final state', async () => {
    const v = new Verifier();
    v.begin('k', STRING_FIELD);
    v.begin('k', STRING_FIELD);
    v.end('k', STRING_FIELD, b('b'), true);
    v.end('k', STRING_FIELD, b('a'), true); // a was sent first and may have been applied last
    v.begin('x', STRING_FIELD);
    v.end('x', STRING_FIELD, b('acked'), true);
    v.begin('x', STRING_FIELD);
    v.end('x', STRING_FIELD, b('failed'), false);
    for (const [k, x] of [['a', 'acked'], ['b', 'failed']]) {
      const r = await v.check(storeWith({ k: k!, x: x! }));
      expect([r.lost, r.stale, r.checked, r.acknowledged_writes]).toEqual([0, 0, 2, 3]);
    }
    expect((await v.check(storeWith({ k: 'c', x: 'acked' }))).stale).toBe(1);
  });

  it('verify: keys only ever written by failed writes are not counted as lost', async () => {
    const v = new Verifier();
    v.begin('k', STRING_FIELD);
    v.end('k', STRING_FIELD, b('never acked'), false);
    const r = await v.check(storeWith({}));
    expect([r.checked, r.lost]).toEqual([0, 0]);
  });
});
