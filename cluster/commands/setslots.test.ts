import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvNode } from '../node/node.js';
import { defaultConfig } from '../node/config.js';
import { nodeClient } from '../../test/support/node-client.js';


const ok = { t: 'status', v: 'OK' };
const other = 'b'.repeat(40);

describe('KVNETLAB.SETSLOTS (CLUSTER SETSLOT for many slots)', () => {
  let dir: string;
  let node: KvNode;
  let call: ReturnType<typeof nodeClient>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvnetlab-setslots-'));
    node = new KvNode(defaultConfig({ port: 7000, dir }));
    call = nodeClient(node);
    expect(await call('CLUSTER', 'ADDSLOTSRANGE', 0, 99)).toEqual(ok);
    node.cluster.add({ ...node.cluster.myself, name: other, flags: 1, failReports: new Map(), numSlots: 0 });
    for (let s = 200; s <= 209; s++) node.cluster.assignSlot(s, node.cluster.lookup(other)!);
  });
  afterEach(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('setslots: IMPORTING, then NODE claims every slot with one epoch bump; the same state as CLUSTER SETSLOT slot by slot, saved before the reply', async () => {
    const epoch = node.cluster.myself.configEpoch;
    expect(await call('KVNETLAB.SETSLOTS', 'IMPORTING', other, '200-204', '207')).toEqual(ok);
    expect([...node.cluster.importing.keys()].sort((a, b) => a - b)).toEqual([200, 201, 202, 203, 204, 207]);
    expect(readFileSync(join(dir, 'nodes.conf'), 'utf8')).toContain(`[207-<-${other}]`);
    expect(await call('KVNETLAB.SETSLOTS', 'NODE', node.cluster.myself.name, '200-204', '207')).toEqual(ok);
    expect(node.cluster.importing.size).toBe(0);
    expect(node.cluster.myself.configEpoch).toBe(epoch + 1n);
    for (const s of [200, 204, 207]) expect(node.cluster.slots[s]).toBe(node.cluster.myself);
    expect(node.cluster.slots[205]!.name).toBe(other);
    expect(readFileSync(join(dir, 'nodes.conf'), 'utf8')).toMatch(/myself,master .* connected 0-99 200-204 207\n/);
  });

  it('setslots: MIGRATING and STABLE on ranges; a refusal for any slot changes none of them', async () => {
    expect(await call('KVNETLAB.SETSLOTS', 'MIGRATING', other, '0-9')).toEqual(ok);
    expect(node.cluster.migrating.size).toBe(10);
    expect(await call('KVNETLAB.SETSLOTS', 'STABLE', '0-4')).toEqual(ok);
    expect([...node.cluster.migrating.keys()]).toEqual([5, 6, 7, 8, 9]);
    // 99 is ours, 100 is not: nothing of 95-105 becomes MIGRATING.
    expect(await call('KVNETLAB.SETSLOTS', 'MIGRATING', other, '95-105')).toEqual({ t: 'error', v: "ERR I'm not the owner of hash slot 100" });
    expect(node.cluster.migrating.has(95)).toBe(false);
    expect(await call('KVNETLAB.SETSLOTS', 'IMPORTING', other, '50')).toEqual({ t: 'error', v: "ERR I'm already the owner of hash slot 50" });
    expect(await call('KVNETLAB.SETSLOTS', 'IMPORTING', 'c'.repeat(40), '300')).toMatchObject({ t: 'error', v: expect.stringContaining("don't know about node") });
    expect(await call('KVNETLAB.SETSLOTS', 'STABLE', '16384')).toEqual({ t: 'error', v: 'ERR Invalid or out of range slot' });
    expect(await call('KVNETLAB.SETSLOTS', 'MOVE', '1')).toMatchObject({ t: 'error' });
    expect(await call('KVNETLAB.SETSLOTS', 'NODE', other)).toEqual({ t: 'error', v: 'ERR syntax error' });
  });
});
