import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { startCluster, type TestCluster } from './support/local-cluster.js';
import { call, callText, fields } from '../cluster/launcher/admin.js';

/**
 * System test: the real ioredis Cluster client against `kvnetlab up --primaries 3
 * --replicas 1` (six node processes). Writes and reads 10,000 keys of three types,
 * then moves a slot by hand with SETSLOT/MIGRATE while reading, so ioredis has to
 * follow ASK during the move and MOVED after it.
 */
/** Whether CLUSTER NODES text says node `id` serves `slot`. */
function ownsSlot(nodes: string, id: string, slot: number): boolean {
  const line = nodes.split('\n').find((l) => l.startsWith(id));
  return (line ?? '').split(' ').slice(8).some((r) => {
    const [a, b] = r.split('-').map(Number);
    return slot >= a && slot <= (b ?? a);
  });
}

describe('ioredis Cluster against a 3P-1R kvnetlab cluster', () => {
  let cluster: TestCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, replicas: 1, basePort: 21001 });
    client = new Cluster(cluster.seeds, { redisOptions: { connectTimeout: 2000 }, scaleReads: 'master' });
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
    });
  }, 120_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('writes and reads back 10,000 keys as strings, hashes and sorted sets over all slots', async () => {
    const N = 10_000;
    // Cluster pipelines must stay within one slot, so commands go one by one (ioredis still
    // pipelines them per connection). Auto-pipelining is off: it does not follow MOVED, with
    // redis-server as with kvnetlab (seen here after a reshard).
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < N; i++) {
      const key = `key:${i}`;
      if (i % 3 === 0) writes.push(client.set(key, `value-${i}`));
      else if (i % 3 === 1) writes.push(client.hset(key, { f1: `a${i}`, f2: `b${i}` }));
      else writes.push(client.zadd(key, i, `m${i}`, i + 0.5, `n${i}`));
    }
    const written = await Promise.allSettled(writes);
    expect(written.filter((r) => r.status === 'rejected').length).toBe(0);

    const reads: Array<Promise<unknown>> = [];
    for (let i = 0; i < N; i++) {
      const key = `key:${i}`;
      if (i % 3 === 0) reads.push(client.get(key));
      else if (i % 3 === 1) reads.push(client.hgetall(key));
      else reads.push(client.zrangebyscore(key, '-inf', '+inf', 'WITHSCORES'));
    }
    const results = await Promise.all(reads);
    let bad = 0;
    results.forEach((v, i) => {
      if (i % 3 === 0 && v !== `value-${i}`) bad++;
      else if (i % 3 === 1 && JSON.stringify(v) !== JSON.stringify({ f1: `a${i}`, f2: `b${i}` })) bad++;
      else if (i % 3 === 2 && JSON.stringify(v) !== JSON.stringify([`m${i}`, String(i), `n${i}`, String(i + 0.5)])) bad++;
    });
    expect(bad).toBe(0);

    // Every master holds a share: the keys really are spread over the slots.
    const masters = cluster.state.nodes.filter((n) => n.role === 'master');
    const sizes = await Promise.all(masters.map(async (m) => Number((await call('127.0.0.1', m.port, ['DBSIZE'])).v)));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(N);
    for (const s of sizes) expect(s).toBeGreaterThan(N / 5);
  });

  it('serves redis-benchmark --cluster (SET, GET, INCR) without a single error reply', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { stdout } = await promisify(execFile)(
      'redis-benchmark',
      ['--cluster', '-p', String(cluster.seeds[0].port), '-t', 'set,get,incr', '-n', '20000', '-c', '20', '-q'],
      { timeout: 120_000 },
    );
    const text = stdout.replace(/\r/g, '\n');
    for (const test of ['SET', 'GET', 'INCR']) expect(text).toMatch(new RegExp(`^${test}: [\\d.]+ requests per second`, 'm'));
    // redis-benchmark does not report errors in -q mode; the nodes' errorstats do.
    for (const n of cluster.state.nodes.filter((x) => x.role === 'master')) {
      const errors = await callText('127.0.0.1', n.port, ['INFO', 'errorstats']);
      expect(errors.trim()).toBe('# Errorstats');
    }
  });

  it('follows ASK while a slot is migrating and MOVED after it moved', async () => {
    const masters = cluster.state.nodes.filter((n) => n.role === 'master');
    // Keys with one hash tag live in one slot; find which master serves it.
    const tag = '{slotmove}';
    const slot = Number((await call('127.0.0.1', masters[0].port, ['CLUSTER', 'KEYSLOT', tag])).v);
    const nodesText = await callText('127.0.0.1', masters[0].port, ['CLUSTER', 'NODES']);
    const source = masters.find((m) => ownsSlot(nodesText, m.id, slot))!;
    const target = masters.find((m) => m !== source)!;

    const keys = Array.from({ length: 50 }, (_, i) => `${tag}:k${i}`);
    for (const k of keys) await client.set(k, `v-${k}`);

    await callText('127.0.0.1', target.port, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id]);
    await callText('127.0.0.1', source.port, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id]);
    // Move half of the keys: those now answer ASK from the source.
    const moved = keys.slice(0, 25);
    expect((await call('127.0.0.1', source.port, ['MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...moved])).v).toBe('OK');
    for (const k of keys) expect(await client.get(k)).toBe(`v-${k}`);
    // A new key in a migrating slot is created on the target through ASK.
    await client.set(`${tag}:new`, 'fresh');

    const rest = [...keys.slice(25)];
    expect((await call('127.0.0.1', source.port, ['MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...rest])).v).toBe('OK');
    for (const n of cluster.state.nodes.filter((x) => x.role === 'master')) {
      await callText('127.0.0.1', n.port, ['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]);
    }
    for (const k of keys) expect(await client.get(k)).toBe(`v-${k}`);
    expect(await client.get(`${tag}:new`)).toBe('fresh');
    expect(Number((await call('127.0.0.1', source.port, ['CLUSTER', 'COUNTKEYSINSLOT', slot])).v)).toBe(0);
    expect(Number((await call('127.0.0.1', target.port, ['CLUSTER', 'COUNTKEYSINSLOT', slot])).v)).toBe(51);

    const errors = fields(await callText('127.0.0.1', source.port, ['INFO', 'errorstats']));
    expect(Number(errors.errorstat_ASK?.split('=')[1] ?? 0)).toBeGreaterThan(0);
    expect(Number(errors.errorstat_MOVED?.split('=')[1] ?? 0)).toBeGreaterThan(0);
  });
});
