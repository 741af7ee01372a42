import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalClusterState } from '../cluster/launcher/state-file.js';
import { DASHBOARDS } from '../dashboards/dashboards.js';
import { projectRoot } from '../dashboards/generate.js';
import type { DashboardSpec, PanelSpec } from '../dashboards/grafana.js';
import { renderQuery, type QueryContext } from '../dashboards/macros.js';
import { resultsHtml, type DashboardResult } from '../dashboards/results-html.js';
import { openQueryStore } from '../telemetry/open-sink.js';
import { queryRows, type Store } from '../telemetry/store.js';
import { runCli } from './support/run-cli.js';
import { shortRun, type ShortRun } from './support/short-run.js';

/*
 * Every dashboard panel's SQL, as Grafana and the ClickHouse plugin would send it, on chDB
 * against a real short run: `up` 3P-1R (ports 18001-18012, bus +10000; collector 18020,
 * controller 18021, node /metrics 18101+, proxy /metrics 18201+), YCSB-A load, a failover, a
 * snapshot, a restart (an event with phases), and a live patch when this build has live
 * patching. Then the README's SQL cookbook on the same data, and a screenshot of all the
 * results rendered as one HTML page. A real Prometheus (Debian's, 127.0.0.1:18030) scrapes
 * the run with dashboards/prometheus/prometheus.yml, its ports moved to the test's, and
 * answers every PromQL panel of the live dashboard.
 */
const exec = promisify(execFile);
const root = projectRoot();
const PORTS = { basePort: 18001, collectorPort: 18020, controllerPort: 18021, nodeMetricsPort: 18101, proxyMetricsPort: 18201, captureMetricsPort: 18301 };
const PROMETHEUS_PORT = 18030;
/** Live patching is in this build when its module is (the `patch` branch, contract-patch.md). */
const HAS_LIVE_PATCH = existsSync(join(root, 'cluster', 'patch'));
/** Slot migration through the controller (`kvnetlab event migrate`) is, when migration/ is. */
const HAS_MIGRATION = existsSync(join(root, 'migration', 'controller-event.ts'));
/** Features whose panels cannot have rows from this run, and why. */
const ABSENT: Partial<Record<NonNullable<PanelSpec['needs']>, string>> = {
  ...(HAS_LIVE_PATCH ? {} : { 'live-patch': 'live patching is not in this build' }),
  ...(HAS_MIGRATION ? {} : { migrate: 'slot migration is not in this build' }),
};

/** The first 100 slots of a master that owns slots now (roles changed with the failover), and another master. */
async function migrationPlan(port: number): Promise<{ from: number; to: number; slots: string }> {
  const { stdout } = await exec('redis-cli', ['-p', String(port), 'cluster', 'nodes']);
  const masters = stdout.trim().split('\n').map((l) => l.split(' ')).filter((f) => f[2]!.includes('master') && f[8]);
  const [from, to] = masters.map((f) => ({ port: Number(f[1]!.split(':')[1]!.split('@')[0]), first: Number(f[8]!.split('-')[0]) }));
  return { from: from!.port, to: to!.port, slots: `${from!.first}-${from!.first + 99}` };
}

let dir: string;
let run: ShortRun;
let store: Store;
let metricsText = '';
let prometheus: ChildProcess | undefined;

/**
 * The committed scrape config with its ports moved to the test's: node 9101+i -> 18101+i,
 * proxy 9201+i -> 18201+i, capture 9301 -> 18301 (no capture in this run: a target down), collector 8124, controller 8125, Prometheus 9090. Jobs, labels
 * and target lists stay as committed.
 */
function testScrapeConfig(): string {
  const cfg = parse(readFileSync(join(root, 'dashboards', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
  };
  const move = (port: number) =>
    port >= 9101 && port < 9200 ? PORTS.nodeMetricsPort + port - 9101
    : port >= 9201 && port < 9300 ? PORTS.proxyMetricsPort + port - 9201
    : port === 9301 ? PORTS.captureMetricsPort
    : port === 8124 ? PORTS.collectorPort : port === 8125 ? PORTS.controllerPort : port === 9090 ? PROMETHEUS_PORT : undefined;
  for (const job of cfg.scrape_configs) {
    for (const sc of job.static_configs) {
      sc.targets = sc.targets.map((t) => {
        const port = move(Number(t.split(':')[1]));
        if (port === undefined) throw new Error(`no test port for target ${t}`);
        return `127.0.0.1:${port}`;
      });
    }
  }
  cfg.global = { ...cfg.global, scrape_interval: '1s', scrape_timeout: '1s' };
  return stringify(cfg);
}

async function startPrometheus(base: string): Promise<ChildProcess> {
  const file = join(base, 'prometheus.yml');
  writeFileSync(file, testScrapeConfig());
  const p = spawn('prometheus', [`--config.file=${file}`, `--storage.tsdb.path=${join(base, 'tsdb')}`, `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`).then((r) => r.ok, () => false)) return p;
    await new Promise((r) => setTimeout(r, 200));
  }
  p.kill('SIGKILL');
  throw new Error('prometheus did not become ready');
}
const results: DashboardResult[] = [];

async function scrapeAll(state: LocalClusterState): Promise<string> {
  const urls = [`http://127.0.0.1:${PORTS.controllerPort}/metrics`, `http://127.0.0.1:${PORTS.collectorPort}/metrics`];
  state.nodes.forEach((_, i) => urls.push(`http://127.0.0.1:${PORTS.nodeMetricsPort + i}/metrics`, `http://127.0.0.1:${PORTS.proxyMetricsPort + i}/metrics`));
  const texts = await Promise.all(urls.map(async (u) => (await fetch(u)).text()));
  return texts.join('\n');
}

async function extraEvents(clusterDir: string, log: string[]): Promise<void> {
  const state = JSON.parse(readFileSync(join(clusterDir, 'cluster.json'), 'utf8')) as LocalClusterState;
  // A replica that did not take part in the failover: its restart has restart and resync phases.
  const replica = state.nodes.filter((n) => n.role === 'replica')[1]!;
  const r = await runCli(['event', 'restart', '--node', String(replica.port), '--dir', clusterDir], 120_000);
  log.push(`event restart: exit ${r.code}`);
  if (r.code !== 0) throw new Error(`restart failed: ${r.stdout} ${r.stderr}`);
  if (HAS_LIVE_PATCH) {
    const patch = join(clusterDir, 'dash-patch.json');
    const s = await runCli(['patch', 'synth', '--size', '4096', '--version', '1', '--dir', clusterDir, '--out', patch]);
    const p = await runCli(['event', 'live-patch', '--method', 'pull', '--patch', patch, '--dir', clusterDir], 120_000);
    log.push(`patch synth: exit ${s.code}; event live-patch: exit ${p.code}`);
    if (s.code !== 0 || p.code !== 0) throw new Error(`live patch failed: ${s.stderr} ${p.stdout} ${p.stderr}`);
  }
  if (HAS_MIGRATION) {
    const plan = await migrationPlan(state.nodes[0]!.port);
    const m = await runCli(['event', 'migrate', '--from', String(plan.from), '--to', String(plan.to), '--slots', plan.slots, '--dir', clusterDir], 120_000);
    log.push(`event migrate ${plan.slots}: exit ${m.code}`);
    if (m.code !== 0) throw new Error(`migrate failed: ${m.stdout} ${m.stderr}`);
  }
  metricsText = await scrapeAll(state);
}

/** Variable values as Grafana picks them on load: query variables run their SQL; multi/All take every value. */
async function variables(d: DashboardSpec, base: Omit<QueryContext, 'vars'>): Promise<QueryContext> {
  const ctx: QueryContext = { ...base, vars: {} };
  for (const v of d.variables) {
    const values = v.kind === 'custom' ? v.values : (await queryRows(store, renderQuery(v.sql, ctx))).map((r) => String(Object.values(r)[0]));
    expect(values.length, `variable ${v.name} of ${d.uid}`).toBeGreaterThan(0);
    ctx.vars[v.name] = v.includeAll ? values : values[0]!;
  }
  return ctx;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvnl-dash-'));
  try {
    prometheus = await startPrometheus(dir);
    run = await shortRun(dir, PORTS, extraEvents);
  } catch (e) {
    await runCli(['down', '--dir', join(dir, 'cluster')]);
    throw e;
  }
  store = await openQueryStore({ storeDir: run.storeDir });
}, 400_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  await store?.close();
  if (!dir) return;
  // shortRun ends with `down`; this one only matters when the run failed half-way.
  if (existsSync(join(dir, 'cluster', 'cluster.json'))) await runCli(['down', '--dir', join(dir, 'cluster')]);
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboards on a real short run (chDB)', () => {
  it('dashboards: every ClickHouse panel and annotation query runs with its macros and variables expanded, and returns rows', async () => {
    const base = { fromMs: run.startedMs, toMs: run.endedMs, intervalMs: 1000 };
    const empty: string[] = [];
    for (const d of DASHBOARDS.filter((x) => x.panels.some((p) => p.sql))) {
      const ctx = await variables(d, base);
      expect(ctx.vars.run, d.uid).toEqual(d.variables.find((v) => v.name === 'run')!.multi ? [run.runId] : run.runId);
      const panels = [];
      for (const p of [...d.panels.filter((x) => x.sql), ...d.annotations.map((a) => ({ title: `annotation: ${a.name}`, kind: 'annotation', sql: a.sql, needs: a.needs }))]) {
        const sql = renderQuery(p.sql!, ctx);
        const rows = await queryRows(store, sql);
        const absent = p.needs ? ABSENT[p.needs] : undefined;
        if (!absent && rows.length === 0) empty.push(`${d.uid}: ${p.title}\n${sql}`);
        panels.push({ title: p.title, kind: p.kind, rows, sql, emptyBecause: absent });
      }
      results.push({ title: d.title, uid: d.uid, panels });
    }
    expect(empty, `panels without rows (run log: ${run.log.join('; ')})`).toEqual([]);
  });

  it('dashboards: the network panel sees all six nodes and every channel; events and phases are annotation regions with an end', () => {
    const net = results.find((r) => r.uid === 'kvnetlab-network')!;
    const perNode = net.panels.find((p) => p.title.startsWith('Bytes/s sent per node'))!;
    expect(new Set(perNode.rows.map((r) => r.node_id)).size).toBe(6);
    const byChannel = net.panels.find((p) => p.title.startsWith('Bytes/s sent, all selected'))!;
    expect(new Set(byChannel.rows.map((r) => r.channel))).toEqual(new Set(['bus', 'replication', 'client', ...(HAS_MIGRATION ? ['migration'] : [])]));
    const events = net.panels.find((p) => p.title === 'annotation: events')!;
    const kinds = ['failover', 'restart', 'snapshot', ...(HAS_LIVE_PATCH ? ['live-patch'] : []), ...(HAS_MIGRATION ? ['migrate'] : [])];
    expect(events.rows.map((r) => r.tags).sort()).toEqual(kinds.sort());
    for (const r of events.rows) expect(Date.parse(`${String(r.timeEnd)}Z`)).toBeGreaterThanOrEqual(Date.parse(`${String(r.time)}Z`));
    const phases = net.panels.find((p) => p.title === 'annotation: phases')!;
    expect(phases.rows.map((r) => r.tags)).toEqual(expect.arrayContaining(['restart', 'resync']));
  });

  it('dashboards: the per-event overhead has one row per event and channel, and the load shows up as client bytes', () => {
    const runs = results.find((r) => r.uid === 'kvnetlab-runs')!;
    const overhead = runs.panels.find((p) => p.title.startsWith('Per-event overhead'))!;
    const events = new Set(overhead.rows.map((r) => `${String(r.kind)} ${String(r.start)}`));
    const channels = new Set(overhead.rows.map((r) => String(r.channel)));
    expect([...channels].sort()).toEqual(['bus', 'client', ...(HAS_MIGRATION ? ['migration'] : []), 'replication']);
    expect(overhead.rows.length).toBe(events.size * channels.size);
    const perRun = runs.panels.find((p) => p.title.startsWith('Network per run'))!.rows[0]!;
    expect(perRun.nodes).toBe(6);
    expect(Number(perRun.client_bytes_per_s)).toBeGreaterThan(0);
    expect(Number(perRun.bus_bytes_per_s)).toBeGreaterThan(0);
  });

  it('dashboards: every metric the live (Prometheus) dashboard queries is served by the running processes', () => {
    const live = DASHBOARDS.find((d) => d.uid === 'kvnetlab-live')!;
    const names = new Set(live.panels.flatMap((p) => [...p.promql!.matchAll(/\b(kvnetlab_\w+)/g)].map((m) => m[1]!)));
    expect(names.size).toBeGreaterThan(4);
    for (const n of names) expect(metricsText, n).toMatch(new RegExp(`^# TYPE ${n} `, 'm'));
  });

  it('live dashboard: a real Prometheus with the committed scrape config answers every PromQL panel with series', async () => {
    const live = DASHBOARDS.find((d) => d.uid === 'kvnetlab-live')!;
    const at = (run.endedMs - 4000) / 1000; // the run's last quiet seconds, before down
    const empty: string[] = [];
    for (const p of live.panels) {
      const expr = p.promql!.replaceAll('$__rate_interval', '10s');
      const res = await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(expr)}&time=${at}`);
      const body = (await res.json()) as { status: string; data: { result: unknown[] } };
      expect(body.status, expr).toBe('success');
      if (body.data.result.length === 0) empty.push(expr);
    }
    expect(empty).toEqual([]);
    // Every job had its targets up while the run went (the unused node and proxy ports of
    // the 18-node lists stay down: a 3P-1R cluster has 6 of each; this run has no capture).
    const q = encodeURIComponent('sum by (job) (max_over_time(up[20s]))');
    const up = (await (await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${q}&time=${at}`)).json()) as { data: { result: Array<{ metric: { job: string }; value: [number, string] }> } };
    const byJob = Object.fromEntries(up.data.result.map((r) => [r.metric.job, Number(r.value[1])]));
    expect(byJob).toEqual({ 'kvnetlab-node': 6, 'kvnetlab-proxy': 6, 'kvnetlab-capture': 0, 'kvnetlab-collector': 1, 'kvnetlab-controller': 1, prometheus: 1 });
  });

  it('README: every query of the SQL cookbook runs on the same data; those of features in this run return rows', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## ClickHouse SQL cookbook'));
    const body = section.slice(0, section.indexOf('\n## ', 5));
    const queries = [...body.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(queries.length).toBeGreaterThanOrEqual(5);
    const empty: string[] = [];
    for (const q of queries) {
      expect(q, 'a cookbook query names its run in a first line `WITH \'...\' AS run`').toMatch(/^WITH '[^']*' AS run\b/);
      const rows = await queryRows(store, q.replace(/^WITH '[^']*' AS run/, `WITH '${run.runId}' AS run`));
      const feature = /live-patch/.test(q) ? 'live-patch' : /'migrate'/.test(q) ? 'migrate' : undefined;
      if (rows.length === 0 && !(feature && ABSENT[feature])) empty.push(q);
    }
    expect(empty).toEqual([]);
  });

  it('dashboards: a screenshot of every dashboard panel rendered from its query results, each with data', async () => {
    expect(results.length).toBe(DASHBOARDS.filter((d) => d.panels.some((p) => p.sql)).length);
    const outDir = join(root, 'run', 'dashboards');
    mkdirSync(outDir, { recursive: true });
    const html = resultsHtml('kvnetlab dashboards: query results', `run ${run.runId}, ${new Date(run.startedMs).toISOString()} to ${new Date(run.endedMs).toISOString()}`, results);
    const profile = mkdtempSync(join(tmpdir(), 'kvnl-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1600, height: 1000 },
    });
    try {
      const page = await browser.newPage();
      await page.setContent(html);
      const cards = await page.$$eval('.card', (els) => els.map((e) => ({ rows: Number(e.getAttribute('data-rows')), trs: e.querySelectorAll('tbody tr').length, empty: e.querySelector('.empty')?.textContent ?? '' })));
      const expected = results.flatMap((r) => r.panels);
      expect(cards.length).toBe(expected.length);
      for (const [i, c] of cards.entries()) {
        if (expected[i]!.emptyBecause && c.rows === 0) expect(c.empty).toContain(expected[i]!.emptyBecause!);
        else expect(c.trs, expected[i]!.title).toBeGreaterThan(0);
      }
      const png = join(outDir, 'dashboards.png');
      await page.screenshot({ path: png, fullPage: true });
      expect(statSync(png).size).toBeGreaterThan(50_000);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
