import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callText, sleep, waitFor } from '../cluster/launcher/admin.js';
import { keyHashSlot } from '../cluster/store/slot.js';
import { checkHistory } from '../migration/linearizability.js';
import { keysFor } from '../migration/keys.js';
import { runMigration } from '../migration/run.js';
import { parseSlotRange } from '../migration/slots.js';
import { formatTable, migrationTable } from '../migration/table.js';
import { channelBytesFromFiles } from '../migration/traffic-files.js';
import { VersionedWorkload } from '../migration/versioned-workload.js';
import { type RunningController, startController } from '../controller/start.js';
import { runCli } from './support/run-cli.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';

/*
 * Source-based migration run by the source node (KVNETLAB.MIGRATE-OUT, migration/
 * source-protocol.ts) on a kvnetlab 3P-0R cluster under `up` (proxies writing JSON lines),
 * with plain ioredis Cluster clients: no router, nothing in the client knows a migration
 * runs. Ports 20201-20206 (bus 30201-30206).
 */
function client(c: TestCluster): Cluster {
  return new Cluster(c.seeds, { redisOptions: { connectTimeout: 2000 }, scaleReads: 'master', retryDelayOnMoved: 5, maxRedirections: 32 });
}

/** A writer of partial updates: HSET of one field at a time on a few hashes, with the expected records. */
function hashWriter(redis: Cluster, keys: string[], maxOps: number) {
  const model = new Map<string, Map<string, string>>(keys.map((k) => [k, new Map()]));
  let stop = false;
  const done = (async () => {
    for (let i = 0; i < maxOps && !stop; i++) {
      const key = keys[i % keys.length]!;
      const field = `f${(i * 7) % 11}`;
      await redis.hset(key, field, `v${i}`);
      model.get(key)!.set(field, `v${i}`);
      await sleep(1);
    }
  })();
  return { model, async stop() { stop = true; await done; } };
}

describe('migration, source protocol on the nodes', () => {
  let c: TestCluster;
  let redis: Cluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 0, basePort: 20201 });
    redis = client(c);
  }, 90_000);
  afterAll(async () => {
    redis?.disconnect();
    await c?.stop();
  });

  it('migrate source: plain ioredis clients; every key once afterwards with its latest value (partial updates too); no stale read, no lost acknowledged write; forwards and copy on channel migration', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const range = parseSlotRange('0-199');
    const keys = keysFor(range, 200, 'src:');
    const hashes = keysFor(range, 8, 'srch:');
    const wl = new VersionedWorkload(redis, { keys, writers: 4, readers: 4, writePauseMs: 2, maxOps: 100_000, valueBytes: 64 });
    await wl.load();
    wl.start();
    const hw = hashWriter(redis, hashes, 20_000);
    await sleep(200);
    const out = await runMigration({
      from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: range, protocol: 'source', batchKeys: 20, groupPauseMs: 2,
    });
    await sleep(200);
    const history = await wl.stop();
    await hw.stop();
    const finals = await wl.finals();
    console.log(`source: ${out.ms} ms, ${out.keys} keys copied, ${out.forwarded} forwarded; ${history.reads.length} reads, ${history.writes.length} writes, errors ${JSON.stringify([...history.errors])}`);
    expect(out.groups).toEqual({ 'not-migrated': 0, ongoing: 0, migrated: 200 });
    expect(out.forwarded).toBeGreaterThan(0);
    expect(checkHistory(history.writes, history.reads, finals).slice(0, 5)).toEqual([]);
    expect(history.reads.length).toBeGreaterThan(200);
    expect([...finals.values()].every((v) => v >= 1)).toBe(true);
    for (const [key, fieldsWanted] of hw.model) expect(await redis.hgetall(key)).toEqual(Object.fromEntries(fieldsWanted));
    // Exactly once: on the destination only.
    const slots = [...new Set([...keys, ...hashes].map(keyHashSlot))];
    let atDest = 0;
    for (const s of slots) {
      expect(await call('127.0.0.1', src!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s])).toEqual({ t: 'int', v: 0 });
      const r = await call('127.0.0.1', dst!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s]);
      atDest += r.t === 'int' ? r.v : 0;
    }
    expect(atDest).toBe(keys.length + hashes.length);
    expect(await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES'])).not.toMatch(/\[\d+-[<>]-/);
    expect(await callText('127.0.0.1', dst!.port, ['CLUSTER', 'NODES'])).not.toMatch(/\[\d+-[<>]-/);
    const st = await callText('127.0.0.1', src!.port, ['KVNETLAB.MIGRATE-OUT', 'STATUS']);
    expect(st).toMatch(/^state:idle\r\n/);
    // The source's link and the coordinator are channel migration at the destination's proxy (flushed every 100 ms).
    await waitFor('migration rows', 5000, async () => {
      const b = await channelBytesFromFiles(c.dir, 0, Date.now() + 1000);
      return (b.migration ?? 0) > 200 * 64;
    });
  }, 120_000);

  it('kvnetlab event migrate --protocol source: the controller runs it as an event with phases open, copy, pause and detail {keys, forwarded}', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const ctl: RunningController = await startController({ runDir: c.dir, port: 0, runId: 'mig-source', sink: null, log: () => {} });
    try {
      const keys = keysFor(parseSlotRange('1000-1099'), 40, 'ev:');
      for (const k of keys) await redis.set(k, 'v');
      const r = await runCli(['event', 'migrate', '--from', String(src!.port), '--to', String(dst!.port), '--slots', '1000-1099', '--protocol', 'source', '--json', '--dir', c.dir]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const ev = JSON.parse(r.stdout) as { kind: string; state: string; detail: Record<string, unknown>; phases: Array<{ kind: string; state: string; detail: Record<string, unknown> }> };
      expect(ev).toMatchObject({ kind: 'migrate', state: 'ok', detail: { protocol: 'source', from: src!.id, to: dst!.id, slots: '1000-1099' } });
      expect(ev.detail.keys).toBeGreaterThanOrEqual(40);
      expect(ev.detail.forwarded).toBe(0);
      expect(ev.phases.map((p) => `${p.kind} ${p.state}`)).toEqual(['open ok', 'copy ok', 'pause ok']);
      // The pause is the protocol's downtime, reported with the phase.
      expect(ev.phases[2]!.detail).toMatchObject({ pauseMs: expect.any(Number), forwarded: 0 });
      expect(ev.phases[2]!.detail.pauseMs as number).toBeGreaterThan(0);
      for (const k of keys) expect(await redis.get(k)).toBe('v');
      const owner = await call('127.0.0.1', src!.port, ['CLUSTER', 'COUNTKEYSINSLOT', 1000]);
      expect(owner).toEqual({ t: 'int', v: 0 });
    } finally {
      await ctl.close();
    }
  }, 120_000);

  it('migration table, source on the nodes: server-side extra grows with the write ratio (the forwards), client-side extra stays near 0', async () => {
    const [a, b] = c.state.nodes.filter((n) => n.role === 'master');
    const slots = parseSlotRange('2000-2099');
    const rows = await migrationTable({
      host: '127.0.0.1', masters: [a!.port, b!.port], seeds: c.seeds.map((s) => s.port),
      channelBytes: (from, to) => channelBytesFromFiles(c.dir, from, to),
      slots, keys: 1000, valueBytes: 1000, clients: 4, beforeMs: 1200, groupPauseMs: 10,
      protocols: ['source'], writeRatios: [0, 30],
      log: (l) => console.log(l),
    });
    console.log(formatTable(rows, slots));
    const [r0, r30] = rows;
    expect(rows).toHaveLength(2);
    expect(r30!.serverExtraPct).toBeGreaterThan(r0!.serverExtraPct + 20);
    expect(r30!.counters.keys).toBeGreaterThanOrEqual(1000);
    // Held commands answer -MOVED once and ioredis follows: a few redirects and slot-map refreshes.
    for (const r of rows) expect(Math.abs(r.clientExtraPct)).toBeLessThan(5);
  }, 300_000);
});
