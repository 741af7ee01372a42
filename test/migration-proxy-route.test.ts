import { execFileSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callText, sleep, waitFor } from '../cluster/launcher/admin.js';
import { keyHashSlot } from '../cluster/store/slot.js';
import { parseClusterNodes } from '../controller/cluster.js';
import { type RunningController, startController } from '../controller/start.js';
import { MigrationError } from '../migration/errors.js';
import { checkHistory } from '../migration/linearizability.js';
import { keysFor } from '../migration/keys.js';
import { runMigration } from '../migration/run.js';
import { formatTable, migrationTable } from '../migration/table.js';
import { channelBytesFromFiles } from '../migration/traffic-files.js';
import { type SlotRange, parseSlotRange, slotsOf } from '../migration/slots.js';
import { VersionedWorkload } from '../migration/versioned-workload.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';
import { runCli } from './support/run-cli.js';
import { liveSlotOwnersAt, waitReplicaInSync } from './support/slot-owners.js';

/*
 * `proxy` (proxy-tracked, NetMigrate's switch) with the routing in the proxy in front of
 * the source (proxy/route/), plain ioredis Cluster clients, under `up`:
 * kvnetlab 3P-0R (ports 20001-20006), kvnetlab 3P-1R with the destination killed
 * (20011-20022), redis-server 7.0 3P-0R (20031-20036).
 */
function client(c: TestCluster): Cluster {
  return new Cluster(c.seeds, { redisOptions: { connectTimeout: 2000 }, scaleReads: 'master', retryDelayOnMoved: 5, retryDelayOnTryAgain: 20, retryDelayOnClusterDown: 100, maxRedirections: 32 });
}

/** The proxy protocol under a versioned read/write workload of plain cluster clients; checks every key once and the history. */
async function moveUnderLoad(c: TestCluster, redis: Cluster, range: SlotRange, prefix: string): Promise<void> {
  const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
  const keys = keysFor(range, 200, prefix);
  const wl = new VersionedWorkload(redis, { keys, writers: 4, readers: 4, writePauseMs: 2, maxOps: 100_000, valueBytes: 64 });
  await wl.load();
  wl.start();
  await sleep(300);
  let status: Record<string, unknown> = {};
  const out = await runMigration({
    from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: range, protocol: 'proxy', batchKeys: 20,
    afterGroup: async (slot) => {
      // The source's proxy answers its own STATUS on a connection opened with KVNETLAB.PROXY.
      // The 17th group: the first 16 are handed over by then (in one batch on kvnetlab nodes, one by one on Redis).
      if (slot === range.first + 16) status = JSON.parse(await callText('127.0.0.1', src!.port, ['KVNETLAB.PROXY', 'MIGRATION', 'STATUS'])) as Record<string, unknown>;
    },
  });
  await sleep(300);
  const history = await wl.stop();
  const finals = await wl.finals();
  console.log(`proxy (${prefix}): ${out.ms} ms, ${out.keys} keys; ${history.reads.length} reads, ${history.writes.length} writes, errors ${JSON.stringify([...history.errors])}`);
  expect(out.groups).toEqual({ 'not-migrated': 0, ongoing: 0, migrated: slotsOf(range).length });
  // The cluster client's connection to the source was routed by its proxy.
  expect(status).toMatchObject({ open: true, dest: `127.0.0.1:${dst!.port}` });
  expect(status.handedOver).toBeGreaterThanOrEqual(16);
  expect(status.routed).toBeGreaterThanOrEqual(1);
  expect(checkHistory(history.writes, history.reads, finals).slice(0, 5)).toEqual([]);
  expect(history.reads.length).toBeGreaterThan(200);
  expect(history.writes.length).toBeGreaterThan(200);
  expect(keys.every((k) => (finals.get(k) ?? 0) >= 1)).toBe(true);
  const slots = [...new Set(keys.map(keyHashSlot))];
  let onDest = 0;
  for (const s of slots) {
    expect(await call('127.0.0.1', src!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s])).toEqual({ t: 'int', v: 0 });
    const r = await call('127.0.0.1', dst!.port, ['CLUSTER', 'COUNTKEYSINSLOT', s]);
    onDest += r.t === 'int' ? r.v : 0;
  }
  expect(onDest).toBe(keys.length);
  expect(await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES'])).not.toMatch(/\[\d+-[<>]-/);
  expect(await callText('127.0.0.1', dst!.port, ['CLUSTER', 'NODES'])).not.toMatch(/\[\d+-[<>]-/);
}

describe('migration proxy, routed in the proxies: kvnetlab 3P-0R', () => {
  let c: TestCluster;
  let redis: Cluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 0, basePort: 20001 });
    redis = client(c);
  }, 90_000);
  afterAll(async () => {
    redis?.disconnect();
    await c?.stop();
  });

  it('migrate proxy: plain ioredis cluster clients during the move; every key exists once afterwards with its latest value; no stale read, no lost acknowledged write', async () => {
    await moveUnderLoad(c, redis, parseSlotRange('0-199'), 'pr:');
  }, 120_000);

  it('kvnetlab event migrate --protocol proxy: the controller runs it with phases open, copy and handover', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const ctl: RunningController = await startController({ runDir: c.dir, port: 0, runId: 'mig', sink: null, log: () => {} });
    try {
      const keys = keysFor(parseSlotRange('1000-1049'), 40, 'ev:');
      for (const k of keys) await redis.set(k, 'v');
      const r = await runCli(['event', 'migrate', '--from', String(src!.port), '--to', String(dst!.port), '--slots', '1000-1049', '--protocol', 'proxy', '--json', '--dir', c.dir]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const ev = JSON.parse(r.stdout) as { kind: string; state: string; detail: Record<string, unknown>; phases: Array<{ kind: string; state: string }> };
      expect(ev).toMatchObject({ kind: 'migrate', state: 'ok', detail: { protocol: 'proxy', from: src!.id, to: dst!.id, slots: '1000-1049' } });
      expect(ev.detail.keys).toBeGreaterThanOrEqual(40);
      expect(ev.phases.map((p) => `${p.kind} ${p.state}`)).toEqual(['open ok', 'copy ok', 'handover ok']);
      for (const k of keys) expect(await redis.get(k)).toBe('v');
    } finally {
      await ctl.close();
    }
  }, 120_000);

  it('migrate proxy: redis-cli, unmodified and without -c, reads and writes moving keys at the source address throughout; the source proxy sends them to the destination', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const range = parseSlotRange('3000-3019');
    const keys = keysFor(range, 20, 'cli:');
    for (const k of keys) await redis.set(k, `v-${k}`);
    const cli = (...args: string[]) => execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(src!.port), ...args], { encoding: 'utf8' }).trim();
    const seen: string[] = [];
    const want = new Map(keys.map((k) => [k, `v-${k}`]));
    await runMigration({
      from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: range, protocol: 'proxy',
      afterGroup: async (slot) => {
        // Every key, whatever its group's state now; a write to a copied group lands at the destination.
        for (const k of keys) seen.push(cli('GET', k) === want.get(k) ? 'ok' : `${k}@${keyHashSlot(k)}: ${cli('GET', k)}`);
        const moved = keys.find((k) => keyHashSlot(k) === slot);
        if (moved) {
          expect(cli('SET', moved, `w-${moved}`)).toBe('OK');
          want.set(moved, `w-${moved}`);
        }
      },
    });
    expect(seen.filter((x) => x !== 'ok')).toEqual([]);
    // The writes went to the destination, and the source node no longer owns the range (-MOVED).
    for (const k of keys) expect(await redis.get(k)).toBe(want.get(k));
    for (const k of keys.filter((x) => want.get(x)!.startsWith('w-'))) expect(await call('127.0.0.1', src!.nodePort, ['EXISTS', k])).toMatchObject({ t: 'error' });
    expect([...want.values()].filter((v) => v.startsWith('w-')).length).toBeGreaterThan(5);
    expect(seen).toHaveLength(20 * 20);
  }, 60_000);

  it('migration table: proxy-tracked client-side extra stays near 0 (below 1 %) at 0 and 30 % writes, with plain cluster clients', async () => {
    const [a, b] = c.state.nodes.filter((n) => n.role === 'master');
    const slots = parseSlotRange('4000-4099');
    const rows = await migrationTable({
      host: '127.0.0.1', masters: [a!.port, b!.port], seeds: c.seeds.map((x) => x.port),
      channelBytes: (from, to) => channelBytesFromFiles(c.dir, from, to),
      slots, keys: 1000, valueBytes: 1000, clients: 4, beforeMs: 1200, groupPauseMs: 10,
      protocols: ['proxy'], writeRatios: [0, 30],
    });
    console.log(formatTable(rows, slots));
    expect(rows.map((r) => r.writeRatio)).toEqual([0, 30]);
    for (const r of rows) {
      expect(r.clientExtraPct).toBeLessThan(1);
      expect(r.during.tput).toBeGreaterThan(0);
    }
  }, 180_000);

  it('migrate proxy against a node behind no kvnetlab proxy fails with a clear STEP_FAILED and leaves the slots with the source', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const failed = await runMigration({ from: { host: '127.0.0.1', port: src!.nodePort }, to: { host: '127.0.0.1', port: dst!.port }, slots: parseSlotRange('2000-2009'), protocol: 'proxy' }).then(() => undefined, (e: unknown) => e);
    expect(failed).toBeInstanceOf(MigrationError);
    expect((failed as MigrationError).code).toBe('STEP_FAILED');
    expect((failed as Error).message).toMatch(/proxy protocol needs kvnetlab's proxies in front of the nodes/);
    const nodes = await callText('127.0.0.1', dst!.port, ['CLUSTER', 'NODES']);
    expect(nodes).not.toMatch(/\[\d+-[<>]-/); // the destination's IMPORTING undone
    const me = parseClusterNodes(await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES'])).find((l) => l.flags.includes('myself'))!;
    expect(me.slots.some((t) => { const [a, b] = t.split('-').map(Number); return a! <= 2000 && 2009 <= (b ?? a!); })).toBe(true);
  }, 60_000);
});

describe('migration proxy, routed in the proxies: kvnetlab 3P-1R, destination killed', () => {
  const RANGE = parseSlotRange('0-299');
  const KILL_AFTER = 100;
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 1, basePort: 20011, nodeTimeout: 2000 });
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('migrate proxy, destination killed (-9) midway: the migration fails, the source serves the groups not handed over, the promoted replica the others, every key is read back, every slot has a live owner', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const redis = new Cluster(c.seeds, { redisOptions: { connectTimeout: 1000 }, scaleReads: 'master', retryDelayOnClusterDown: 200, retryDelayOnFailover: 200, maxRedirections: 64 });
    const keys = keysFor(RANGE, 200, 'pk:');
    const wl = new VersionedWorkload(redis, { keys, writers: 0, readers: 4, writePauseMs: 0, maxOps: 100_000 });
    try {
      await wl.load();
      wl.start();
      let killed = false;
      const failed = await runMigration({
        from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: RANGE, protocol: 'proxy', timeoutMs: 2000,
        afterGroup: async (slot) => {
          if (slot !== RANGE.first + KILL_AFTER - 1) return;
          // A kill -9 loses what replication had not sent, migration or not: let the replica catch up.
          await waitReplicaInSync('127.0.0.1', dst!.port);
          process.kill(dst!.pid, 'SIGKILL');
          killed = true;
        },
      }).then(() => undefined, (e: unknown) => e);
      expect(killed).toBe(true);
      expect(failed).toBeInstanceOf(MigrationError);
      expect(await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES'])).not.toMatch(/\[\d+-[<>]-/);
      await waitFor('cluster_state:ok after the failover', 30_000, async () => (await callText('127.0.0.1', src!.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
      const owner = await liveSlotOwnersAt('127.0.0.1', src!.port);
      expect(owner.size).toBe(16384);
      expect(owner.get(RANGE.first)).not.toBe(src!.id);
      expect(owner.get(RANGE.first + KILL_AFTER)).toBe(src!.id);
      expect(owner.get(RANGE.last)).toBe(src!.id);
      await sleep(500);
      const history = await wl.stop();
      expect(history.reads.length).toBeGreaterThan(100);
      const finals = await wl.finals();
      expect(keys.filter((k) => finals.get(k) !== 1).map((k) => `${k}@${keyHashSlot(k)}`)).toEqual([]);
    } finally {
      await wl.stop();
      redis.disconnect();
    }
  }, 120_000);
});

describe('migration proxy, routed in the proxies: redis-server 7.0 3P-0R', () => {
  let c: TestCluster;
  let redis: Cluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 0, basePort: 20031, redis: true });
    redis = client(c);
  }, 90_000);
  afterAll(async () => {
    redis?.disconnect();
    await c?.stop();
  });

  it('migrate proxy on redis-server: plain ioredis cluster clients; every key once with its latest value; no stale read, no lost acknowledged write', async () => {
    await moveUnderLoad(c, redis, parseSlotRange('300-449'), 'prs:');
  }, 120_000);
});
