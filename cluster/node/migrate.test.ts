import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvNode } from './node.js';
import { defaultConfig } from './config.js';
import { PeerClient } from './peer-client.js';
import type { Reply } from '../resp/reply.js';
import { encodeCommand } from '../resp/encode.js';

/** A node on ephemeral ports (client and bus), owning all slots: a one-node cluster. */
async function soloNode(dir: string): Promise<{ node: KvNode; port: number }> {
  const node = new KvNode(defaultConfig({ port: 0, busPort: 0, dir }));
  await node.start();
  const port = node.listeningPorts()[0];
  await send(port, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
  return { node, port };
}

async function send(port: number, ...cmds: Array<Array<string | number | Buffer>>): Promise<Reply[]> {
  const peer = new PeerClient('127.0.0.1', port, 2000);
  try {
    return await peer.pipeline(cmds, 5000);
  } finally {
    peer.close();
  }
}

describe('MIGRATE between two running nodes', () => {
  const dirs: string[] = [];
  let a: { node: KvNode; port: number };
  let b: { node: KvNode; port: number };
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'kvnetlab-migrate-')));
    a = await soloNode(dirs[0]);
    b = await soloNode(dirs[1]);
  });
  afterAll(async () => {
    await a?.node.stop();
    await b?.node.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('migrate: moves keys of every type with their TTL and deletes them at the source', async () => {
    await send(a.port, ['SET', '{m}s', 'text', 'PX', 100000], ['HSET', '{m}h', 'f', 'v'], ['ZADD', '{m}z', 1.5, 'x']);
    const [r] = await send(a.port, ['MIGRATE', '127.0.0.1', b.port, '', 0, 2000, 'KEYS', '{m}s', '{m}h', '{m}z']);
    expect(r).toEqual({ t: 'status', v: 'OK' });
    const there = await send(b.port, ['GET', '{m}s'], ['HGET', '{m}h', 'f'], ['ZSCORE', '{m}z', 'x'], ['PTTL', '{m}s']);
    expect(there.slice(0, 3).map((x) => (x.v as Buffer).toString())).toEqual(['text', 'v', '1.5']);
    expect(there[3].v as number).toBeGreaterThan(90000);
    expect(await send(a.port, ['EXISTS', '{m}s', '{m}h', '{m}z'])).toEqual([{ t: 'int', v: 0 }]);
  });

  it('migrate: COPY keeps the source key, an existing target key is BUSYKEY without REPLACE', async () => {
    await send(a.port, ['SET', 'c:1', 'one']);
    expect((await send(a.port, ['MIGRATE', '127.0.0.1', b.port, 'c:1', 0, 2000, 'COPY']))[0]).toEqual({ t: 'status', v: 'OK' });
    expect((await send(a.port, ['GET', 'c:1']))[0].v?.toString()).toBe('one');
    const [busy] = await send(a.port, ['MIGRATE', '127.0.0.1', b.port, 'c:1', 0, 2000]);
    expect(busy).toEqual({ t: 'error', v: 'ERR Target instance replied with error: BUSYKEY Target key name already exists.' });
    expect((await send(a.port, ['MIGRATE', '127.0.0.1', b.port, 'c:1', 0, 2000, 'REPLACE']))[0]).toEqual({ t: 'status', v: 'OK' });
  });

  it('migrate: answers NOKEY when no key exists', async () => {
    expect((await send(a.port, ['MIGRATE', '127.0.0.1', b.port, 'missing', 0, 2000]))[0]).toEqual({ t: 'status', v: 'NOKEY' });
  });

  it('migrate: a write to a key while it is being migrated waits, and is not deleted with the old copy', async () => {
    // A target that accepts every RESTORE, but only after 200 ms.
    const slow = net.createServer((sock) =>
      sock.on('data', (chunk: Buffer) => {
        const requests = chunk.toString('latin1').split('\r\n').filter((l) => l.startsWith('*')).length;
        setTimeout(() => sock.write('+OK\r\n'.repeat(requests)), 200);
      }),
    );
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const port = (slow.address() as net.AddressInfo).port;
    await send(a.port, ['SET', 'race', 'old']);
    const migrating = send(a.port, ['MIGRATE', '127.0.0.1', port, 'race', 0, 2000]);
    await new Promise((r) => setTimeout(r, 50));
    const write = send(a.port, ['SET', 'race', 'new']);
    expect((await migrating)[0]).toEqual({ t: 'status', v: 'OK' });
    expect((await write)[0]).toEqual({ t: 'status', v: 'OK' });
    expect((await send(a.port, ['GET', 'race']))[0].v?.toString()).toBe('new');
    slow.close();
  });

  it('migrate: a client that half-closes right after MIGRATE still gets its reply over TCP', async () => {
    await send(a.port, ['SET', 'h:1', 'v']);
    const reply = await new Promise<string>((resolve) => {
      let got = '';
      const s = net.connect(a.port, '127.0.0.1', () => s.end(encodeCommand(['MIGRATE', '127.0.0.1', b.port, 'h:1', 0, 2000, 'COPY'])));
      s.on('data', (c) => (got += c.toString()));
      s.on('close', () => resolve(got));
    });
    expect(reply).toBe('+OK\r\n');
  });

  it('migrate: a dead target is IOERR and the key stays at the source', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    await send(a.port, ['SET', 'd:1', 'kept']);
    const [r] = await send(a.port, ['MIGRATE', '127.0.0.1', port, 'd:1', 0, 500]);
    expect(r).toEqual({ t: 'error', v: 'IOERR error or timeout connecting to the client' });
    expect((await send(a.port, ['GET', 'd:1']))[0].v?.toString()).toBe('kept');
  });

  it('migrate: a target that accepts but never answers times out with IOERR, the key stays', async () => {
    const silent = net.createServer((s) => s.on('data', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    await send(a.port, ['SET', 'd:2', 'kept']);
    const [r] = await send(a.port, ['MIGRATE', '127.0.0.1', port, 'd:2', 0, 300]);
    expect(r).toEqual({ t: 'error', v: 'IOERR error or timeout reading to target instance' });
    expect((await send(a.port, ['GET', 'd:2']))[0].v?.toString()).toBe('kept');
    silent.close();
  });
});
