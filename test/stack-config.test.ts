import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DASHBOARDS } from '../dashboards/dashboards.js';
import { CLICKHOUSE_PLUGIN_VERSION } from '../dashboards/grafana.js';
import { projectRoot, schemaSql, staleFiles } from '../dashboards/generate.js';
import { validateDashboard } from '../dashboards/validate.js';
import { TABLES } from '../telemetry/schema.js';

/*
 * The docker compose stack, checked without a Docker engine (DESIGN.md, "Constraints"):
 * Debian's docker-compose validates the compose file, Debian's promtool the Prometheus
 * config and every PromQL expression of the live dashboard, the generated files are up
 * to date with their sources, and the generated schema.sql creates the schema on chDB.
 */
const exec = promisify(execFile);
const root = projectRoot();
const tmp = mkdtempSync(join(tmpdir(), 'kvnl-stack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Service = { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; volumes?: string[]; healthcheck?: { test: string[] }; cap_add?: string[]; profiles?: string[]; network_mode?: string; ports?: string[] };

async function composeConfig(): Promise<{ services: Record<string, Service> }> {
  const { stdout } = await exec('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config'], { cwd: root });
  return parse(stdout) as { services: Record<string, Service> };
}

const flag = (cmd: string[], name: string) => cmd[cmd.indexOf(name) + 1];

describe('docker compose stack (static checks)', () => {
  it('compose: docker-compose config -q accepts docker-compose.yml', async () => {
    const r = await exec('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config', '-q'], { cwd: root });
    expect(r.stderr).toBe('');
  });

  it('compose: ClickHouse is pinned, health-checked and gets the generated schema; Grafana has the plugin, the provisioning and an anonymous viewer', async () => {
    const { services } = await composeConfig();
    const ch = services.clickhouse!;
    expect(ch.image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+/);
    expect(ch.healthcheck?.test.join(' ')).toContain('/ping');
    expect(ch.volumes!.some((v) => v.includes('dashboards/clickhouse/initdb') && v.includes('/docker-entrypoint-initdb.d'))).toBe(true);
    const g = services.grafana!;
    expect(g.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(g.environment!.GF_PLUGINS_PREINSTALL_SYNC).toBe(`grafana-clickhouse-datasource@${CLICKHOUSE_PLUGIN_VERSION}`);
    expect(g.environment!.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(g.environment!.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(g.volumes!.some((v) => v.includes('dashboards/grafana/provisioning') && v.includes('/etc/grafana/provisioning'))).toBe(true);
    const home = g.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(DASHBOARDS.map((d) => `/var/lib/grafana/dashboards/kvnetlab/${d.file}`)).toContain(home);
    for (const s of ['clickhouse', 'kvnetlab', 'prometheus', 'grafana']) expect(services[s]?.image, s).toMatch(/:[\w.-]+$/);
    expect(Object.values(services).every((s) => !s.image?.endsWith(':latest'))).toBe(true);
  });

  it('compose: kvnetlab runs up against the ClickHouse server; loadgen and capture are profiles in its network namespace, capture with NET_RAW and NET_ADMIN', async () => {
    const { services } = await composeConfig();
    const k = services.kvnetlab!;
    expect(k.build).toBeTruthy();
    expect(k.command!.slice(0, 1)).toEqual(['up']);
    expect(k.environment!.KVNETLAB_CLICKHOUSE_URL).toMatch(/^http:\/\/\w+:\w+@clickhouse:8123$/);
    for (const s of ['loadgen', 'capture']) {
      expect(services[s]!.profiles!.length, s).toBe(1);
      expect(services[s]!.network_mode, s).toBe('service:kvnetlab');
      expect(services[s]!.environment!.KVNETLAB_CLICKHOUSE_URL).toBe(k.environment!.KVNETLAB_CLICKHOUSE_URL);
    }
    expect(services.capture!.command![0]).toBe('capture');
    expect(services.capture!.cap_add!.sort()).toEqual(['NET_ADMIN', 'NET_RAW']);
    expect(services.prometheus!.network_mode).toBe('service:kvnetlab');
  });

  it('prometheus: promtool check config passes, and it scrapes every metrics port the compose cluster opens', async () => {
    const file = join(root, 'dashboards', 'prometheus', 'prometheus.yml');
    const r = await exec('promtool', ['check', 'config', file]);
    expect(r.stdout).toMatch(/SUCCESS/);
    const cfg = parse(readFileSync(file, 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const targets = new Set(cfg.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets)));
    const cmd = (await composeConfig()).services.kvnetlab!.command!;
    const nodes = Number(flag(cmd, '--primaries')) * (1 + Number(flag(cmd, '--replicas')));
    const want: string[] = [`127.0.0.1:${flag(cmd, '--controller-port')}`, '127.0.0.1:8124'];
    for (let i = 0; i < nodes; i++) want.push(`127.0.0.1:${Number(flag(cmd, '--node-metrics-port')) + i}`, `127.0.0.1:${Number(flag(cmd, '--proxy-metrics-port')) + i}`);
    for (const t of want) expect(targets.has(t), t).toBe(true);
  });

  it('prometheus: every PromQL expression of the dashboards parses (promtool check rules)', async () => {
    const exprs = DASHBOARDS.flatMap((d) => d.panels.filter((p) => p.promql).map((p) => p.promql!.replaceAll('$__rate_interval', '10s')));
    expect(exprs.length).toBeGreaterThan(3);
    const rules = { groups: [{ name: 'dashboards', rules: exprs.map((expr, i) => ({ record: `kvnetlab:panel_${i}`, expr })) }] };
    const file = join(tmp, 'rules.yml');
    writeFileSync(file, JSON.stringify(rules));
    const r = await exec('promtool', ['check', 'rules', file]);
    expect(r.stdout).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });

  it('dashboards: the committed JSON and schema.sql are what `npm run dashboards` generates, and each JSON passes the validator', () => {
    expect(staleFiles()).toEqual([]);
    const dir = join(root, 'dashboards', 'grafana', 'dashboards');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(DASHBOARDS.map((d) => d.file).sort());
    for (const f of files) expect(validateDashboard(JSON.parse(readFileSync(join(dir, f), 'utf8'))), f).toEqual([]);
  });

  it('dashboards: the datasources the panels name are the ones provisioned', () => {
    const ds = parse(readFileSync(join(root, 'dashboards', 'grafana', 'provisioning', 'datasources', 'datasources.yaml'), 'utf8')) as { datasources: Array<{ uid: string; type: string; jsonData: Record<string, unknown> }> };
    const provisioned = new Set(ds.datasources.map((d) => `${d.type}/${d.uid}`));
    for (const f of readdirSync(join(root, 'dashboards', 'grafana', 'dashboards'))) {
      const json = JSON.parse(readFileSync(join(root, 'dashboards', 'grafana', 'dashboards', f), 'utf8')) as { panels: Array<{ datasource: { type: string; uid: string } }> };
      for (const p of json.panels) expect(provisioned.has(`${p.datasource.type}/${p.datasource.uid}`), f).toBe(true);
    }
    const ch = ds.datasources.find((d) => d.type === 'grafana-clickhouse-datasource')!;
    expect(ch.jsonData).toMatchObject({ protocol: 'http', port: 8123, host: 'clickhouse' });
  });

  it('Dockerfile: copies the whole tree, and .dockerignore leaves out no folder with sources or scenario files', () => {
    const docker = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(docker).toMatch(/^COPY \. \.$/m);
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', 'run']));
    const sources = readdirSync(root).filter((d) => {
      if (d.startsWith('.') || ['node_modules', 'dist', 'run', 'results'].includes(d) || !statSync(join(root, d)).isDirectory()) return false;
      return readdirSync(join(root, d), { recursive: true }).some((f) => /\.(ts|mjs|ya?ml|json|sql)$/.test(String(f)));
    });
    expect(sources).toEqual(expect.arrayContaining(['cli', 'cluster', 'controller', 'dashboards', 'loadgen', 'proxy', 'telemetry']));
    for (const s of sources) expect(ignored.some((i) => i === s || i === `${s}/` || i === `/${s}`), `.dockerignore drops ${s}`).toBe(false);
  });

  it('schema.sql: the generated DDL creates every table and view of telemetry/schema.ts on a fresh chDB', async () => {
    const { Session } = await import('chdb');
    const session = new Session(join(tmp, 'chdb'));
    try {
      for (const stmt of schemaSql().split(/;\n/).map((s) => s.replace(/^--.*$/gm, '').trim()).filter(Boolean)) session.query(stmt);
      const names = session.query('SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name', 'CSV').trim().split('\n').map((l) => l.replace(/"/g, ''));
      const want = TABLES.flatMap((t) => (t.view ? [t.name, t.view.name] : [t.name])).sort();
      expect(names).toEqual(want);
    } finally {
      session.close();
    }
  });
});
