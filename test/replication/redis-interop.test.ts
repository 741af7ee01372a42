import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callText, fields, text, waitFor } from '../../cluster/launcher/admin.js';
import { spawnDetached, stopProcess } from '../../cluster/launcher/processes.js';
import { KvNode } from '../../cluster/node/node.js';
import { defaultConfig } from '../../cluster/node/config.js';
import { PeerClient } from '../../cluster/node/peer-client.js';

/**
 * Wire interop with a real redis-server 7.0.15 master (ports 22041 TS, 22042 Redis):
 * the TS node joins Redis' cluster over the bus and replicates it. A full sync cannot
 * work (Redis sends an RDB, kvnetlab reads its own snapshot format), but once the TS node
 * holds Redis' replid and offset it continues partially: Redis accepts our handshake and
 * PSYNC, answers +CONTINUE, and its write stream (SELECT, rewritten SET PXAT, HSET, ...),
 * PINGs and REPLCONF GETACK are applied and ACKed with offsets Redis agrees with (WAIT).
 */
describe('replication interop: a kvnetlab replica of a real redis-server 7.0 master', () => {
  const dirs: string[] = [];
  let ts: KvNode;
  let redisPid = 0;
  const TS = 22041;
  const REDIS = 22042;
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'kvnetlab-interop-')));
    redisPid = spawnDetached(
      'redis-server',
      ['--port', String(REDIS), '--cluster-enabled', 'yes', '--save', '', '--appendonly', 'no', '--dir', dirs[1], '--repl-diskless-sync-delay', '0', '--proc-title-template', '{title} --port {port}'],
      dirs[1],
      join(dirs[1], 'log'),
    );
    await waitFor('redis-server', 10_000, async () => (await callText('127.0.0.1', REDIS, ['PING'])) === 'PONG');
    await call('127.0.0.1', REDIS, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
    ts = new KvNode(defaultConfig({ port: TS, dir: dirs[0], nodeTimeout: 5000 }));
    await ts.start();
  }, 30_000);
  afterAll(async () => {
    await ts?.stop();
    if (redisPid) await stopProcess(redisPid, `--port ${REDIS}`, 3000);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('interop: redis-server accepts the handshake and PSYNC, and its stream is applied with matching offsets', async () => {
    const redisId = await callText('127.0.0.1', REDIS, ['CLUSTER', 'MYID']);
    await call('127.0.0.1', TS, ['CLUSTER', 'MEET', '127.0.0.1', REDIS]);
    await waitFor('TS knows the Redis master', 15_000, async () => ts.cluster.lookup(redisId) !== undefined && ts.cluster.slots[0] !== undefined);
    text(await call('127.0.0.1', TS, ['CLUSTER', 'REPLICATE', redisId]));
    // First attempt: Redis takes our handshake and PSYNC, starts a full sync (and creates its backlog).
    await waitFor('Redis counted a full sync', 10_000, async () => Number(fields(text(await call('127.0.0.1', REDIS, ['INFO', 'stats']))).sync_full) >= 1);
    const r = fields(text(await call('127.0.0.1', REDIS, ['INFO', 'replication'])));
    expect(r.repl_backlog_active).toBe('1');
    ts.replication.restore(r.master_replid, BigInt(r.master_repl_offset));
    await waitFor('link up by +CONTINUE', 15_000, async () => ts.replication.link?.state === 'connected');
    expect(Number(fields(text(await call('127.0.0.1', REDIS, ['INFO', 'stats']))).sync_partial_ok)).toBe(1);

    // Redis holds writes back (CLUSTERDOWN) for its first 2 s (CLUSTER_WRITABLE_DELAY).
    await waitFor('Redis cluster_state:ok', 10_000, async () => (await callText('127.0.0.1', REDIS, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
    // One connection: WAIT then waits for this client's writes, so Redis sends REPLCONF
    // GETACK and only our ACK with Redis' own offset can answer it.
    const peer = new PeerClient('127.0.0.1', REDIS, 2000);
    try {
      const replies = await peer.pipeline(
        [['SET', 'a', '1', 'EX', '1000'], ['HSET', 'h', 'f', 'v'], ['INCRBYFLOAT', 'fl', '1.5'], ['ZADD', 'z', '2', 'm'], ['DEL', 'h'], ['WAIT', 1, 5000]],
        8000,
      );
      expect(replies.filter((r) => r.t === 'error')).toEqual([]);
      expect(replies[5]).toEqual({ t: 'int', v: 1 });
    } finally {
      peer.close();
    }
    const now = Date.now();
    expect(ts.db.get('a', now)).toEqual({ type: 'string', value: Buffer.from('1') });
    expect(ts.db.ttlMs('a', now)).toBeGreaterThan(900_000);
    expect(ts.db.exists('h', now)).toBe(false);
    expect(ts.db.get('fl', now)).toEqual({ type: 'string', value: Buffer.from('1.5') });
    expect(ts.db.type('z', now)).toBe('zset');
    const after = fields(text(await call('127.0.0.1', REDIS, ['INFO', 'replication'])));
    expect(after.slave0).toMatch(new RegExp(`port=${TS},state=online,offset=${ts.replication.history.offset},`));
    expect(String(ts.replication.history.offset)).toBe(after.master_repl_offset);
  });
});

/**
 * The other direction (ports 22043 TS master, 22044 Redis replica): redis-server's own
 * handshake against a kvnetlab master. The transfer itself fails by design (Redis reads
 * RDB only), but Redis must parse our +FULLRESYNC line and we must parse its REPLCONF and
 * PSYNC: Redis logs our replid and offset, and our INFO lists it with its listening port.
 */
describe('replication interop: a redis-server 7.0 replica of a kvnetlab master', () => {
  const dirs: string[] = [];
  let ts: KvNode;
  let redisPid = 0;
  const TS = 22043;
  const REDIS = 22044;
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'kvnetlab-interop-')));
    ts = new KvNode(defaultConfig({ port: TS, dir: dirs[0], nodeTimeout: 5000 }));
    await ts.start();
    await call('127.0.0.1', TS, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
    redisPid = spawnDetached(
      'redis-server',
      ['--port', String(REDIS), '--cluster-enabled', 'yes', '--save', '', '--appendonly', 'no', '--dir', dirs[1], '--proc-title-template', '{title} --port {port}'],
      dirs[1],
      join(dirs[1], 'log'),
    );
    await waitFor('redis-server', 10_000, async () => (await callText('127.0.0.1', REDIS, ['PING'])) === 'PONG');
  }, 30_000);
  afterAll(async () => {
    if (redisPid) await stopProcess(redisPid, `--port ${REDIS}`, 3000);
    await ts?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('interop: redis-server\'s REPLCONF and PSYNC are understood, and it parses our +FULLRESYNC', async () => {
    const tsId = ts.cluster.myself.name;
    await call('127.0.0.1', REDIS, ['CLUSTER', 'MEET', '127.0.0.1', TS]);
    await waitFor('Redis knows the TS master', 15_000, async () => (await callText('127.0.0.1', REDIS, ['CLUSTER', 'NODES'])).includes(`${tsId} 127.0.0.1:${TS}`));
    text(await call('127.0.0.1', REDIS, ['CLUSTER', 'REPLICATE', tsId]));
    await waitFor('a full sync requested', 15_000, async () => ts.replication.feeds.counters.syncFull >= 1);
    // A fresh Redis replica asks PSYNC with its own replid (not `?`): a partial-sync miss.
    expect(ts.replication.feeds.counters.syncPartialErr).toBeGreaterThanOrEqual(1);
    const { replid } = ts.replication.history;
    await waitFor('Redis logged our FULLRESYNC', 10_000, async () => readFileSync(join(dirs[1], 'log'), 'utf8').includes(`Full resync from master: ${replid}:`));
    const log = readFileSync(join(dirs[1], 'log'), 'utf8');
    expect(log).toContain('Master replied to PING, replication can continue...');
    expect(log).toMatch(/MASTER <-> REPLICA sync: receiving streamed RDB from master/);
  });
});
