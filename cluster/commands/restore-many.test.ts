import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvNode } from '../node/node.js';
import { defaultConfig } from '../node/config.js';
import { nodeClient } from '../../test/support/node-client.js';


import { dumpValue } from '../store/dump.js';
import { keyHashSlot } from '../store/slot.js';

const other = 'b'.repeat(40);
const payload = (v: string) => dumpValue({ type: 'string', value: Buffer.from(v) });

describe('KVNETLAB.RESTORE-MANY (a copied group in one command)', () => {
  let dir: string;
  let node: KvNode;
  let call: ReturnType<typeof nodeClient>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvnetlab-restore-many-'));
    node = new KvNode(defaultConfig({ port: 7000, dir }));
    call = nodeClient(node);
    // This node serves {a}'s slot; {b}'s belongs to another master and is imported from it.
    node.cluster.add({ ...node.cluster.myself, name: other, flags: 1, failReports: new Map(), numSlots: 0 });
    expect(await call('CLUSTER', 'ADDSLOTS', keyHashSlot('{a}'))).toEqual({ t: 'status', v: 'OK' });
    node.cluster.assignSlot(keyHashSlot('{b}'), node.cluster.lookup(other)!);
    node.cluster.assignSlot(keyHashSlot('{c}'), node.cluster.lookup(other)!);
    expect(await call('CLUSTER', 'SETSLOT', keyHashSlot('{b}'), 'IMPORTING', other)).toEqual({ t: 'status', v: 'OK' });
  });
  afterEach(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restore-many: REPLACE writes every key with its absolute expiry; KEEP leaves the keys the node has; slots served or imported only', async () => {
    const at = Date.now() + 60_000;
    expect(await call('KVNETLAB.RESTORE-MANY', 'REPLACE', '{a}1', 0, payload('one'), '{b}1', at, payload('two'))).toEqual({ t: 'int', v: 2 });
    expect(node.db.get('{a}1', Date.now())).toEqual({ type: 'string', value: Buffer.from('one') });
    expect(Math.abs(node.db.ttlMs('{b}1', Date.now()) - 60_000)).toBeLessThan(1000);
    node.db.set('{a}1', { type: 'string', value: Buffer.from('newer') }); // a client's write here (the cluster is not ok in this rig: no SET)
    expect(await call('KVNETLAB.RESTORE-MANY', 'KEEP', '{a}1', 0, payload('old'), '{a}2', 0, payload('x'))).toEqual({ t: 'int', v: 1 });
    expect(node.db.get('{a}1', Date.now())).toEqual({ type: 'string', value: Buffer.from('newer') });
    expect(await call('KVNETLAB.RESTORE-MANY', 'REPLACE', '{a}1', 0, payload('old'))).toEqual({ t: 'int', v: 1 });
    expect(node.db.get('{a}1', Date.now())).toEqual({ type: 'string', value: Buffer.from('old') });
    // Expired on the way: not written.
    expect(await call('KVNETLAB.RESTORE-MANY', 'REPLACE', '{a}3', Date.now() - 1, payload('gone'))).toEqual({ t: 'int', v: 0 });
    expect(node.db.exists('{a}3', Date.now())).toBe(false);
  });

  it('restore-many: a slot neither served nor imported, a bad payload or bad arguments change nothing', async () => {
    expect(await call('KVNETLAB.RESTORE-MANY', 'REPLACE', '{a}9', 0, payload('x'), '{c}1', 0, payload('y'))).toMatchObject({ t: 'error', v: expect.stringMatching(/slot \d+ is neither served nor imported here/) });
    expect(await call('KVNETLAB.RESTORE-MANY', 'REPLACE', '{a}9', 0, payload('x'), '{a}8', 0, 'not a payload')).toMatchObject({ t: 'error', v: expect.stringContaining('payload') });
    expect(node.db.exists('{a}9', Date.now())).toBe(false);
    expect(await call('KVNETLAB.RESTORE-MANY', 'MERGE', '{a}9', 0, payload('x'))).toMatchObject({ t: 'error' });
    expect(await call('KVNETLAB.RESTORE-MANY', 'KEEP', '{a}9', 0)).toMatchObject({ t: 'error' });
    expect(await call('KVNETLAB.RESTORE-MANY', 'KEEP', '{a}9', -5, payload('x'))).toEqual({ t: 'error', v: 'ERR Invalid expire time' });
  });
});
