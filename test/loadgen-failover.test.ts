import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../telemetry/local-sinks.js';
import { runLoadgen } from '../loadgen/main.js';
import { preset } from '../loadgen/presets.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';

/*
 * A master killed under load: ioredis follows the failover (its replica takes over), and
 * what that cost the clients is counted, not hidden: retried attempts, operations that
 * failed in the end, and a gap in the per-100 ms rows. Real redis-server, 3 masters with
 * one replica each, cluster-node-timeout 1000 ms, client ports 22630-22635.
 */

let cluster: TestCluster;

describe('loadgen through a failover', () => {
  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, replicas: 1, basePort: 22630, redis: true, nodeTimeout: 1000 });
    // `up` waits for the roles, not for the first sync; a replica that never synced refuses
    // to fail over ("Disconnected from master for longer than allowed"), so wait for it here.
    for (const n of cluster.state.nodes.filter((x) => x.role === 'replica')) {
      const r = new Redis({ port: n.port });
      try {
        const until = Date.now() + 30_000;
        while (!/master_link_status:up/.test(await r.info('replication'))) {
          if (Date.now() > until) throw new Error(`replica ${n.port} never synced`);
          await new Promise((res) => setTimeout(res, 200));
        }
      } finally {
        r.disconnect();
      }
    }
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('loadgen: a killed master is failed over under load; retries and failures are counted and the run recovers', async () => {
    const victim = cluster.state.nodes.find((n) => n.role === 'master')!;
    const sink = new MemorySink();
    let killedAt = 0;
    const s = await runLoadgen({
      spec: { ...preset('ycsb-a'), recordCount: 300, operationCount: 0, durationS: 8 },
      phase: 'both', seeds: cluster.seeds.filter((x) => x.port !== victim.port), connections: 4, target: 500, seed: 1,
      memoryBytes: 0, runId: 'failover', out: null, sink, progress: () => undefined,
      beforeRun: async () => {
        setTimeout(() => {
          killedAt = Date.now();
          process.kill(victim.pid, 'SIGKILL');
        }, 1500);
      },
    });
    expect(killedAt).toBeGreaterThan(0);
    const all = Object.values(s.ops);
    const retries = all.reduce((n, o) => n + o.retries, 0);
    const errors = all.reduce((n, o) => n + o.errors, 0);
    expect(retries + errors).toBeGreaterThan(0); // the failover was seen, not hidden
    expect(sink.rows('ops').reduce((n, r) => n + r.errors, 0)).toBe(errors);
    // Every failed operation's final error is in the summary, by message.
    expect(all.reduce((n, o) => n + Object.values(o.error_messages).reduce((a, b) => a + b, 0), 0)).toBe(errors);
    expect(sink.rows('ops').reduce((n, r) => n + r.ops, 0)).toBe(s.operations);
    // Recovered: the last second of the run completed operations without errors.
    const lastTs = Math.max(...sink.rows('ops').map((r) => r.ts_ms));
    const tail = sink.rows('ops').filter((r) => r.ts_ms > lastTs - 1000);
    expect(tail.reduce((n, r) => n + r.ops, 0)).toBeGreaterThan(200);
    expect(tail.reduce((n, r) => n + r.errors, 0)).toBe(0);
    // Latency from the intended start carries the outage: well over the node timeout.
    expect(s.ops.READ!.intended.MaxLatency_us).toBeGreaterThan(1_000_000);
    process.stderr.write(`failover: retries ${retries}, failed ops ${errors}, max intended READ ${s.ops.READ!.intended.MaxLatency_us} us\n`);
  });
});
