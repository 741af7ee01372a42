import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fields, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli } from '../cluster/launcher/processes.js';

/**
 * System tier: `kvnetlab node` processes with snapshots, driven by ioredis. Ports 22201+.
 */

const PORT = 22201;
const dir = mkdtempSync(join(tmpdir(), 'kvnl-snapproc-'));
const children: ChildProcess[] = [];
const clients: Redis[] = [];

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnNode(port: number): Started {
  const child = spawn(process.execPath, [kvnetlabCli(), 'node', '--port', String(port), '--dir', dir, '--node-timeout', '2000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function client(port: number): Promise<Redis> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  clients.push(r);
  await waitFor(`node ${port}`, 20_000, async () => {
    if (r.status !== 'ready') await r.connect();
    return (await r.ping()) === 'PONG';
  });
  return r;
}

async function startServing(port: number): Promise<{ node: Started; redis: Redis }> {
  const node = spawnNode(port);
  const redis = await client(port);
  // nodes.conf keeps the slots across restarts; only the first start assigns them.
  if (fields((await redis.call('CLUSTER', 'INFO')) as string).cluster_slots_assigned === '0') await redis.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  await waitFor('cluster_state:ok', 10_000, async () => fields((await redis.call('CLUSTER', 'INFO')) as string).cluster_state === 'ok');
  return { node, redis };
}

function refused(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      r(false);
    });
    s.once('error', () => r(true));
  });
}

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('snapshots of a node process', () => {
  let deadline = 0;

  it('process: SAVE, BGSAVE and LASTSAVE over ioredis, then SHUTDOWN saves and ends the process with 0', async () => {
    const { node, redis } = await startServing(PORT);
    const before = Number(await redis.lastsave());
    const p = redis.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`key:${i}`, `value-${i}`);
    p.set('ttl', 'x', 'PX', 600_000);
    p.hset('hash', 'a', '1', 'b', '2');
    p.zadd('zset', 3, 'three', 1, 'one');
    await p.exec();
    deadline = Number(await redis.call('PEXPIRETIME', 'ttl'));
    expect(await redis.call('SAVE')).toBe('OK');
    expect(await redis.bgsave()).toBe('Background saving started');
    await waitFor('bgsave done', 10_000, async () => fields(await redis.info('persistence')).rdb_bgsave_in_progress === '0');
    const info = fields(await redis.info('persistence'));
    expect(info.rdb_last_bgsave_status).toBe('ok');
    expect(Number(await redis.lastsave())).toBeGreaterThanOrEqual(before);
    expect(statSync(join(dir, 'dump.kvnl')).size).toBeGreaterThan(1000 * 20);

    await redis.set('written-after-bgsave', 'yes');
    await redis.call('SHUTDOWN').catch(() => undefined); // the connection closes without a reply
    expect(await node.exited).toBe(0);
    expect(node.output()).toContain('DB saved on disk');
  });

  it('process: a restarted node has its data back, TTLs with the same absolute expiry', async () => {
    const { node, redis } = await startServing(PORT);
    expect(node.output()).toContain('DB loaded from');
    expect(await redis.dbsize()).toBe(1004);
    expect(await redis.get('key:999')).toBe('value-999');
    expect(await redis.get('written-after-bgsave')).toBe('yes');
    expect(Number(await redis.call('PEXPIRETIME', 'ttl'))).toBe(deadline);
    expect(await redis.hgetall('hash')).toEqual({ a: '1', b: '2' });
    expect(await redis.zrange('zset', '0', '-1')).toEqual(['one', 'three']);
    expect(fields(await redis.info('persistence')).rdb_last_load_keys_loaded).toBe('1004');
    await redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    expect(await node.exited).toBe(0);
  });

  it('process: a node started on a damaged snapshot exits non-zero with the error and never listens', async () => {
    const good = readFileSync(join(dir, 'dump.kvnl'));
    const cases: Array<[string, Buffer]> = [
      ['BAD_CHECKSUM', Buffer.from(good).fill(0x41, 77, 78)], // the first key's first byte: only the file CRC covers it
      ['TRUNCATED', good.subarray(0, good.length - 10)],
      ['BAD_MAGIC', Buffer.concat([Buffer.from('REDIS0009'), good.subarray(9)])],
    ];
    for (const [code, bytes] of cases) {
      writeFileSync(join(dir, 'dump.kvnl'), bytes);
      const node = spawnNode(PORT);
      const exit = await node.exited;
      expect(exit).not.toBe(0);
      expect(node.output()).toContain(code);
      expect(node.output()).toContain('dump.kvnl');
      expect(await refused(PORT)).toBe(true);
    }
    writeFileSync(join(dir, 'dump.kvnl'), good);
  });

  it('process: SIGTERM saves like a plain SHUTDOWN', async () => {
    const { node, redis } = await startServing(PORT);
    await redis.set('by-sigterm', '1');
    node.child.kill('SIGTERM');
    expect(await node.exited).toBe(0);
    const again = await startServing(PORT);
    expect(await again.redis.get('by-sigterm')).toBe('1');
    await again.redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    expect(await again.node.exited).toBe(0);
  });
});
