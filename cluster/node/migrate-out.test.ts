import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvNode } from './node.js';
import { defaultConfig } from './config.js';
import { MIGRATION_LINK_NAME } from './migrate-out.js';
import { MIGRATION_CLIENT_NAME } from '../../proxy/session.js';
import { RequestDecoder } from '../resp/request-decoder.js';
import { encodeCommand } from '../resp/encode.js';
import type { Reply } from '../resp/reply.js';
import { dumpValue } from '../store/dump.js';
import { keyHashSlot } from '../store/slot.js';
import { duplexPair } from '../../test/support/duplex-pair.js';
import { nodeClient } from '../../test/support/node-client.js';
import { newClusterNode } from '../topology/cluster-node.js';

/*
 * The source's side of source-based migration on an in-process node (node/migrate-out.ts,
 * KVNETLAB.MIGRATE-OUT): the node's link to the destination is an in-memory Duplex whose
 * far end plays the destination (answers +OK to every command, or dies), so the bytes the
 * node sends are checked exactly.
 */

function connect(node: KvNode) {
  const call = nodeClient(node);
  /** Sends one command; its reply comes in order. */
  return { send: call };
}

/** The destination's end of the node's link: every command recorded (raw and decoded), answered +OK unless told not to. */
function fakeDestination(node: KvNode) {
  const [nodeEnd, destEnd] = duplexPair();
  const dest = { raw: [] as Buffer[], commands: [] as string[][], answer: true, end: destEnd, dialed: '', reply: (_cmd: string[]) => '+OK\r\n' };
  const decoder = new RequestDecoder({
    onCommand: (args) => {
      const cmd = args.map((a) => a.toString('latin1'));
      dest.commands.push(cmd);
      if (dest.answer) destEnd.write(dest.reply(cmd));
    },
    onError: (e) => { throw e; },
  });
  destEnd.on('data', (c: Buffer) => (dest.raw.push(Buffer.from(c)), decoder.write(c)));
  node.connectPeer = (host, port) => ((dest.dialed = `${host}:${port}`), nodeEnd);
  return dest;
}

const ok = { t: 'status', v: 'OK' };
/** The copy of a batch: one KVNETLAB.RESTORE-MANY with each key, its expiry (0: none) and DUMP payload. */
const restoreMany = (node: KvNode, mode: 'REPLACE' | 'KEEP', keys: string[]) =>
  encodeCommand(['KVNETLAB.RESTORE-MANY', mode, ...keys.flatMap((k) => [k, 0, dumpValue(node.db.get(k, Date.now())!)])]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KVNETLAB.MIGRATE-OUT on an in-process node', () => {
  let dir: string;
  let node: KvNode;
  const slot = keyHashSlot('{g}');
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvnetlab-mo-'));
    node = new KvNode(defaultConfig({ port: 7000, dir }));
    const c = connect(node);
    expect(await c.send('CLUSTER', 'ADDSLOTSRANGE', 0, 16383)).toEqual(ok);
  });
  afterEach(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrate-out: the link names itself kvnetlab-migration, as the proxy files channel migration', () => {
    expect(MIGRATION_LINK_NAME).toBe(MIGRATION_CLIENT_NAME);
  });

  it('migrate-out: a group\'s copy and the later writes on it reach the destination byte-exact, in execution order; other slots and no-ops are not forwarded', async () => {
    const c = connect(node);
    await c.send('SET', '{g}1', 'one');
    await c.send('HSET', '{g}h', 'f1', 'a', 'f2', 'b');
    await c.send('SET', '{other}x', 'x');
    const dest = fakeDestination(node);
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'START', '127.0.0.1', 7002, 'SLOTS', `${slot}`)).toEqual(ok);
    expect(dest.dialed).toBe('127.0.0.1:7002');
    await c.send('SET', '{g}1', 'before-copy'); // the group is not copied yet: the copy will carry it
    const copied = [restoreMany(node, 'REPLACE', ['{g}1', '{g}h'])];
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'GROUP', slot)).toEqual({ t: 'int', v: 2 });
    await c.send('HSET', '{g}h', 'f1', 'z'); // a partial update: the field alone
    await c.send('SET', '{other}x', 'y'); // not a moving slot
    await c.send('DEL', '{g}missing'); // changed nothing: replication would not send it either
    await c.send('INCR', '{g}n');
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'PAUSE')).toEqual(ok);
    const expected = Buffer.concat([
      encodeCommand(['CLIENT', 'SETNAME', 'kvnetlab-migration']),
      ...copied,
      encodeCommand(['ASKING']), encodeCommand(['HSET', '{g}h', 'f1', 'z']),
      encodeCommand(['ASKING']), encodeCommand(['INCR', '{g}n']),
    ]);
    expect(Buffer.concat(dest.raw).equals(expected)).toBe(true);
    const status = await c.send('KVNETLAB.MIGRATE-OUT', 'STATUS');
    expect(status.t === 'bulk' && status.v!.toString()).toContain('state:paused\r\nslots:1\r\nwaiting:0\r\ncopying:0\r\ncopied:1\r\nkeys_copied:2\r\nforwarded:2\r\nsent:6\r\nacked:6\r\nerrors:0\r\n');
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'ABORT')).toEqual(ok);
  });

  it('migrate-out KEEP: the copy never overwrites (RESTORE-MANY KEEP); a lone key sent with a write goes as RESTORE-ASKING without REPLACE, and its BUSYKEY is no error', async () => {
    const c = connect(node);
    await c.send('SET', '{g}1', 'one');
    await c.send('SET', '{g}2', 'two');
    const dest = fakeDestination(node);
    // The destination has a newer {g}2 (a client wrote it there, as proxy-tracked routing does).
    dest.reply = (cmd) => (cmd[0] === 'RESTORE-ASKING' && !cmd.includes('REPLACE') ? '-BUSYKEY Target key name already exists.\r\n' : cmd[0] === 'KVNETLAB.RESTORE-MANY' ? ':1\r\n' : '+OK\r\n');
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'START', '127.0.0.1', 7002, 'BATCH', 1, 'KEEP', 'SLOTS', `${slot}`)).toEqual(ok);
    const first = restoreMany(node, 'KEEP', ['{g}1']);
    // One key per event-loop turn: the SET of {g}2 runs between the batches and sends its value alone.
    const copy = node.migrateOut.copyGroup(slot);
    const write = c.send('SET', '{g}2', 'newer-here');
    expect(await copy).toBe(1);
    expect(await write).toEqual(ok);
    const lone = encodeCommand(['RESTORE-ASKING', '{g}2', 0, dumpValue(node.db.get('{g}2', Date.now())!)]);
    expect(Buffer.concat(dest.raw).equals(Buffer.concat([encodeCommand(['CLIENT', 'SETNAME', 'kvnetlab-migration']), first, lone]))).toBe(true);
    // A multi-key write after the copy sent its keys: they go as values that replace the copied ones.
    dest.raw.length = 0;
    await c.send('MSET', '{g}1', 'x', '{g}2', 'y');
    await sleep(10);
    const value = (k: string) => encodeCommand(['RESTORE-ASKING', k, 0, dumpValue(node.db.get(k, Date.now())!), 'REPLACE']);
    expect(Buffer.concat(dest.raw).equals(Buffer.concat([value('{g}1'), value('{g}2')]))).toBe(true);
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'PAUSE')).toEqual(ok);
    const status = await c.send('KVNETLAB.MIGRATE-OUT', 'STATUS');
    expect(status.t === 'bulk' && status.v!.toString()).toContain('errors:0\r\nkept:1\r\n');
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'ABORT')).toEqual(ok);
  });

  it('migrate-out: a write to a key of the group not sent yet travels as its value, between two batches', async () => {
    const c = connect(node);
    for (const k of ['{g}1', '{g}2', '{g}3']) await c.send('SET', k, `old-${k}`);
    const dest = fakeDestination(node);
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'START', '127.0.0.1', 7002, 'BATCH', 1, 'SLOTS', `${slot}-${slot}`)).toEqual(ok);
    // One key per event-loop turn: the SET below runs between the first batch and the second.
    const copy = node.migrateOut.copyGroup(slot);
    const write = c.send('SET', '{g}3', 'new');
    expect(await copy).toBe(2); // {g}1 and {g}2 by the copy; {g}3 went with its write
    expect(await write).toEqual(ok);
    await c.send('APPEND', '{g}3', '!'); // sent already: forwarded as a command
    await sleep(10);
    expect(dest.commands.slice(1).map((a) => (a[0] === 'ASKING' ? 'ASKING' : `${a[0]} ${a[0] === 'KVNETLAB.RESTORE-MANY' ? a[2] : a[1]}`))).toEqual(
      ['KVNETLAB.RESTORE-MANY {g}1', 'RESTORE-ASKING {g}3', 'KVNETLAB.RESTORE-MANY {g}2', 'ASKING', 'APPEND {g}3'],
    );
    const restored3 = dest.commands.find((a) => a[0] === 'RESTORE-ASKING' && a[1] === '{g}3')!;
    expect(restored3[3]).toContain('new');
  });

  it('migrate-out: a multi-key write travels as the values of its keys (the importing destination would answer -TRYAGAIN for keys it lacks)', async () => {
    const c = connect(node);
    await c.send('SET', '{g}1', 'one');
    const dest = fakeDestination(node);
    await c.send('KVNETLAB.MIGRATE-OUT', 'START', '127.0.0.1', 7002, 'SLOTS', `${slot}`);
    await c.send('KVNETLAB.MIGRATE-OUT', 'GROUP', slot);
    dest.raw.length = 0;
    await c.send('MSET', '{g}new', 'a', '{g}1', 'b');
    await c.send('DEL', '{g}new', '{g}nothing');
    await sleep(10);
    expect(Buffer.concat(dest.raw).equals(Buffer.concat([
      encodeCommand(['RESTORE-ASKING', '{g}new', 0, dumpValue({ type: 'string', value: Buffer.from('a') }), 'REPLACE']),
      encodeCommand(['RESTORE-ASKING', '{g}1', 0, dumpValue(node.db.get('{g}1', Date.now())!), 'REPLACE']),
      encodeCommand(['ASKING']), encodeCommand(['DEL', '{g}new']),
      encodeCommand(['ASKING']), encodeCommand(['DEL', '{g}nothing']),
    ]))).toBe(true);
    await c.send('KVNETLAB.MIGRATE-OUT', 'ABORT');
  });

  it('migrate-out: PAUSE holds commands on the moving slots (others are served); END refuses while a slot is still here; ABORT releases them, served here', async () => {
    const c = connect(node);
    const other = connect(node);
    await c.send('SET', '{g}1', 'v');
    await c.send('SET', '{other}x', 'x');
    fakeDestination(node);
    await c.send('KVNETLAB.MIGRATE-OUT', 'START', '127.0.0.1', 7002, 'SLOTS', `${slot}`);
    await c.send('KVNETLAB.MIGRATE-OUT', 'GROUP', slot);
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'PAUSE', 5000)).toEqual(ok);
    let answered: Reply | undefined;
    void other.send('GET', '{g}1').then((r) => (answered = r));
    expect(await c.send('GET', '{other}x')).toEqual({ t: 'bulk', v: Buffer.from('x') });
    await sleep(50);
    expect(answered).toBeUndefined();
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'END')).toEqual({ t: 'error', v: `ERR migrate-out: slot ${slot} is still served here: HANDOVER every slot first, or ABORT` });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'ABORT')).toEqual(ok);
    await sleep(10);
    expect(answered).toEqual({ t: 'bulk', v: Buffer.from('v') });
  });

  it('migrate-out: HANDOVER drops the slots\' keys and gives them away in one turn; END releases the held commands, which meet -MOVED', async () => {
    const c = connect(node);
    const other = connect(node);
    const b = newClusterNode({ name: 'b'.repeat(40), ip: '127.0.0.1', port: 7002, cport: 17002 });
    node.cluster.add(b);
    await c.send('SET', '{g}1', 'v');
    await c.send('HSET', '{g}h', 'f', 'v');
    fakeDestination(node);
    await c.send('KVNETLAB.MIGRATE-OUT', 'START', '127.0.0.1', 7002, 'SLOTS', `${slot}`);
    await c.send('KVNETLAB.MIGRATE-OUT', 'GROUP', slot);
    await c.send('KVNETLAB.MIGRATE-OUT', 'PAUSE');
    let answered: Reply | undefined;
    void other.send('GET', '{g}1').then((r) => (answered = r));
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'HANDOVER', b.name, `${slot}`)).toEqual({ t: 'int', v: 2 });
    expect(await c.send('CLUSTER', 'COUNTKEYSINSLOT', slot)).toEqual({ t: 'int', v: 0 });
    expect(node.cluster.slots[slot]).toBe(b);
    await sleep(20);
    expect(answered).toBeUndefined();
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'END')).toEqual(ok);
    await sleep(10);
    expect(answered).toEqual({ t: 'error', v: `MOVED ${slot} 127.0.0.1:7002` });
    expect(node.migrateOut.state).toBe('idle');
  });

  it('migrate-out: a destination that dies fails the link: GROUP answers an error, writes are served and no longer forwarded, ABORT returns to idle', async () => {
    const c = connect(node);
    await c.send('SET', '{g}1', 'v');
    const dest = fakeDestination(node);
    dest.answer = false;
    await c.send('KVNETLAB.MIGRATE-OUT', 'START', '127.0.0.1', 7002, 'TIMEOUT', 2000, 'SLOTS', `${slot}`);
    const group = c.send('KVNETLAB.MIGRATE-OUT', 'GROUP', slot);
    await sleep(10);
    dest.end.end(); // what the destination's proxy relays when the node behind it dies
    const r = await group;
    expect(r.t).toBe('error');
    expect(node.migrateOut.state).toBe('failed');
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'GROUP', slot)).toEqual({ t: 'error', v: 'ERR migrate-out: the link to the destination failed: the destination closed the connection' });
    const sent = dest.raw.length;
    expect(await c.send('SET', '{g}1', 'w')).toEqual(ok);
    expect(dest.raw.length).toBe(sent);
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'STATUS')).toMatchObject({ t: 'bulk' });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'ABORT')).toEqual(ok);
    expect(node.migrateOut.state).toBe('idle');
    expect(await c.send('GET', '{g}1')).toEqual({ t: 'bulk', v: Buffer.from('w') });
  });

  it('migrate-out: refuses slots it does not own, steps out of order, and bad arguments', async () => {
    const c = connect(node);
    fakeDestination(node);
    expect(await c.send('CLUSTER', 'DELSLOTS', 5)).toEqual(ok);
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'START', 'h', 1, 'SLOTS', '4-6')).toEqual({ t: 'error', v: "ERR migrate-out: I'm not the owner of hash slot 5" });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'START', 'h', 1, 'SLOTS', '9-7')).toEqual({ t: 'error', v: 'ERR migrate-out: SLOTS <slot|a-b> ... expected' });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'START', 'h', 1, 'BATCH', 0, 'SLOTS', '1')).toEqual({ t: 'error', v: 'ERR syntax error' });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'GROUP', 1)).toEqual({ t: 'error', v: 'ERR migrate-out: no copy in progress (state idle)' });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'PAUSE')).toEqual({ t: 'error', v: 'ERR migrate-out: no copy in progress (state idle)' });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'START', 'h', 1, 'SLOTS', '1-2')).toEqual(ok);
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'PAUSE')).toEqual({ t: 'error', v: 'ERR migrate-out: slot 1 is not copied yet' });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'GROUP', 3)).toEqual({ t: 'error', v: 'ERR migrate-out: slot 3 is not part of this migration' });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'HANDOVER', 'nobody', 1)).toEqual({ t: 'error', v: 'ERR migrate-out: nobody is not another master' });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'START', 'h', 1, 'SLOTS', '1')).toEqual({ t: 'error', v: 'ERR migrate-out: illegal transition copying -> copying' });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'NOPE')).toEqual({ t: 'error', v: "ERR unknown subcommand 'NOPE'. Try KVNETLAB.MIGRATE-OUT HELP." });
    expect(await c.send('KVNETLAB.MIGRATE-OUT', 'ABORT')).toEqual(ok);
  });
});
