import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ALL_COMMAND_FAMILIES } from '../commands/index.js';
import { CommandRegistry } from '../commands/registry.js';
import { KvBusType } from '../bus/constants.js';
import { decodePatchRequest, encodePatch, patchExt } from '../bus/patch-messages.js';
import { trustedKey } from './keys.js';
import { PatchManager, REREQUEST_MS } from './manager.js';
import { signBundle } from './sign.js';
import { StageTable } from './stages.js';
import { makeSyntheticPatch } from './synth.js';

const keys = generateKeyPairSync('ed25519');
const trust = [trustedKey(keys.publicKey.export({ type: 'spki', format: 'pem' }))];

interface Sent { from: string; to: string; type: number; data: Buffer }

/** Managers joined by a fake bus that queues frames; `deliver()` hands them over. */
function mesh(names: string[]) {
  let clock = 1_000_000;
  const queue: Sent[] = [];
  const log: Sent[] = [];
  const managers = new Map<string, PatchManager>();
  for (const name of names) {
    const registry = new CommandRegistry(ALL_COMMAND_FAMILIES);
    const stages = new StageTable();
    managers.set(name, new PatchManager({
      trust, codeVersion: 'v1',
      target: { registry, stages, lookup: (n) => registry.lookup(n), stage: (n) => stages.get(n), hasStage: (n) => stages.has(n) },
      bus: {
        patchPeers: () => names.filter((n) => n !== name && managers.get(name)!.supports(n)),
        send: (to, type, data) => {
          const s = { from: name, to, type, data };
          queue.push(s);
          log.push(s);
          return 2256 + data.length;
        },
      },
      log: () => undefined,
      now: () => clock,
    }));
  }
  const m = (n: string) => managers.get(n)!;
  return {
    m, log,
    tick: (ms: number) => void (clock += ms),
    /** Every node sends one ping to every other (the ping extension of each). */
    gossip: () => {
      for (const a of names) for (const b of names) if (a !== b) m(b).onPing(a, m(a).pingExts(b));
    },
    deliver: async () => {
      while (queue.length) {
        const s = queue.shift()!;
        m(s.to).onMessage(s.from, s.type, s.data, 2256 + s.data.length);
      }
      await new Promise((r) => setTimeout(r, 20));
    },
  };
}

describe('patch manager', () => {
  it('patch: pull spreads a patch through PATCH_REQUEST/PATCH once peers see the advert', async () => {
    const net = mesh(['a', 'b', 'c']);
    net.gossip(); // everyone learns everyone has patch support
    const bundle = makeSyntheticPatch({ size: 2000, version: 1, target: 'v1', privateKey: keys.privateKey });
    expect((await net.m('a').register(bundle, 'pull')).state).toBe('applied');
    expect(net.log.length).toBe(0); // pull sends nothing by itself
    net.gossip();
    await net.deliver();
    for (const n of ['b', 'c']) expect(net.m(n).get(1)).toMatchObject({ state: 'applied', via: 'bus', from: 'a' });
    expect(net.log.filter((s) => s.type === KvBusType.PATCH_REQUEST).length).toBe(2);
    expect(net.log.filter((s) => s.type === KvBusType.PATCH).length).toBe(2);
    expect(net.m('b').advert()).toEqual({ version: 1, bitmap: 1 });
  });

  it('patch: a node that lacks several versions pulls them oldest first and ends on the newest code', async () => {
    const net = mesh(['a', 'b']);
    net.gossip();
    // Three patches of the same command: which one answers tells the order they applied in.
    const echoSays = (word: string) =>
      `export default (api) => ({ commands: [{ ...api.command('echo'), execute: () => api.reply.status('${word}') }] });`;
    const words = ['one', 'two', 'three'];
    for (let v = 1; v <= 3; v++) {
      await net.m('a').register(signBundle({ id: `echo-${words[v - 1]}`, version: v, target: 'v1' }, echoSays(words[v - 1]!), keys.privateKey), 'pull');
    }
    net.gossip();
    const request = net.log.find((s) => s.type === KvBusType.PATCH_REQUEST)!;
    expect(decodePatchRequest(request.data)).toEqual([1, 2, 3]);
    await net.deliver();
    expect(net.m('b').list().map((r) => r.state)).toEqual(['applied', 'applied', 'applied']);
    const echo = (net.m('b') as unknown as { d: { target: { lookup(n: string): { execute(c: unknown, a: Buffer[]): unknown } } } }).d.target.lookup('echo');
    expect(JSON.stringify(echo.execute({}, []))).toContain('three');
  });

  it("patch: a PATCH frame whose version differs from its bundle's manifest is refused as BAD_BUNDLE and nothing is applied or kept", async () => {
    const net = mesh(['a', 'b']);
    net.gossip();
    const bundle = makeSyntheticPatch({ size: 1000, version: 3, target: 'v1', privateKey: keys.privateKey });
    net.m('b').onMessage('a', KvBusType.PATCH, encodePatch(7, bundle), 2256 + 8 + bundle.length);
    await new Promise((r) => setTimeout(r, 20));
    expect(net.m('b').get(3)).toBeUndefined();
    expect(net.m('b').get(7)).toBeUndefined();
    expect(net.m('b').list()).toMatchObject([{ state: 'refused', via: 'bus', from: 'a', refusal: { code: 'BAD_BUNDLE' } }]);
    expect(net.m('b').list()[0]!.refusal!.message).toMatch(/frame of version 7 carries a bundle of version 3/);
    expect(net.m('b').advert()).toEqual({ version: 0, bitmap: 0 });
    // The same bundle in a right frame is applied.
    net.m('b').onMessage('a', KvBusType.PATCH, encodePatch(3, bundle), 2256 + 8 + bundle.length);
    await new Promise((r) => setTimeout(r, 20));
    expect(net.m('b').get(3)).toMatchObject({ state: 'applied' });
  });

  it('patch: after a damaged copy from one peer, the version is pulled from another peer; a refused patch itself is not asked for again', async () => {
    const net = mesh(['a', 'b', 'c']);
    net.gossip();
    const good = makeSyntheticPatch({ size: 1000, version: 5, target: 'v1', privateKey: keys.privateKey });
    const damaged = Buffer.from(good);
    damaged[damaged.length - 1]! ^= 0xff; // the module's last byte: the signature no longer verifies
    net.m('b').onMessage('a', KvBusType.PATCH, encodePatch(5, damaged), 2256 + 8 + damaged.length);
    await new Promise((r) => setTimeout(r, 20));
    expect(net.m('b').get(5)).toMatchObject({ state: 'refused', refusal: { code: 'BAD_SIGNATURE' } });
    await net.m('c').register(good, 'pull');
    net.gossip();
    const asked = net.log.filter((s) => s.type === KvBusType.PATCH_REQUEST && s.from === 'b');
    expect(asked.map((s) => [s.to, decodePatchRequest(s.data)])).toEqual([['c', [5]]]);
    await net.deliver();
    expect(net.m('b').get(5)).toMatchObject({ state: 'applied', from: 'c' });

    // A patch refused for what it is (another target) stays refused: no request loop.
    const other = makeSyntheticPatch({ size: 1000, version: 6, target: 'v9', privateKey: keys.privateKey });
    net.m('b').onMessage('c', KvBusType.PATCH, encodePatch(6, other), 2256 + 8 + other.length);
    await new Promise((r) => setTimeout(r, 20));
    expect(net.m('b').get(6)).toMatchObject({ state: 'refused', refusal: { code: 'WRONG_TARGET' } });
    const before = net.log.length;
    net.m('b').onPing('c', [patchExt({ version: 6, bitmap: 0b11 })]); // c advertises 6 and 5
    expect(net.log.length).toBe(before);
  });

  it('patch: an unanswered request is sent again only after 5 s', async () => {
    const net = mesh(['a', 'b']);
    net.gossip();
    await net.m('a').register(makeSyntheticPatch({ size: 1000, version: 4, target: 'v1', privateKey: keys.privateKey }), 'pull');
    const requests = () => net.log.filter((s) => s.type === KvBusType.PATCH_REQUEST).length;
    net.gossip(); // b asks; the request is lost (never delivered)
    expect(requests()).toBe(1);
    net.tick(REREQUEST_MS - 1);
    net.gossip();
    expect(requests()).toBe(1);
    net.tick(1);
    net.gossip();
    expect(requests()).toBe(2);
  });

  it('patch: push sends the bundle to every patch peer at once and every node records it', async () => {
    const net = mesh(['a', 'b', 'c']);
    net.gossip();
    const bundle = signBundle({ id: 'p', version: 2, target: 'v1' }, 'export default () => ({})', keys.privateKey);
    await net.m('b').register(bundle, 'push');
    expect(net.log.map((s) => `${s.from}>${s.to}:${s.type}`).sort()).toEqual(['b>a:12', 'b>c:12']);
    await net.deliver();
    expect(net.m('b').get(2)).toMatchObject({ state: 'applied', via: 'push' });
    for (const n of ['a', 'c']) expect(net.m(n).get(2)?.receivedMs).toBeGreaterThan(0);
  });

  it('patch: a refused patch is refused on every node, never asked for again, and peers without the extension get none', async () => {
    const net = mesh(['a', 'b']);
    net.gossip();
    const other = generateKeyPairSync('ed25519');
    await net.m('a').register(signBundle({ id: 'evil', version: 3, target: 'v1' }, 'export default () => ({})', other.privateKey), 'push');
    await net.deliver();
    for (const n of ['a', 'b']) {
      expect(net.m(n).get(3)).toMatchObject({ state: 'refused', refusal: { code: 'UNTRUSTED_KEY' } });
      expect(net.m(n).lastRefusal).toBe('UNTRUSTED_KEY');
      expect(net.m(n).appliedCount).toBe(0);
    }
    // A redis-server peer: its pings carry no extension, so it stops getting ours.
    net.m('a').onPing('redis', []);
    expect(net.m('a').pingExts('redis')).toEqual([]);
    expect(net.m('a').pingExts('b')).toHaveLength(1);
  });
});
