import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { duplexPair } from '../../test/support/duplex-pair.js';
import { startSnapshot } from '../persistence/index.js';
import { encodeCommand } from '../resp/encode.js';
import { Keyspace } from '../store/keyspace.js';
import { MasterLink, type MasterLinkDeps } from './master-link.js';

const REPLID = 'f'.repeat(40);

/** A replica-side link over an in-memory pair; `master` is the other end. */
function link(psync = { replid: '?', offset: -1 }) {
  const [mine, master] = duplexPair();
  const loaded = new Keyspace();
  const applied: string[] = [];
  const events: string[] = [];
  let offset = 0;
  const deps: MasterLinkDeps = {
    connect: () => mine,
    listeningPort: 7001,
    psyncFrom: () => psync,
    onFullSync: (id, off) => {
      events.push(`full ${id} ${off}`);
      offset = off;
    },
    loadEntry: (k, v, at) => loaded.set(k, v, { expireAt: at }),
    onLoaded: () => events.push('loaded'),
    onLoadFailed: () => events.push('load failed'),
    onContinue: (id) => events.push(`continue ${id}`),
    apply: (args, raw) => {
      applied.push(args.map(String).join(' '));
      offset += raw.length;
    },
    processedOffset: () => offset,
    countInput: () => undefined,
    log: () => undefined,
    now: () => 0,
  };
  const heard: Buffer[] = [];
  master.on('data', (c: Buffer) => heard.push(c));
  const l = new MasterLink('127.0.0.1', 7000, deps);
  mine.emit('connect');
  const said = () => Buffer.concat(heard.splice(0)).toString('latin1');
  return { l, master, said, loaded, applied, events };
}

const tick = () => new Promise((r) => setImmediate(r));
const send = async (m: Duplex, b: Buffer | string) => {
  m.write(b);
  await tick();
};

function snapshotBytes(): Buffer {
  const db = new Keyspace();
  db.set('a', { type: 'string', value: Buffer.from('1') });
  db.set('h', { type: 'hash', value: new Map([['f', Buffer.from('v')]]) }, { expireAt: 4_000_000_000_000 });
  const w = startSnapshot(db, { replId: REPLID, replOffset: 42n });
  const parts: Buffer[] = [];
  for (let c = w.next(); c; c = w.next()) parts.push(c);
  return Buffer.concat(parts);
}

describe('MasterLink (replica side of replication)', () => {
  it('master link: sends the Redis 7.0 handshake, one step per reply', async () => {
    const { l, master, said } = link();
    await tick();
    expect(said()).toBe('*1\r\n$4\r\nPING\r\n');
    await send(master, '+PONG\r\n');
    expect(said()).toBe(encodeCommand(['REPLCONF', 'listening-port', '7001']).toString());
    await send(master, '+OK\r\n');
    expect(said()).toBe(encodeCommand(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']).toString());
    await send(master, '+OK\r\n');
    expect(said()).toBe('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    expect(l.state).toBe('receive_psync_reply');
    l.close();
  });

  it('master link: loads an EOF-framed snapshot split at every byte, then applies the stream and ACKs', async () => {
    const snap = snapshotBytes();
    const mark = 'm'.repeat(40);
    const wire = Buffer.concat([
      Buffer.from(`+FULLRESYNC ${REPLID} 42\r\n\n$EOF:${mark}\r\n`),
      snap,
      Buffer.from(mark),
    ]);
    for (const cut of [1, 7, 50, wire.length - 41, wire.length - 3]) {
      const { l, master, said, loaded, applied, events } = link();
      await tick();
      for (const r of ['+PONG\r\n', '+OK\r\n', '+OK\r\n']) await send(master, r);
      said();
      await send(master, wire.subarray(0, cut));
      await send(master, wire.subarray(cut));
      expect(events).toEqual([`full ${REPLID} 42`, 'loaded']);
      expect(loaded.size()).toBe(2);
      expect(loaded.expireTimeMs('h', 0)).toBe(4_000_000_000_000);
      expect(said()).toBe(encodeCommand(['REPLCONF', 'ACK', '42']).toString());
      const set = encodeCommand(['SET', 'k', 'v']);
      await send(master, Buffer.concat([set, encodeCommand(['REPLCONF', 'GETACK', '*'])]));
      expect(applied).toEqual(['SET k v', 'REPLCONF GETACK *']);
      expect(said()).toBe(encodeCommand(['REPLCONF', 'ACK', String(42 + set.length + 37)]).toString());
      l.close();
    }
    // byte by byte
    const { l, master, loaded } = link();
    await tick();
    for (const r of ['+PONG\r\n', '+OK\r\n', '+OK\r\n']) await send(master, r);
    for (let i = 0; i < wire.length; i++) master.write(wire.subarray(i, i + 1));
    await tick();
    expect(l.state).toBe('connected');
    expect(loaded.size()).toBe(2);
    l.close();
  });

  it('master link: +CONTINUE goes straight to the stream; a wrong EOF mark drops the link', async () => {
    const a = link({ replid: REPLID, offset: 43 });
    await tick();
    for (const r of ['+PONG\r\n', '+OK\r\n', '+OK\r\n']) await send(a.master, r);
    expect(a.said()).toContain(`$40\r\n${REPLID}\r\n$2\r\n43\r\n`);
    await send(a.master, `+CONTINUE ${'e'.repeat(40)}\r\n*1\r\n$4\r\nPING\r\n`);
    expect(a.events).toEqual([`continue ${'e'.repeat(40)}`]);
    expect(a.applied).toEqual(['PING']);
    a.l.close();

    const b = link();
    await tick();
    for (const r of ['+PONG\r\n', '+OK\r\n', '+OK\r\n']) await send(b.master, r);
    await send(b.master, Buffer.concat([Buffer.from(`+FULLRESYNC ${REPLID} 42\r\n$EOF:${'m'.repeat(40)}\r\n`), snapshotBytes(), Buffer.from('x'.repeat(40))]));
    expect(b.l.state).toBe('closed');
  });

  it('master link: a transfer cut before the trailer reports the load failed (the partial keyspace is not kept)', async () => {
    const c = link();
    await tick();
    for (const r of ['+PONG\r\n', '+OK\r\n', '+OK\r\n']) await send(c.master, r);
    const snap = snapshotBytes();
    await send(c.master, Buffer.concat([Buffer.from(`+FULLRESYNC ${REPLID} 42\r\n$EOF:${'m'.repeat(40)}\r\n`), snap.subarray(0, snap.length - 10)]));
    expect(c.l.loading).toBe(true);
    c.l.close('Connection with master lost.'); // what the socket's 'close' event calls
    expect(c.l.state).toBe('closed');
    expect(c.events).toEqual([`full ${REPLID} 42`, 'load failed']);

    // A finished load then a lost link is not a failed load.
    const d = link();
    await tick();
    for (const r of ['+PONG\r\n', '+OK\r\n', '+OK\r\n']) await send(d.master, r);
    await send(d.master, Buffer.concat([Buffer.from(`+FULLRESYNC ${REPLID} 42\r\n$EOF:${'m'.repeat(40)}\r\n`), snap, Buffer.from('m'.repeat(40))]));
    d.l.close('Connection with master lost.');
    expect(d.events).toEqual([`full ${REPLID} 42`, 'loaded']);
  });
});
