import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { startCluster, type TestCluster } from '../support/local-cluster.js';
import { call, fields, text } from '../../cluster/launcher/admin.js';

/**
 * System test: `kvnetlab up --primaries 3 --replicas 1` (six node processes, ports
 * 22031-22036): every replica links to its master, and ioredis reading from replicas
 * (scaleReads: 'slave', which sends READONLY) sees what was written to the masters.
 */
describe('replication in a 3P-1R kvnetlab cluster', () => {
  let cluster: TestCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, replicas: 1, basePort: 22031 });
    client = new Cluster(cluster.seeds, { redisOptions: { connectTimeout: 2000 }, scaleReads: 'slave' });
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
    });
  }, 90_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('replication: every replica of the 3P-1R cluster links to its master and serves its data with READONLY', async () => {
    const replicaPorts = cluster.state.nodes.filter((n) => n.role === 'replica').map((n) => n.port);
    expect(replicaPorts).toHaveLength(3);
    // up returns only once every replica finished its first sync: no waiting here.
    for (const port of replicaPorts) {
      expect(fields(text(await call('127.0.0.1', port, ['INFO', 'replication']))).master_link_status, `replica ${port}`).toBe('up');
    }
    const keys = Array.from({ length: 300 }, (_, i) => `user:${i}`);
    for (const k of keys) await client.set(k, `value-of-${k}`);
    // WAIT on each master connection that wrote, so the replicas have the writes before we read there.
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    expect(await Promise.all(masters.map((m) => m.wait(1, 5000)))).toEqual([1, 1, 1]);
    const values = await Promise.all(keys.map((k) => client.get(k)));
    expect(values).toEqual(keys.map((k) => `value-of-${k}`));
    let replicated = 0;
    for (const port of replicaPorts) replicated += Number(/keys=(\d+)/.exec(text(await call('127.0.0.1', port, ['INFO', 'keyspace'])))?.[1] ?? 0);
    expect(replicated).toBe(keys.length);
  });
});
