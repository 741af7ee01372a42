import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callText, sleep, waitFor } from '../cluster/launcher/admin.js';
import { keyHashSlot } from '../cluster/store/slot.js';
import { parseClusterNodes } from '../controller/cluster.js';
import { type RunningController, startController } from '../controller/start.js';
import { MigrationError } from '../migration/errors.js';
import { keysFor } from '../migration/keys.js';
import { checkHistory } from '../migration/linearizability.js';
import { runMigration } from '../migration/run.js';
import { parseSlotRange } from '../migration/slots.js';
import { channelBytesFromFiles } from '../migration/traffic-files.js';
import { VersionedWorkload } from '../migration/versioned-workload.js';
import { liveSlotOwners } from './support/slot-owners.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';
import { runCli } from './support/run-cli.js';

/*
 * `rocksteady` driven by the destination node (cluster/node/rocksteady-*.ts), on kvnetlab
 * clusters under `up` (a proxy in front of every node), with plain ioredis Cluster
 * clients: no router, the -TRYAGAIN retries are ioredis' own. Ports 20411-20416 (3P-0R)
 * and 20431-20442 (3P-1R), bus ports +10000.
 */
function client(c: TestCluster, extra: Record<string, unknown> = {}): Cluster {
  return new Cluster(c.seeds, { redisOptions: { connectTimeout: 2000 }, scaleReads: 'master', retryDelayOnMoved: 5, retryDelayOnTryAgain: 5, retryDelayOnClusterDown: 100, maxRedirections: 64, ...extra });
}

/** Every `migration` byte the proxies filed so far. */
const migrationBytes = (dir: string): number => channelBytesFromFiles(dir, 0, Number.MAX_SAFE_INTEGER).migration ?? 0;

const intOf = async (port: number, args: Array<string | number>): Promise<number> => {
  const r = await call('127.0.0.1', port, args);
  return r.t === 'int' ? r.v : -1;
};

/** Fields of KVNETLAB.MIGRATE-IN STATUS. */
async function status(port: number): Promise<Record<string, string>> {
  const r = await call('127.0.0.1', port, ['KVNETLAB.MIGRATE-IN', 'STATUS']);
  const out: Record<string, string> = {};
  const v = r.t === 'array' && r.v ? r.v : [];
  for (let i = 0; i + 1 < v.length; i += 2) {
    const x = v[i + 1]!;
    out[String(v[i]!.t === 'bulk' ? v[i]!.v : '')] = x.t === 'int' ? String(x.v) : x.t === 'bulk' ? String(x.v) : '';
  }
  return out;
}

describe('migration, rocksteady on the nodes (3P-0R)', () => {
  let c: TestCluster;
  let redis: Cluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 0, basePort: 20411 });
    redis = client(c);
  }, 90_000);
  afterAll(async () => {
    redis?.disconnect();
    await c?.stop();
  });

  it('migrate rocksteady: every key exists once afterwards with its latest value; no stale read, no lost acknowledged write; misses were retried by ioredis itself; the pulls are channel migration', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const range = parseSlotRange('0-199');
    const inRange = keysFor(range, 300, 'rs:');
    const keys = [...inRange, ...keysFor(range, 50, 'rs:', false)];
    const wl = new VersionedWorkload(redis, { keys, writers: 4, readers: 6, writePauseMs: 2, maxOps: 200_000, valueBytes: 64 });
    await wl.load();
    wl.start();
    await sleep(300);
    const migrationBefore = migrationBytes(c.dir);
    const out = await runMigration({
      from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: range, protocol: 'rocksteady', batchKeys: 10, groupPauseMs: 5,
    });
    await sleep(300);
    const history = await wl.stop();
    const finals = await wl.finals();
    const st = await status(dst!.port);
    console.log(`rocksteady: ${out.ms} ms, ${out.keys} keys pulled, ${out.batches} batches; dest ${JSON.stringify(st)}; ${history.reads.length} reads, ${history.writes.length} writes, errors ${JSON.stringify([...history.errors])}`);

    expect(out.groups).toEqual({ 'not-migrated': 0, ongoing: 0, migrated: 200 });
    expect(st.state).toBe('done');
    expect(checkHistory(history.writes, history.reads, finals).slice(0, 5)).toEqual([]);
    expect(history.reads.length).toBeGreaterThan(1000);
    expect([...finals.values()].every((v) => v >= 1)).toBe(true);
    // Clients met keys not pulled yet: each was a priority pull and a -TRYAGAIN that ioredis retried.
    expect(Number(st.tryagain)).toBeGreaterThan(0);
    expect(Number(st['priority-keys'])).toBeGreaterThan(0);
    // Exactly once: the range's keys on the destination only.
    let onDest = 0;
    for (const s of new Set(inRange.map(keyHashSlot))) {
      expect(await intOf(src!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s])).toBe(0);
      onDest += await intOf(dst!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s]);
    }
    expect(onDest).toBe(300);
    // Every master sees the destination as the owner; the third learnt it from the destination's claim on the bus alone.
    const third = c.state.nodes.filter((n) => n.role === 'master')[2]!;
    for (const port of [src!.port, dst!.port, third.port]) {
      const lines = parseClusterNodes(await callText('127.0.0.1', port, ['CLUSTER', 'NODES']));
      expect(lines.find((l) => l.id === dst!.id)!.slots.some((t) => t.startsWith('0-')), `view of ${port}`).toBe(true);
      expect(lines.find((l) => l.id === src!.id)!.slots.some((t) => t.startsWith('0-')), `view of ${port}`).toBe(false);
    }
    // The destination's pulls went through the source's proxy, named kvnetlab-migration.
    await waitFor('migration rows for the pulls', 5000, async () => migrationBytes(c.dir) - migrationBefore > 300 * 64);
  }, 120_000);

  it('kvnetlab event migrate --protocol rocksteady: the controller runs it as an event with phases open, pull, release', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const ctl: RunningController = await startController({ runDir: c.dir, port: 0, runId: 'rs', sink: null, log: () => {} });
    try {
      const keys = keysFor(parseSlotRange('1000-1099'), 40, 'ev:');
      for (const k of keys) await redis.set(k, 'v');
      const r = await runCli(['event', 'migrate', '--from', String(src!.port), '--to', String(dst!.port), '--slots', '1000-1099', '--protocol', 'rocksteady', '--json', '--dir', c.dir]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const ev = JSON.parse(r.stdout) as { kind: string; state: string; detail: Record<string, unknown>; phases: Array<{ kind: string; state: string }> };
      expect(ev).toMatchObject({ kind: 'migrate', state: 'ok', detail: { protocol: 'rocksteady', from: src!.id, to: dst!.id, slots: '1000-1099' } });
      expect(ev.detail.keys).toBeGreaterThanOrEqual(40);
      expect(ev.phases.map((p) => `${p.kind} ${p.state}`)).toEqual(['open ok', 'pull ok', 'release ok']);
      for (const k of keys) expect(await redis.get(k)).toBe('v');
      expect(await intOf(src!.port, ['CLUSTER', 'COUNTKEYSINSLOT', keyHashSlot(keys[0]!)])).toBe(0);
    } finally {
      await ctl.close();
    }
  }, 120_000);
});

describe('migration, rocksteady interrupted (3P-1R)', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 1, basePort: 20431, nodeTimeout: 2000 });
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('migrate rocksteady, destination killed (-9) midway (its replica had the pulled keys): the migration fails, every slot of the range goes back to the source, which serves every key; every slot has a live owner', async () => {
    const masters = c.state.nodes.filter((n) => n.role === 'master');
    const [src, dst] = masters;
    const range = parseSlotRange('2000-2299');
    const redis = client(c, { retryDelayOnFailover: 200 });
    const keys = keysFor(range, 300, 'kill:');
    // Readers only: writes the dead destination acknowledged are lost by design (the source's values come back).
    const wl = new VersionedWorkload(redis, { keys, writers: 0, readers: 4, writePauseMs: 0, maxOps: 200_000 });
    try {
      await wl.load();
      wl.start();
      let killed = false;
      let replicaKeys = 0;
      const failed = await runMigration({
        from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: range, protocol: 'rocksteady', timeoutMs: 2000, batchKeys: 10, groupPauseMs: 5,
        afterGroup: async (slot) => {
          if (slot !== range.first + 100) return;
          // The pulled keys reached the destination's replica (RESTORE ... ABSTTL in its stream).
          const replicaId = parseClusterNodes(await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES'])).find((l) => l.masterId === dst!.id)!.id;
          const replica = c.state.nodes.find((n) => n.id === replicaId)!;
          const pulled = await intOf(dst!.port, ['CLUSTER', 'COUNTKEYSINSLOT', range.first]);
          await waitFor('the replica has the first group', 5000, async () => (await intOf(replica.port, ['CLUSTER', 'COUNTKEYSINSLOT', range.first])) === pulled, 20);
          replicaKeys = pulled;
          process.kill(dst!.pid, 'SIGKILL');
          killed = true;
        },
      }).then(() => undefined, (e: unknown) => e);
      expect(killed).toBe(true);
      expect(replicaKeys).toBe(await intOf(src!.port, ['CLUSTER', 'COUNTKEYSINSLOT', range.first]));
      expect(replicaKeys).toBeGreaterThan(0);
      expect(failed).toBeInstanceOf(MigrationError);
      // At once, before any failover: the source owns and serves the whole range again.
      const mine = parseClusterNodes(await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES'])).find((l) => l.flags.includes('myself'))!;
      expect(mine.slots.some((t) => { const [a, b] = t.split('-').map(Number); return a! <= range.first && range.last <= (b ?? a!); })).toBe(true);
      // The destination's replica takes over the destination's own slots, not the range.
      await waitFor('cluster_state:ok after the failover', 30_000, async () => (await callText('127.0.0.1', src!.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
      await sleep(500);
      const owner = liveSlotOwners(await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES']));
      expect(owner.size).toBe(16384);
      for (const s of [range.first, range.first + 100, range.last]) expect(owner.get(s)).toBe(src!.id);
      const history = await wl.stop();
      expect(history.reads.length).toBeGreaterThan(100);
      const finals = await wl.finals();
      expect(keys.filter((k) => finals.get(k) !== 1).map((k) => `${k}@${keyHashSlot(k)}`)).toEqual([]);
      expect(checkHistory(history.writes, history.reads, finals).slice(0, 5)).toEqual([]);
    } finally {
      await wl.stop();
      redis.disconnect();
    }
  }, 120_000);
});
