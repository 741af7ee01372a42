import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sleep, waitFor } from '../launcher/admin.js';
import { encodeReply } from '../resp/encode.js';
import { dumpValue } from '../store/dump.js';
import { Keyspace } from '../store/keyspace.js';
import { keyHashSlot } from '../store/slot.js';
import { ClusterState } from '../topology/state.js';
import { defaultConfig } from './config.js';
import { KvNode } from './node.js';
import { IncomingGroups, isBlindWrite } from './rocksteady-groups.js';
import { RocksteadySource } from './rocksteady-source.js';
import { formatSlotTokens as slotTokens } from '../store/slot-tokens.js';

const str = (v: string) => ({ type: 'string' as const, value: Buffer.from(v) });
const b = (...xs: string[]) => xs.map((x) => Buffer.from(x));

/** The first key `<prefix><i>` that hashes to `slot`. */
function keyIn(slot: number, prefix = 'k'): string {
  for (let i = 0; ; i++) if (keyHashSlot(`${prefix}${i}`) === slot) return `${prefix}${i}`;
}

function sourceOver(db: Keyspace, now = 1_000_000): RocksteadySource {
  const noop = () => undefined;
  return new RocksteadySource({ db, cluster: new ClusterState(), now: () => now, saveClusterConfig: noop, claim: noop, propagate: noop, log: noop });
}

describe('rocksteady: pull replies', () => {
  it('rocksteady: PULL answers [next cursor, [key, pttl, DUMP payload ...]] byte for byte, paging through a frozen key list', () => {
    const db = new Keyspace();
    const a = keyIn(7);
    const c = keyIn(7, 'x');
    db.set(a, str('v1'));
    db.set(c, str('v2'), { expireAt: 1_000_000 + 4321 });
    const src = sourceOver(db);
    const pa = dumpValue(db.get(a, 0)!);
    const pc = dumpValue(db.get(c, 0)!);
    const entry = (k: string, ttl: number, p: Buffer) => Buffer.concat([Buffer.from(`$${k.length}\r\n${k}\r\n:${ttl}\r\n$${p.length}\r\n`), p, Buffer.from('\r\n')]);
    expect(encodeReply(src.pull(7, 0, 1))).toEqual(Buffer.concat([Buffer.from('*2\r\n:1\r\n*3\r\n'), entry(a, -1, pa)]));
    // A key of the page that expires meanwhile is reported gone; the cursor skips nothing.
    expect(encodeReply(src.pull(7, 1, 5))).toEqual(Buffer.concat([Buffer.from('*2\r\n:0\r\n*3\r\n'), entry(c, 4321, pc)]));
    expect(encodeReply(src.pull(8, 0, 5))).toEqual(Buffer.from('*2\r\n:0\r\n*0\r\n'));
  });

  it('rocksteady: PULL-KEYS answers every key asked for, a missing one as pttl -2 and a nil payload', () => {
    const db = new Keyspace();
    db.set('here', str('x'));
    const p = dumpValue(db.get('here', 0)!);
    expect(encodeReply(sourceOver(db).pullKeys(['here', 'gone']))).toEqual(
      Buffer.concat([Buffer.from(`*6\r\n$4\r\nhere\r\n:-1\r\n$${p.length}\r\n`), p, Buffer.from('\r\n$4\r\ngone\r\n:-2\r\n$-1\r\n')]),
    );
  });

  it('rocksteady: slot lists travel as A-B tokens', () => {
    expect(slotTokens([0, 1, 2, 5, 7, 8])).toEqual(['0-2', '5', '7-8']);
  });
});

describe('rocksteady: resolved keys at the destination', () => {
  const k = keyIn(3);
  const other = keyIn(3, 'o');
  it('rocksteady: a read of a key not resolved yet asks for a priority pull; once pulled it is served', () => {
    const g = new IncomingGroups([3]);
    expect(g.decide('get', b('GET', k), [k])).toEqual({ serve: false, pull: [k] });
    expect(g.accept(k)).toBe(true);
    expect(g.decide('get', b('GET', k), [k])).toEqual({ serve: true });
    // Pulled once: a second copy (the background batch) is dropped.
    expect(g.accept(k)).toBe(false);
  });

  it('rocksteady: a blind SET is served at once and a later pull never overwrites it', () => {
    const g = new IncomingGroups([3]);
    expect(g.decide('set', b('SET', k, 'v', 'PX', '100'), [k])).toEqual({ serve: true });
    g.wrote([k]);
    expect(g.accept(k)).toBe(false);
    expect(g.accept(other)).toBe(true);
  });

  it('rocksteady: writes that depend on the old value (SET NX/GET/KEEPTTL, INCR, DEL) wait for the pull', () => {
    const g = new IncomingGroups([3]);
    for (const args of [b('SET', k, 'v', 'NX'), b('SET', k, 'v', 'GET'), b('SET', k, 'v', 'KEEPTTL'), b('INCR', k), b('DEL', k)]) {
      expect(g.decide(args[0]!.toString().toLowerCase(), args, [k])).toEqual({ serve: false, pull: [k] });
    }
    expect(isBlindWrite('set', b('SET', k, 'v', 'EX', '5'))).toBe(true);
    expect(isBlindWrite('set', b('SET', k, 'v', 'XX'))).toBe(false);
  });

  it('rocksteady: a deleted key stays deleted, and a pulled group serves everything', () => {
    const g = new IncomingGroups([3]);
    expect(g.accept(k)).toBe(true);
    g.wrote([k]); // DEL k ran here
    expect(g.accept(k)).toBe(false);
    expect(g.decide('get', b('GET', other), [other]).serve).toBe(false);
    g.markPulled(3);
    expect(g.decide('get', b('GET', other), [other]).serve).toBe(true);
    expect(g.accept(other)).toBe(false);
    expect(g.notPulled(3)).toBe(false);
    // Keys outside the move are never gated.
    expect(new IncomingGroups([3]).decide('get', b('GET', keyIn(4)), [keyIn(4)]).serve).toBe(true);
  });
});

/*
 * Two in-process masters on real ports 20401-20402 (bus 30401-30402): A owns every slot,
 * B none; B pulls slots 0-3 from A.
 */
describe('rocksteady: two nodes', () => {
  const dirs: string[] = [];
  let a: KvNode;
  let bNode: KvNode;
  const PA = 20401;
  const PB = 20402;
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'kvnetlab-rocksteady-')));
    a = new KvNode(defaultConfig({ port: PA, dir: dirs[0]!, nodeTimeout: 5000 }));
    bNode = new KvNode(defaultConfig({ port: PB, dir: dirs[1]!, nodeTimeout: 5000 }));
    await a.start();
    await bNode.start();
    await call('127.0.0.1', PA, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
    await call('127.0.0.1', PB, ['CLUSTER', 'MEET', '127.0.0.1', PA]);
    await waitFor('B knows A and its slots', 10_000, async () => bNode.cluster.slots[0]?.name === a.cluster.myself.name && a.cluster.lookup(bNode.cluster.myself.name) !== undefined, 50);
    await waitFor('cluster ok on both', 10_000, async () => a.cluster.health === 'ok' && bNode.cluster.health === 'ok', 50);
  }, 30_000);
  afterAll(async () => {
    await bNode?.stop();
    await a?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('rocksteady: ownership moves first (the source redirects at once), a miss is pulled with priority and retried, a blind write is never overwritten, the source keeps its copies until RELEASE', async () => {
    const keys = [0, 1, 2, 3].map((s) => keyIn(s, 'rs'));
    for (const k of keys) await call('127.0.0.1', PA, ['SET', k, `old-${k}`]);
    const start = await call('127.0.0.1', PB, ['KVNETLAB.MIGRATE-IN', 'START', a.cluster.myself.name, '127.0.0.1', PA, '0-3', 'BATCH', 1, 'PAUSE', 400]);
    expect(start).toEqual({ t: 'status', v: 'OK' });
    expect(await call('127.0.0.1', PA, ['GET', keys[3]!])).toEqual({ t: 'error', v: `MOVED 3 127.0.0.1:${PB}` });
    // Slot 3 is pulled last (after 3 pauses): a read of it now is a miss.
    expect(await call('127.0.0.1', PB, ['GET', keys[3]!])).toMatchObject({ t: 'error', v: expect.stringMatching(/^TRYAGAIN /) });
    await sleep(50);
    expect(await call('127.0.0.1', PB, ['GET', keys[3]!])).toEqual({ t: 'bulk', v: Buffer.from(`old-${keys[3]}`) });
    const blind = keyIn(3, 'blind');
    expect(await call('127.0.0.1', PB, ['SET', blind, 'new'])).toEqual({ t: 'status', v: 'OK' });
    await waitFor('B done', 10_000, async () => {
      const r = await call('127.0.0.1', PB, ['KVNETLAB.MIGRATE-IN', 'STATUS']);
      return r.t === 'array' && r.v![1]!.t === 'bulk' && r.v![1]!.v!.toString() === 'done';
    }, 50);
    expect(await call('127.0.0.1', PB, ['GET', blind])).toEqual({ t: 'bulk', v: Buffer.from('new') });
    for (const k of keys) expect(await call('127.0.0.1', PB, ['GET', k])).toEqual({ t: 'bulk', v: Buffer.from(`old-${k}`) });
    // The source still holds its copies (the bus did not delete them), until RELEASE.
    expect(await call('127.0.0.1', PA, ['CLUSTER', 'COUNTKEYSINSLOT', 3])).toEqual({ t: 'int', v: 1 });
    expect(await call('127.0.0.1', PA, ['KVNETLAB.PULL-SOURCE', 'RELEASE', '0-3'])).toEqual({ t: 'int', v: 4 });
    expect(await call('127.0.0.1', PA, ['CLUSTER', 'COUNTKEYSINSLOT', 3])).toEqual({ t: 'int', v: 0 });
    expect(bNode.cluster.slots[3]).toBe(bNode.cluster.myself);
    await waitFor('A learns the claim', 5000, async () => a.cluster.slots[3]?.name === bNode.cluster.myself.name, 50);
  }, 30_000);

  it('rocksteady: ABORT at the destination and RECLAIM at the source give every slot back to the source, which serves every key', async () => {
    const keys = [10, 11].map((s) => keyIn(s, 'ab'));
    for (const k of keys) await call('127.0.0.1', PA, ['SET', k, 'v']);
    await call('127.0.0.1', PB, ['KVNETLAB.MIGRATE-IN', 'START', a.cluster.myself.name, '127.0.0.1', PA, '10-11', 'BATCH', 1, 'PAUSE', 5000]);
    await waitFor('slot 10 pulled', 5000, async () => (await call('127.0.0.1', PB, ['CLUSTER', 'COUNTKEYSINSLOT', 10])).t === 'int' && bNode.rocksteady.dest.counters.pulled === 1, 20);
    expect(await call('127.0.0.1', PB, ['GET', keys[0]!])).toEqual({ t: 'bulk', v: Buffer.from('v') });
    expect(await call('127.0.0.1', PB, ['KVNETLAB.MIGRATE-IN', 'ABORT'])).toMatchObject({ t: 'int' });
    expect(bNode.cluster.slots[10]).toBe(bNode.cluster.lookup(a.cluster.myself.name));
    expect(await call('127.0.0.1', PA, ['KVNETLAB.PULL-SOURCE', 'RECLAIM', '10-11'])).toEqual({ t: 'int', v: 2 });
    for (const k of keys) expect(await call('127.0.0.1', PA, ['GET', k])).toEqual({ t: 'bulk', v: Buffer.from('v') });
    expect(await call('127.0.0.1', PB, ['CLUSTER', 'COUNTKEYSINSLOT', 10])).toEqual({ t: 'int', v: 0 });
    await sleep(300);
    // The source's fresh epoch wins everywhere: B still sees A as the owner after the PONGs.
    expect(bNode.cluster.slots[11]?.name).toBe(a.cluster.myself.name);
    expect(a.cluster.slots[11]).toBe(a.cluster.myself);
  }, 30_000);

  it('rocksteady: the destination refuses a START for slots the source does not serve, the source a HANDOFF to itself, a PULL a slot out of range', async () => {
    expect(await call('127.0.0.1', PB, ['KVNETLAB.MIGRATE-IN', 'START', a.cluster.myself.name, '127.0.0.1', PA, '0-3'])).toMatchObject({ t: 'error', v: 'ERR Hash slot 0 is not served by the source' });
    expect(await call('127.0.0.1', PA, ['KVNETLAB.PULL-SOURCE', 'HANDOFF', a.cluster.myself.name, '20'])).toMatchObject({ t: 'error' });
    expect(await call('127.0.0.1', PB, ['KVNETLAB.PULL', 99999, 0, 1])).toEqual({ t: 'error', v: 'ERR Invalid or out of range slot' });
  });
});
