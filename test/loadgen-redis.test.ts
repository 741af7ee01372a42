import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../telemetry/local-sinks.js';
import type { OpsRow } from '../telemetry/rows.js';
import { type LoadgenConfig, runLoadgen } from '../loadgen/main.js';
import { preset } from '../loadgen/presets.js';
import { ycsbKey } from '../loadgen/fnv.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';

/*
 * The load generator against a real Redis 7 cluster (`kvnetlab up --redis`, 3 masters, no
 * replicas, client ports 22610-22612 from loadgen's range 22601-22699).
 */

let cluster: TestCluster;
const config = (c: Partial<LoadgenConfig> & Pick<LoadgenConfig, 'spec'>): LoadgenConfig => ({
  phase: 'both', seeds: cluster.seeds, connections: 8, target: 0, seed: 1, memoryBytes: 0, runId: 'test-run',
  out: null, progress: () => undefined, ...c,
});
const sumBy = (rows: readonly OpsRow[], op: string, f: keyof OpsRow) => rows.filter((r) => r.op === op).reduce((s, r) => s + (r[f] as number), 0);

describe('loadgen against kvnetlab up --redis', () => {
  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, replicas: 0, basePort: 22610, redis: true });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('loadgen: ycsb-a and ycsb-e write ops rows per 100 ms that sum to the operations performed', async () => {
    for (const name of ['ycsb-a', 'ycsb-e'] as const) {
      const sink = new MemorySink();
      const spec = { ...preset(name), recordCount: 500, operationCount: 1500 };
      const s = await runLoadgen(config({ spec, sink, runId: `sum-${name}` }));
      expect(s.load?.records).toBe(500);
      expect(s.operations).toBe(1500);
      for (const [op, o] of Object.entries(s.ops)) {
        expect(sumBy(sink.rows('ops'), op, 'ops')).toBe(o.operations);
        expect(sumBy(sink.rows('ops'), op, 'errors')).toBe(o.errors);
      }
      expect(sink.rows('ops').every((r) => r.ts_ms % 100 === 0 && r.run_id === `sum-${name}`)).toBe(true);
      expect(Object.values(s.ops).reduce((n, o) => n + o.errors, 0)).toBe(0);
      if (name === 'ycsb-a') expect(s.ops.READ!.hits).toBe(s.ops.READ!.operations);
      if (name === 'ycsb-e') expect(s.ops.SCAN!.operations + s.ops.INSERT!.operations).toBe(1500);
    }
  });

  it('loadgen: --verify finds no lost or stale acknowledged write, and finds a deleted and an overwritten one', async () => {
    const spec = { ...preset('ycsb-a'), recordCount: 300, operationCount: 1500 };
    const clean = await runLoadgen(config({ spec, verify: true }));
    expect(clean.verify!.checked).toBe(300 * 10);
    expect(clean.verify!.acknowledged_writes).toBeGreaterThanOrEqual(300 * 10 + clean.ops.UPDATE!.operations);
    expect([clean.verify!.lost, clean.verify!.stale, clean.verify!.unreadable]).toEqual([0, 0, 0]);
    const damaged = await runLoadgen(config({
      spec, verify: true,
      afterRun: async () => {
        const c = new Redis.Cluster(cluster.seeds);
        try {
          await c.del(ycsbKey(0));
          await c.hset(ycsbKey(1), 'field0', 'not written by loadgen');
        } finally {
          c.disconnect();
        }
      },
    }));
    expect(damaged.verify!.lost).toBe(10); // the 10 fields of record 0
    expect(damaged.verify!.stale).toBe(1);
  });

  it('loadgen: --memory loads until the masters use that much memory, with a progress line', async () => {
    const lines: string[] = [];
    const probe = new Redis.Cluster(cluster.seeds);
    let before = 0;
    try {
      await probe.flushall();
      for (const n of probe.nodes('master')) before += Number(/used_memory:(\d+)/.exec(await n.info('memory'))![1]);
    } finally {
      probe.disconnect();
    }
    const target = before + 8 * 2 ** 20;
    const spec = { ...preset('memtier-set'), recordCount: 10 };
    const s = await runLoadgen(config({ spec, phase: 'load', memoryBytes: target, progress: (l) => lines.push(l) }));
    expect(s.load!.used_memory).toBeGreaterThanOrEqual(target);
    expect(s.load!.records).toBeGreaterThan(8 * 2 ** 20 / 4096 / 2); // > half of the ideal count
    expect(s.load!.records).toBeLessThan(8 * 2 ** 20 / 4096 * 2); // and stopped near the goal
    expect(lines.at(-1)).toMatch(/^load \[#{30}\] 100\.0% .* MiB .* rec\/s ETA 0\.0s errors 0$/);
  });

  it('loadgen: a slot moved under the clients is followed and counted as MOVED redirects, not hidden', async () => {
    const admin = cluster.state.nodes.map((n) => new Redis({ port: n.port, lazyConnect: true }));
    try {
      for (const a of admin) await a.connect();
      for (const a of admin) await a.flushall();
      const keySlot = Number(await admin[0]!.cluster('KEYSLOT', 'memtier-1'));
      const slots = (await admin[0]!.cluster('SLOTS')) as unknown as Array<[number, number, [string, number, string]]>;
      const owner = slots.find(([lo, hi]) => keySlot >= lo && keySlot <= hi)![2];
      const target = cluster.state.nodes.find((n) => n.port !== owner[1])!;
      const sink = new MemorySink();
      const spec = { ...preset('memtier-set'), recordCount: 50, operationCount: 400, valueSize: 64 };
      const s = await runLoadgen(config({
        spec, sink, phase: 'run',
        beforeRun: async () => {
          // The clients have cached the slot map; now the slot (still empty) changes owner.
          for (const a of admin) await a.cluster('SETSLOT', keySlot, 'NODE', target.id);
        },
      }));
      const set = s.ops.SET!;
      expect(set.errors).toBe(0);
      expect(set.moved).toBeGreaterThan(0);
      expect(sumBy(sink.rows('ops'), 'SET', 'redirects')).toBe(set.moved + set.ask);
      expect(await admin.find((a) => a.options.port === target.port)!.exists('memtier-1')).toBe(1);
      process.stderr.write(`moved: ${set.moved} MOVED redirects followed over ${set.operations} SETs, 0 errors\n`);
    } finally {
      for (const a of admin) a.disconnect();
    }
  });

  it('loadgen: a master stopped for 300 ms shows in the p99 from the intended start, not from the actual start', async () => {
    const victim = cluster.state.nodes[1]!;
    const sink = new MemorySink();
    const spec = { ...preset('ycsb-c'), recordCount: 1000, operationCount: 0, durationS: 2.5 };
    let stalledAt = 0;
    const s = await runLoadgen(config({
      spec, sink, target: 2000,
      beforeRun: async () => {
        setTimeout(() => {
          stalledAt = Date.now();
          process.kill(victim.pid, 'SIGSTOP');
          setTimeout(() => process.kill(victim.pid, 'SIGCONT'), 300);
        }, 1000);
      },
    }));
    expect(stalledAt).toBeGreaterThan(0);
    const read = s.ops.READ!;
    expect(read.errors).toBe(0);
    // ~600 operations were due during the stall: >1 % of ~5000, all late by up to 300 ms.
    expect(read.intended.p99_us).toBeGreaterThan(200_000);
    // From the actual start only the <= 8 operations in flight at the stall waited long.
    expect(read.actual.p99_us).toBeLessThan(100_000);
    expect(read.actual.MaxLatency_us).toBeGreaterThan(250_000);
    // The per-100 ms rows (intended latency) show the stall around when it happened.
    const slow = sink.rows('ops').filter((r) => r.op === 'READ' && r.p99_us > 150_000);
    expect(slow.length).toBeGreaterThan(0);
    expect(Math.abs(slow[0]!.ts_ms - stalledAt)).toBeLessThan(1000);
    expect(sumBy(sink.rows('ops'), 'READ', 'ops')).toBe(read.operations);
    process.stderr.write(`stall: READ p99 from intended start ${read.intended.p99_us} us, from actual start ${read.actual.p99_us} us, max actual ${read.actual.MaxLatency_us} us\n`);
  });
});
