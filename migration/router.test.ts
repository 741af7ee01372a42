import type { Command, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { keyHashSlot } from '../cluster/store/slot.js';
import { GroupTable } from './group-state.js';
import { MigrationRouter } from './router.js';

/**
 * A node as the router sees it: GET/SET on a map, ASKING recorded. Commands answer on
 * the next tick, like a socket would.
 */
function fakeNode() {
  const data = new Map<string, string>();
  const log: string[] = [];
  const conn = {
    sendCommand(cmd: Command) {
      const [key, value] = cmd.args.map(String);
      log.push(`${cmd.name} ${key ?? ''}`.trim());
      setImmediate(() => {
        if (cmd.name === 'asking') return cmd.resolve('OK');
        if (cmd.name === 'set') {
          data.set(key!, value!);
          return cmd.resolve('OK');
        }
        cmd.resolve(data.get(key!) ?? null);
      });
    },
  };
  return { data, log, conn: conn as unknown as Redis };
}

function rig() {
  const key = 'k1';
  const slot = keyHashSlot(key);
  const source = fakeNode();
  const dest = fakeNode();
  const groups = new GroupTable([slot]);
  const router = new MigrationRouter(groups, dest.conn);
  const base = {
    get: async (k: string) => { source.log.push(`get ${k}`); return source.data.get(k) ?? null; },
    set: async (k: string, v: string) => { source.log.push(`set ${k}`); source.data.set(k, v); return 'OK'; },
  };
  return { key, slot, source, dest, groups, router, client: router.client(base) };
}

describe('migration router (Fulva\'s client)', () => {
  it('router: inactive, or a key outside the move, goes to the cluster client only', async () => {
    const r = rig();
    await r.client.set(r.key, 'a');
    r.router.active = true;
    await r.client.set('other-key-not-moving', 'b');
    expect(r.dest.log).toEqual([]);
    expect(r.source.data.get(r.key)).toBe('a');
  });

  it('router fulva: writes to the destination from the start; reads of groups not migrated go to both', async () => {
    const r = rig();
    r.source.data.set(r.key, 'old');
    r.router.active = true;
    expect(await r.client.get(r.key)).toBe('old');
    await r.client.set(r.key, 'new');
    expect(r.source.data.get(r.key)).toBe('old');
    expect(await r.client.get(r.key)).toBe('new');
    expect(r.router.counters.duplicateReads).toBe(2);
  });

  it('router: drain waits for operations sent to the source before the call, not for later ones', async () => {
    const r = rig();
    r.router.active = true;
    let release = () => undefined as void;
    const slow = new Promise<void>((res) => (release = res));
    const base = { get: async () => { await slow; return 'x'; }, set: async () => 'OK' };
    const pending = r.router.client(base).get(r.key);
    let drained = false;
    const d = r.router.drain(r.slot).then(() => (drained = true));
    await new Promise((res) => setImmediate(res));
    expect(drained).toBe(false);
    release();
    await pending;
    await d;
    expect(drained).toBe(true);
  });
});
