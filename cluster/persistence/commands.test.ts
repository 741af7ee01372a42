import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvNode } from '../node/node.js';
import { defaultConfig } from '../node/config.js';
import { loadSnapshotFile } from './file.js';
import { entriesView, keyspaceState } from './test-kit.js';
import { fields, waitFor } from '../launcher/admin.js';

/** An in-process node on port 0 owning every slot, and an ioredis client to it. */
async function startNode(dir: string): Promise<{ node: KvNode; redis: Redis; exits: number[] }> {
  const node = new KvNode(defaultConfig({ port: 0, busPort: 0, dir }));
  const exits: number[] = [];
  node.onExit = (code) => exits.push(code);
  await node.start();
  const redis = new Redis({ port: node.listeningPorts()[0], host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  await redis.connect();
  if (node.cluster.myself.numSlots === 0) await redis.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  await waitFor('cluster_state:ok', 10_000, async () => String(await redis.call('CLUSTER', 'INFO')).includes('cluster_state:ok'));
  return { node, redis, exits };
}

describe('persistence commands on an in-process node', () => {
  let dir: string;
  let open: Array<{ node: KvNode; redis: Redis }> = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvnl-persist-'));
    open = [];
  });
  afterEach(async () => {
    for (const { node, redis } of open) {
      redis.disconnect();
      await node.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async () => {
    const n = await startNode(dir);
    open.push(n);
    return n;
  };

  it('persistence: SAVE writes dump.kvnl and a node made on the same dir has the keys back with their absolute expiry', async () => {
    const { redis } = await start();
    await redis.set('s', 'v');
    await redis.set('t', 'ttl', 'PX', 3_600_000);
    await redis.hset('h', 'f1', 'a', 'f2', 'b');
    await redis.zadd('z', 1.5, 'm1', -2, 'm2');
    const deadline = Number(await redis.call('PEXPIRETIME', 't'));
    expect(await redis.call('SAVE')).toBe('OK');
    expect(await redis.config('GET', 'dbfilename')).toEqual(['dbfilename', 'dump.kvnl']);
    expect(await redis.config('GET', 'dir')).toEqual(['dir', dir]);

    const again = await start();
    expect(await again.redis.get('s')).toBe('v');
    expect(Number(await again.redis.call('PEXPIRETIME', 't'))).toBe(deadline);
    expect(await again.redis.hgetall('h')).toEqual({ f1: 'a', f2: 'b' });
    expect(await again.redis.zrange('z', '0', '-1', 'WITHSCORES')).toEqual(['m2', '-2', 'm1', '1.5']);
    const info = fields(await again.redis.info('persistence'));
    expect(info.rdb_last_load_keys_loaded).toBe('4');
    expect(info.rdb_changes_since_last_save).toBe('0');
    expect(again.node.saver.loaded?.header.replId).toMatch(/^[0-9a-f]{40}$/);
  });

  it('persistence: BGSAVE starts, refuses a second BGSAVE and a SAVE while running, then reports ok in INFO', async () => {
    const { node, redis } = await start();
    const value = 'x'.repeat(1024);
    const p = redis.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`k${i}`, value);
    await p.exec();
    const before = Number(await redis.lastsave());
    const r = await redis.pipeline().bgsave().bgsave().save().info('persistence').exec();
    expect(r![0]).toEqual([null, 'Background saving started']);
    expect(String(r![1][0])).toContain('Background save already in progress');
    expect(String(r![2][0])).toContain('Background save already in progress');
    expect(fields(r![3][1] as string).rdb_bgsave_in_progress).toBe('1');
    await node.saver.background;
    const info = fields(await redis.info('persistence'));
    expect(info).toMatchObject({ rdb_bgsave_in_progress: '0', rdb_last_bgsave_status: 'ok', rdb_changes_since_last_save: '0', rdb_saves: '1' });
    expect(Number(info.rdb_last_save_time)).toBeGreaterThanOrEqual(before);
    expect(Number(await redis.lastsave())).toBe(Number(info.rdb_last_save_time));
    await redis.set('after', '1');
    expect(fields(await redis.info('persistence')).rdb_changes_since_last_save).toBe('1');
  });

  it('persistence: writes made while BGSAVE runs stay out of the file, in-place hash and zset changes included', async () => {
    const { node, redis } = await start();
    const p = redis.pipeline();
    for (let i = 0; i < 2000; i++) {
      p.hset(`h${i}`, 'f', 'before', 'pad', 'y'.repeat(300));
      p.zadd(`z${i}`, 1, 'm');
    }
    await p.exec();
    const frozen = keyspaceState(node.db); // a copy: the values are about to change in place
    const q = redis.pipeline().bgsave();
    for (let i = 1999; i >= 0; i -= 7) {
      q.hset(`h${i}`, 'f', 'after');
      q.zincrby(`z${i}`, 5, 'm');
      q.del(`h${i - 1}`);
      q.set(`new${i}`, 'n');
    }
    q.flushall();
    await q.exec();
    await node.saver.background;
    const got: Array<{ key: string; value: import('../store/value.js').Value; expireAt: number | undefined }> = [];
    loadSnapshotFile(join(dir, 'dump.kvnl'), (e) => got.push(e));
    const view = entriesView(got);
    expect(view.size).toBe(frozen.size);
    for (const [k, v] of frozen) expect(view.get(k), k).toEqual(v);
    expect(fields(await redis.info('persistence')).rdb_last_cow_size).not.toBe('0');
  });

  it('persistence: SHUTDOWN saves by default, NOSAVE does not, and both end the node', async () => {
    const first = await start();
    await first.redis.set('kept', '1');
    await first.redis.call('SHUTDOWN').catch(() => undefined);
    expect(first.exits).toEqual([0]);

    const second = await start();
    expect(await second.redis.get('kept')).toBe('1');
    await second.redis.set('lost', '1');
    await second.redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    expect(second.exits).toEqual([0]);

    const third = await start();
    expect(await third.redis.get('kept')).toBe('1');
    expect(await third.redis.get('lost')).toBeNull();
  });

  it('persistence: a save that fails keeps the node up unless FORCE; bad SHUTDOWN arguments are syntax errors', async () => {
    const { redis, exits } = await start();
    mkdirSync(join(dir, 'dump.kvnl', 'blocker'), { recursive: true }); // rename onto a non-empty dir fails
    await expect(redis.call('SAVE')).rejects.toThrow(/^ERR$/);
    expect(await redis.bgsave()).toBe('Background saving started');
    await redis.ping();
    await new Promise((r) => setTimeout(r, 50));
    expect(fields(await redis.info('persistence')).rdb_last_bgsave_status).toBe('err');
    await expect(redis.call('SHUTDOWN', 'NOSAVE', 'SAVE')).rejects.toThrow('ERR syntax error');
    await expect(redis.call('SHUTDOWN', 'ABORT')).rejects.toThrow('ERR No shutdown in progress.');
    await expect(redis.call('BGSAVE', 'NOW')).rejects.toThrow('ERR syntax error');
    await expect(redis.call('SHUTDOWN')).rejects.toThrow('ERR Errors trying to SHUTDOWN. Check logs.');
    expect(exits).toEqual([]);
    expect(await redis.ping()).toBe('PONG');
    await redis.call('SHUTDOWN', 'FORCE').catch(() => undefined);
    expect(exits).toEqual([0]);
  });

  it('persistence: CONFIG SET dbfilename takes a file name, not a path', async () => {
    const { redis } = await start();
    await expect(redis.config('SET', 'dbfilename', 'a/b')).rejects.toThrow("dbfilename can't be a path");
    expect(await redis.config('SET', 'dbfilename', 'other.kvnl')).toBe('OK');
    expect(await redis.call('SAVE')).toBe('OK');
    expect(readFileSync(join(dir, 'other.kvnl')).subarray(0, 8).toString()).toBe('KVNLSNAP');
  });
});

