import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callText, fields, waitFor } from '../cluster/launcher/admin.js';
import { parseClusterNodes } from '../controller/cluster.js';
import type { EventView } from '../controller/event-log.js';
import { type RunningController, spawnController, startController, stopController } from '../controller/start.js';
import { isAlive } from '../cluster/launcher/processes.js';
import { openQueryStore } from '../telemetry/open-sink.js';
import { queryRows } from '../telemetry/store.js';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';
import { runCli } from './support/run-cli.js';

/*
 * The controller against real clusters started as `kvnetlab up` starts them: events go
 * through the CLI (`kvnetlab event ...`, token and URL found in the run directory), rows
 * through a real collector (chDB), read back with SQL. Ports (a cluster takes 2N: proxies,
 * then nodes): redis-server 22701-22712, kvnetlab 22731-22742 (bus +10000, below the
 * ephemeral range), collector 22750.
 */

const HOST = '127.0.0.1';

interface Rig {
  cluster: TestCluster;
  controller: RunningController;
  runId: string;
}

async function roleOf(port: number): Promise<{ role: string; master: string; id: string }> {
  const me = parseClusterNodes(await callText(HOST, port, ['CLUSTER', 'NODES'])).find((l) => l.flags.includes('myself'))!;
  return { role: me.role, master: me.masterId, id: me.id };
}

async function waitReplicasSynced(c: TestCluster): Promise<void> {
  for (const n of c.state.nodes.filter((x) => x.role === 'replica')) {
    await waitFor(`replica ${n.port} to sync`, 30_000, async () => fields(await callText(HOST, n.port, ['INFO', 'replication'])).master_link_status === 'up');
  }
}

async function writeKeys(c: TestCluster, count: number): Promise<void> {
  const client = new Cluster(c.seeds, { lazyConnect: false });
  try {
    for (let i = 0; i < count; i++) await client.set(`ctl:${i}`, `v${i}`);
  } finally {
    client.disconnect();
  }
}

async function event(dir: string, ...args: string[]): Promise<EventView> {
  const r = await runCli(['event', ...args, '--dir', dir, '--json'], 120_000);
  expect(r.code, `${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0);
  return JSON.parse(r.stdout) as EventView;
}

/** The phase durations, printed as the test's figures. */
function printPhases(label: string, ev: EventView): void {
  const ms = (e: EventView) => e.endMs - e.startMs;
  console.log(`${label}: ${ev.kind} ${ms(ev)} ms = ${ev.phases.map((p) => `${p.name} ${ms(p)}`).join(', ')}`);
  for (const p of ev.phases) if (p.detail.misses) console.log(`  ${p.name}: ${JSON.stringify(p.detail.misses)}`);
}

async function clusterOk(c: TestCluster): Promise<boolean> {
  for (const n of c.state.nodes) if (fields(await callText(HOST, n.port, ['CLUSTER', 'INFO'])).cluster_state !== 'ok') return false;
  return true;
}

/** cp-partial of the group of master `masterPort` (replica `replicaPort`): roles swap, both resync partially. */
async function cpPartialSwapsGroup(rig: Rig, masterPort: number, replicaPort: number): Promise<EventView> {
  const before = await roleOf(masterPort);
  expect(before.role).toBe('master');
  const ev = await event(rig.cluster.dir, 'cp-partial', '--group', String(masterPort), '--pause', '200');
  expect(ev.state).toBe('ok');
  printPhases(rig.cluster.state.kind, ev);
  expect(ev.phases.map((p) => p.name)).toEqual([
    `restart ${replicaPort}`, `resync ${replicaPort}`, `failover ${replicaPort}`, `restart ${masterPort}`, `resync ${masterPort}`, 'settle',
  ]);
  for (const p of ev.phases.filter((x) => x.kind === 'resync')) {
    expect(p.detail, p.name).toMatchObject({ full_syncs: 0 });
    expect(p.detail.partial_syncs, p.name).toBeGreaterThanOrEqual(1);
  }
  expect((await roleOf(replicaPort)).role).toBe('master');
  expect(await roleOf(masterPort)).toMatchObject({ role: 'replica', master: (await roleOf(replicaPort)).id });
  await waitFor('cluster_state:ok everywhere', 20_000, () => clusterOk(rig.cluster));
  return ev;
}

async function storedEvents(collector: CollectorProcess, runId: string) {
  const store = await openQueryStore({ collectorUrl: collector.url });
  return queryRows<{ event_id: string; parent_id: string; kind: string; node: string; status: string; start_ms: string; end_ms: string }>(
    store,
    `SELECT event_id, parent_id, kind, node, status, start_ms, end_ms FROM events FINAL WHERE run_id = '${runId}' ORDER BY start_ms, event_id`,
  );
}

let collector: CollectorProcess;
let storeDir: string;

beforeAll(async () => {
  storeDir = mkdtempSync(join(tmpdir(), 'kvnl-ctl-store-'));
  collector = await startCollectorProcess(storeDir, 22750);
}, 60_000);
afterAll(async () => {
  await collector?.stop();
  rmSync(storeDir, { recursive: true, force: true });
});

async function rig(basePort: number, redis: boolean, runId: string): Promise<Rig> {
  const cluster = await startCluster({ primaries: 3, replicas: 1, basePort, redis, nodeTimeout: 1000 });
  await waitReplicasSynced(cluster);
  const controller = await startController({
    runDir: cluster.dir, port: 0, runId, store: { collectorUrl: collector.url }, pauseMs: 200, timeoutMs: 30_000, failoverTryMs: 3000, log: () => {},
  });
  return { cluster, controller, runId };
}

describe('controller against redis-server 7.0 (3P-1R)', () => {
  let r: Rig | undefined;
  beforeAll(async () => {
    r = await rig(22701, true, `ctl-redis-${Date.now()}`);
    await writeKeys(r.cluster, 200);
  }, 90_000);
  afterAll(async () => {
    await r?.controller.close();
    await r?.cluster.stop();
  });

  it('controller: failover, snapshot, kill and restart, then a cp-partial swap roles back, each stored with its phases', async () => {
    const rig = r!;
    const dir = rig.cluster.dir;
    // up: 22701-22703 masters, 22704 replicates 22701, 22705 -> 22702, 22706 -> 22703.
    const fo = await event(dir, 'failover', '--node', '22704');
    expect(fo).toMatchObject({ state: 'ok', detail: { mode: 'default', attempts: 1 } });
    expect((await roleOf(22704)).role).toBe('master');
    expect((await roleOf(22701)).role).toBe('replica');

    const snap = await event(dir, 'snapshot', '--node', '22702');
    expect(snap.state).toBe('ok');
    expect(snap.detail.bytes).toBeGreaterThan(0);

    const kill = await event(dir, 'kill', '--node', '22705');
    expect(kill.detail.outcome).toBe('killed');
    await expect(callText(HOST, 22705, ['PING'])).rejects.toThrow();
    const restart = await event(dir, 'restart', '--node', '22705');
    expect(restart).toMatchObject({ state: 'ok', detail: { role: 'replica' } });
    expect(restart.phases.map((p) => p.name)).toEqual(['restart 22705', 'resync 22705']);
    expect(await callText(HOST, 22705, ['PING'])).toBe('PONG');

    // The group of 22704 (master since the failover): 22701 becomes master again.
    const cp = await cpPartialSwapsGroup(rig, 22704, 22701);

    // A second event on a busy group is refused with 409 while the first runs.
    // (Checked in controller/app.test.ts; here the stored rows:)
    await rig.controller.close();
    const rows = await storedEvents(collector, rig.runId);
    const top = rows.filter((x) => x.parent_id === '');
    expect(top.map((x) => x.kind)).toEqual(['failover', 'snapshot', 'kill', 'restart', 'cp-partial']);
    expect(top.every((x) => x.status === 'ok' && Number(x.end_ms) >= Number(x.start_ms) && Number(x.end_ms) > 0)).toBe(true);
    const phases = rows.filter((x) => x.parent_id === cp.id);
    expect(phases.map((x) => x.kind)).toEqual(['restart', 'resync', 'failover', 'restart', 'resync', 'settle']);
    expect(phases.every((x) => x.status === 'ok')).toBe(true);
    const cpRow = top.find((x) => x.kind === 'cp-partial')!;
    expect(phases.every((x) => Number(x.start_ms) >= Number(cpRow.start_ms) && Number(x.end_ms) <= Number(cpRow.end_ms))).toBe(true);
    expect(await clusterOk(rig.cluster)).toBe(true);
  }, 180_000);

  it('controller: a failover whose master is dead escalates from plain CLUSTER FAILOVER to FORCE; the old master rejoins as replica', async () => {
    const rig = r!;
    // A second controller with a short ladder (the first one was closed to read its rows).
    const c = await startController({ runDir: rig.cluster.dir, port: 0, runId: `${rig.runId}-ladder`, sink: null, log: () => {}, timeoutMs: 30_000, failoverTries: 2, failoverTryMs: 1000 });
    try {
      // Keep 22706 from failing over on its own, so only the controller's ladder can promote it.
      expect(await callText(HOST, 22706, ['CONFIG', 'SET', 'cluster-replica-no-failover', 'yes'])).toBe('OK');
      const post = async (body: object) => {
        const res = await fetch(`${c.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` }, body: JSON.stringify(body) });
        expect(res.status).toBe(202);
        const { event } = (await res.json()) as { event: EventView };
        await c.runner.idle;
        return c.runner.get(event.id)!;
      };
      expect((await post({ kind: 'kill', node: '22703' })).state).toBe('ok');
      await waitFor('22703 to be flagged fail', 20_000, async () => parseClusterNodes(await callText(HOST, 22706, ['CLUSTER', 'NODES'])).some((l) => l.addr.startsWith('127.0.0.1:22703@') && l.flags.includes('fail')));
      const fo = await post({ kind: 'failover', node: '22706' });
      expect(fo.state, JSON.stringify(fo.error)).toBe('ok');
      expect(fo.detail).toMatchObject({ mode: 'force', attempts: 3 });
      expect((fo.detail.misses as string[])[0]).toMatch(/^CLUSTER FAILOVER: /);
      expect((await roleOf(22706)).role).toBe('master');
      const back = await post({ kind: 'restart', node: '22703' });
      expect(back.state, JSON.stringify(back.error)).toBe('ok');
      expect(await roleOf(22703)).toMatchObject({ role: 'replica', master: (await roleOf(22706)).id });
      await waitFor('cluster_state:ok everywhere', 20_000, () => clusterOk(rig.cluster));
    } finally {
      await c.close();
    }
  }, 120_000);
});

describe('controller against kvnetlab nodes (3P-1R)', () => {
  let r: Rig | undefined;
  beforeAll(async () => {
    r = await rig(22731, false, `ctl-ts-${Date.now()}`);
    await writeKeys(r.cluster, 200);
  }, 90_000);
  afterAll(async () => {
    await r?.controller.close();
    await r?.cluster.stop();
  });

  it('controller: on kvnetlab nodes a cp-partial swaps a group with partial resyncs, a cp-full resyncs fully', async () => {
    const partial = await cpPartialSwapsGroup(r!, 22731, 22734);
    const full = await event(r!.cluster.dir, 'cp-full', '--group', '22732');
    expect(full.state).toBe('ok');
    printPhases('kvnetlab', full);
    for (const p of full.phases.filter((x) => x.kind === 'resync')) {
      expect(p.detail.full_syncs, p.name).toBeGreaterThanOrEqual(1);
      expect(p.detail.partial_syncs, p.name).toBe(0);
    }
    expect((await roleOf(22735)).role).toBe('master');
    expect((await roleOf(22732)).role).toBe('replica');
    // Conventional patching restarts each node as the new version (INFO server).
    const version = async (port: number) => fields(await callText(HOST, port, ['INFO', 'server'])).kvnetlab_version;
    for (const port of [22731, 22734, 22732, 22735]) expect(await version(port), String(port)).toBe('v2');
    expect(await version(22733)).toBe('v1');
    expect(full.phases.find((p) => p.kind === 'restart')!.detail).toMatchObject({ from_version: 'v1', to_version: 'v2' });
    // Data survived both: every key written before reads back through the cluster.
    const client = new Cluster(r!.cluster.seeds);
    try {
      expect(await client.get('ctl:0')).toBe('v0');
      expect(await client.get('ctl:199')).toBe('v199');
    } finally {
      client.disconnect();
    }
    await r!.controller.close();
    const rows = await storedEvents(collector, r!.runId);
    expect(rows.filter((x) => x.parent_id === partial.id).map((x) => `${x.kind} ${x.status}`)).toEqual(
      ['restart ok', 'resync ok', 'failover ok', 'restart ok', 'resync ok', 'settle ok'],
    );
    expect(rows.filter((x) => x.parent_id === '').map((x) => x.kind)).toEqual(['cp-partial', 'cp-full']);
  }, 180_000);

  it('controller: spawnController starts `kvnetlab controller` for up, stopController ends it', async () => {
    const spawned = await spawnController(r!.cluster.dir, ['--port', '0', '--collector-url', collector.url]);
    try {
      expect(isAlive(spawned.pid, spawned.cmdlineMark)).toBe(true);
      const cluster = (await (await fetch(`${spawned.url}/cluster`)).json()) as { nodes: Array<{ cluster_state: string }> };
      expect(cluster.nodes.map((n) => n.cluster_state)).toEqual(Array(6).fill('ok'));
      const refused = await fetch(`${spawned.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"snapshot","node":"22731"}' });
      expect(refused.status).toBe(401);
      const snap = await event(r!.cluster.dir, 'snapshot', '--node', '22731');
      expect(snap.state).toBe('ok');
    } finally {
      expect(await stopController(r!.cluster.dir)).toBe('stopped');
    }
    expect(isAlive(spawned.pid, spawned.cmdlineMark)).toBe(false);
  }, 60_000);
});
