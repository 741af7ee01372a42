import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callText, waitFor } from '../cluster/launcher/admin.js';
import { isAlive, kvnetlabCli } from '../cluster/launcher/processes.js';
import { type LocalClusterState, readState } from '../cluster/launcher/state-file.js';
import type { TrafficTotal } from '../proxy/totals.js';
import { startCollectorProcess, type CollectorProcess } from './support/collector-process.js';
import { runCli } from './support/run-cli.js';

/*
 * The proxies' rows in the telemetry store, through the CLI as a user runs it: `kvnetlab
 * up` (3P-1R, TS nodes) starts the collector and the proxies with `--sink store`; the
 * store is held against each proxy's own totals (the `totals` line it logs at exit).
 * Ports: cluster 21701-21712 (+10000 bus), collector 21720, a second 1-node cluster
 * 21715 (its unused collector port 21716); the lone proxy 21741, its
 * redis-server 21742, a port where no collector listens 21743.
 */
const BASE = 21701;
const COLLECTOR_PORT = 21720;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Sums = Record<string, { bytes: number; messages: number }>;

async function sql<T>(url: string, query: string): Promise<T[]> {
  const r = await runCli(['sql', '--collector-url', url, '--format', 'json', query]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T[];
}

/** A proxy's exit lines: what it counted over its life, and what its sink dropped. */
function exitReport(text: string): { totals: TrafficTotal[]; dropped: Record<string, number>; log: string } {
  const totals = /^\d+:P \S+ totals (.*)$/m.exec(text);
  const dropped = /^\d+:P \S+ dropped (.*)$/m.exec(text);
  if (!totals || !dropped) throw new Error(`no exit report in:\n${text}`);
  return { totals: JSON.parse(totals[1]!) as TrafficTotal[], dropped: JSON.parse(dropped[1]!) as Record<string, number>, log: text };
}

describe('proxy rows into the telemetry store under kvnetlab up', () => {
  let dir: string;
  let clusterDir: string;
  let storeDir: string;
  let state: LocalClusterState;
  let restarted: CollectorProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvnl-proxy-store-'));
    clusterDir = join(dir, 'cluster');
    storeDir = join(dir, 'store', 'chdb');
    const up = await runCli(
      ['up', '--primaries', '3', '--replicas', '1', '--base-port', String(BASE), '--node-timeout', '5000', '--dir', clusterDir,
        '--store-dir', storeDir, '--collector-port', String(COLLECTOR_PORT), '--no-controller'],
      120_000,
    );
    expect(up.code, up.stderr).toBe(0);
    state = readState(clusterDir)!;
  }, 150_000);

  afterAll(async () => {
    await runCli(['down', '--dir', clusterDir]);
    await restarted?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('up: starts the collector on the store dir first, records it, and its proxies write there', () => {
    expect(state.store?.dir).toBe(storeDir);
    expect(state.store?.collectorUrl).toBe(`http://127.0.0.1:${COLLECTOR_PORT}`);
    expect(state.store?.collector?.startedByUp).toBe(true);
    expect(isAlive(state.store!.collector!.pid, state.store!.collector!.cmdlineMark)).toBe(true);
    expect(state.proxies.map((p) => p.sink)).toEqual(Array(6).fill('store'));
    for (const p of state.proxies) expect(readFileSync(p.log, 'utf8')).toContain(`to http://127.0.0.1:${COLLECTOR_PORT}`);
  });

  it("up: the proxies' rows show up in kvnetlab sql together with the up's runs row", async () => {
    const url = state.store!.collectorUrl!;
    const [run] = await sql<{ label: string; detail: string; started_ms: string | number }>(url, `SELECT label, detail, started_ms FROM runs WHERE run_id = '${state.runId}'`);
    expect(run?.label).toBe('up 3P-1R kvnetlab');
    expect(Number(run!.started_ms)).toBe(Date.parse(state.startedAt));
    const detail = JSON.parse(run!.detail) as { topology: { primaries: number; replicas: number; nodes: Array<{ id: string; role: string }> } };
    expect(detail.topology.primaries).toBe(3);
    expect(detail.topology.nodes.map((n) => n.id).sort()).toEqual(state.nodes.map((n) => n.id).sort());
    // Rows flow within a tick plus a batch (100 ms + 1 s); the bus gossips all the time.
    let joined: Array<{ node: string; label: string; rows: string | number }> = [];
    for (let i = 0; i < 20 && joined.length < 6; i++) {
      await sleep(500);
      joined = await sql(url, `SELECT t.node AS node, r.label AS label, count() AS rows FROM traffic AS t INNER JOIN runs AS r ON t.run_id = r.run_id WHERE t.run_id = '${state.runId}' AND t.channel = 'bus' GROUP BY node, label`);
    }
    expect(joined.map((j) => j.node).sort()).toEqual(state.nodes.map((n) => n.id).sort());
    expect(joined.every((j) => j.label === 'up 3P-1R kvnetlab' && Number(j.rows) > 0)).toBe(true);
  }, 30_000);

  it('loadgen against up: it finds the collector up started, and its stored ops rows sum to the operations performed', async () => {
    const run = await runCli([
      'loadgen', '--preset', 'ycsb-a', '--cluster', `127.0.0.1:${BASE}`, '--records', '300', '--operations', '2000',
      '--connections', '4', '--run-id', 'lg-under-up', '--json', '--quiet', '--store-dir', storeDir,
    ], 120_000);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { operations: number; ops: Record<string, { operations: number }> };
    expect(summary.operations).toBeGreaterThanOrEqual(2000);
    const [stored] = await sql<{ ops: string | number }>(state.store!.collectorUrl!, "SELECT sum(ops) AS ops FROM ops WHERE run_id = 'lg-under-up'");
    expect(Number(stored!.ops)).toBe(summary.operations);
  }, 150_000);

  it('up: a second cluster on the same store dir reuses the live collector, and its down leaves it running', async () => {
    const second = join(dir, 'second');
    const up = await runCli(['up', '--no-proxy', '--primaries', '1', '--replicas', '0', '--base-port', '21715', '--dir', second, '--store-dir', storeDir, '--collector-port', '21716', '--no-controller']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`reusing the collector of ${storeDir}`);
    const s2 = readState(second)!;
    expect(s2.store?.collector).toMatchObject({ pid: state.store!.collector!.pid, startedByUp: false });
    expect((await runCli(['down', '--dir', second])).code).toBe(0);
    expect(isAlive(state.store!.collector!.pid, state.store!.collector!.cmdlineMark)).toBe(true);
    const runs = await sql<{ label: string }>(state.store!.collectorUrl!, `SELECT label FROM runs WHERE run_id = '${s2.runId}'`);
    expect(runs.map((r) => r.label)).toEqual(['up 1P-0R kvnetlab']);
  }, 60_000);

  it('proxy store: the stored sums equal the proxies\' own totals per node, channel and direction, across a 10 s collector outage (kill -9, restart on the same dir)', async () => {
    const client = new Cluster(state.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })), {
      redisOptions: { connectTimeout: 2000 }, slotsRefreshInterval: 0, enableAutoPipelining: true,
    });
    let stop = false;
    let ops = 0;
    // Bounded: at most 60 s or until told to stop, 400 commands per round.
    const load = (async () => {
      const deadline = Date.now() + 60_000;
      for (let round = 0; !stop && Date.now() < deadline; round++) {
        const batch: Array<Promise<unknown>> = [];
        for (let i = 0; i < 200; i++) {
          batch.push(client.set(`k${round % 50}:${i}`, 'v'.repeat(i % 200)));
          batch.push(client.get(`k${(round + 7) % 50}:${i}`));
        }
        await Promise.all(batch);
        ops += batch.length;
      }
    })();
    try {
      await sleep(4000);
      const collector = state.store!.collector!;
      process.kill(collector.pid, 'SIGKILL');
      const killedAt = Date.now();
      const opsAtKill = ops;
      await sleep(10_000);
      const opsDuringOutage = ops - opsAtKill;
      restarted = await startCollectorProcess(storeDir, COLLECTOR_PORT);
      const restartedAt = Date.now();
      await sleep(6000);
      stop = true;
      await load;
      client.disconnect();
      expect(opsDuringOutage).toBeGreaterThan(1000); // the load went on while the store was away

      // down: nodes, then the proxies (each closes its sink and logs its totals), then
      // the collector up started (already gone: the restarted one is this test's).
      const down = await runCli(['down', '--dir', clusterDir], 60_000);
      expect(down.code, down.stderr).toBe(0);

      const totals: Sums = {};
      for (const p of state.proxies) {
        const report = exitReport(readFileSync(p.log, 'utf8'));
        expect(report.dropped, p.log).toEqual({ runs: 0, traffic: 0, events: 0, ops: 0 });
        // The outage was felt and survived: rows were buffered and retried.
        expect(report.log).toMatch(/store: store \S+ unavailable/);
        expect(report.log).toMatch(/store: store \S+ reachable again after/);
        for (const t of report.totals) totals[`${t.node} ${t.channel} ${t.direction}`] = { bytes: t.bytes, messages: t.messages };
      }
      const channels = new Set(Object.keys(totals).map((k) => k.split(' ')[1]));
      expect([...channels].sort()).toEqual(['bus', 'client', 'replication']);

      for (const table of ['traffic', 'traffic_1s']) {
        const stored: Sums = {};
        const rows = await sql<{ node: string; channel: string; direction: string; bytes: string | number; messages: string | number }>(
          restarted.url,
          `SELECT node, channel, direction, sum(bytes) AS bytes, sum(messages) AS messages FROM ${table} WHERE run_id = '${state.runId}' GROUP BY node, channel, direction`,
        );
        for (const r of rows) stored[`${r.node} ${r.channel} ${r.direction}`] = { bytes: Number(r.bytes), messages: Number(r.messages) };
        expect(stored, table).toEqual(totals);
      }
      // Rows counted while the store was away are there (they waited in the proxies).
      const [during] = await sql<{ n: string | number }>(
        restarted.url,
        `SELECT count() AS n FROM traffic WHERE run_id = '${state.runId}' AND channel = 'client' AND ts_ms >= ${killedAt + 1000} AND ts_ms < ${restartedAt - 1000}`,
      );
      expect(Number(during!.n)).toBeGreaterThan(50);
      const clientBytes = Object.entries(totals).filter(([k]) => k.includes(' client ')).reduce((n, [, v]) => n + v.bytes, 0);
      console.log(`proxy-store: ${ops} commands, ${clientBytes} client bytes; stored = proxies' totals for ${Object.keys(totals).length} (node, channel, direction) keys, 0 rows dropped`);
    } finally {
      stop = true;
      await load.catch(() => undefined);
      client.disconnect();
    }
  }, 120_000);
});

describe('proxy --sink store when the store never comes', () => {
  let redis: ChildProcess;
  let proxy: ChildProcess;
  beforeAll(async () => {
    redis = spawn('redis-server', ['--port', '21742', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor('redis-server', 10_000, async () => (await callText('127.0.0.1', 21742, ['PING'])) === 'PONG');
  });
  afterAll(() => {
    proxy?.kill('SIGKILL');
    redis?.kill('SIGKILL');
  });

  it('proxy: SIGTERM with the store away exits after --close-timeout and logs the rows it could not keep, as many as it counted', async () => {
    proxy = spawn(process.execPath, [
      kvnetlabCli(), 'proxy', '--listen-port', '21741', '--no-bus', '--node-port', '21742', '--sink', 'store',
      '--collector-url', 'http://127.0.0.1:21743', '--close-timeout', '1500', '--run-id', 'never-stored',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proxy.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proxy.once('exit', (code) => r(code)));
    await waitFor('the proxy to relay', 10_000, async () => (await callText('127.0.0.1', 21741, ['PING'])) === 'PONG');
    for (let i = 0; i < 5; i++) await callText('127.0.0.1', 21741, ['SET', `k${i}`, 'v']);
    await sleep(300); // the rows of these connections leave the tally on the next tick
    const t0 = Date.now();
    proxy.kill('SIGTERM');
    expect(await exited).toBe(0);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(10_000);
    const { totals, dropped } = exitReport(out);
    const rows = totals.reduce((n, t) => n + t.rows, 0);
    expect(rows).toBeGreaterThan(0);
    expect(dropped.traffic).toBe(rows);
    expect(out).toContain(`rows the store could not keep: traffic ${rows}`);
  }, 30_000);
});
