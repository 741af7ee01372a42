import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prepareStore, stopCollector } from '../cluster/launcher/store.js';
import type { StoreState } from '../cluster/launcher/state-file.js';
import { DEFAULT_COLLECTOR_PORT, DEFAULT_STORE_DIR, openQueryStore, openSink, resolveStore, type StoreTarget } from '../telemetry/open-sink.js';
import { startSubRunCluster } from './cluster-life.js';
import { type SubRun, estimateS, expandMatrix, newRunId } from './matrix.js';
import { formatMigrationTable, formatOverheadTable } from './overhead-table.js';
import { Progress } from './progress.js';
import { type ReportData, type ScenarioRunDetail, type SubRunMeta, buildReportData } from './report-data.js';
import { renderReport } from './report-html.js';
import type { Scenario } from './schema.js';
import type { Store } from '../telemetry/store.js';
import { type SubRunResult, runTimeline } from './timeline.js';

export interface RunScenarioOptions {
  /** results/ : the report goes to <out>/<run id>/report.html. */
  out: string;
  /** Sub-run cluster directories (<workDir>/<run id>/<index>). */
  workDir: string;
  basePort: number;
  store: StoreTarget & { collectorPort?: number };
  /** Keep the sub-runs whose label (`3-1 64MiB lp-pull`) matches. */
  only?: RegExp;
  runId?: string;
  log: (line: string) => void;
  /** Set once known: whether this run started the collector (an interrupted run stops it then). */
  started?: { collector: boolean };
}

export interface ScenarioOutcome {
  runId: string;
  reportPath: string;
  data: ReportData;
  /** The per-event overhead table ('' for a run of migration runs only: they have none). */
  table: string;
  /** The migration table of the migration runs (SQL on the store), '' without one. */
  migrationTable: string;
  failedEvents: number;
  wallMs: number;
}

/**
 * `kvnetlab run`: every sub-run of the matrix on its own cluster, one after the other,
 * all rows into one store (the collector `up` would start, started here once for the
 * whole run), then the report from the store's rows.
 */
export async function runScenario(s: Scenario, o: RunScenarioOptions): Promise<ScenarioOutcome> {
  const started = Date.now();
  const runId = o.runId ?? newRunId(s.name);
  const subs = expandMatrix(s, runId, o.only);
  if (subs.length === 0) throw new Error(`no run of ${s.name} matches ${o.only}`);
  const progress = new Progress(subs.map((r) => estimateS(s, r)), o.log);
  progress.line(`run ${runId}: ${subs.length} run(s) of scenario ${s.name}`, 0);

  const store = await openStore(o.store, (line) => progress.line(line, 0));
  if (o.started) o.started.collector = store.state?.collector?.startedByUp === true;
  const sink = openSink({ ...store.target, log: (line) => o.log(`store: ${line}`) });
  // A migration run sums its bytes from the store while it runs.
  const query = subs.some((r) => r.run.kind === 'migration') ? await openQueryStore(store.target) : undefined;
  const results: SubRunResult[] = [];
  try {
    for (const sub of subs) results.push(await runOne(s, sub, runId, o, store, sink, progress, query));
    const detail: ScenarioRunDetail = {
      scenario: s.name, description: s.description, source: s.source, wall_ms: Date.now() - started,
      sub_runs: results.map((r): SubRunMeta => ({
        run_id: r.sub.runId, index: r.sub.index, label: r.sub.label, topology: r.sub.topology.label, memory_mib: r.sub.memoryMiB,
        kind: r.sub.run.kind, measure_start_ms: r.measureStartMs, warmup_end_ms: r.warmupEndMs, measure_end_ms: r.measureEndMs, fill_keys: r.fillKeys,
      })),
    };
    sink.write('runs', [{ run_id: runId, started_ms: started, label: `scenario ${s.name}`, detail: JSON.stringify(detail) }]);
    await sink.flush();
    progress.line('building the report from the store', subs.length);
    const q = await openQueryStore(store.target);
    let data: ReportData;
    try {
      data = await buildReportData(q, runId);
    } finally {
      await q.close();
    }
    const dir = resolve(o.out, runId);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'report-data.json'), JSON.stringify(data, null, 1));
    // The migration table as measured in this process, beside the report's (SQL on the store).
    const measured = results.flatMap((r) => (r.migration ?? []).map((row) => ({ run_id: r.sub.runId, ...row })));
    if (measured.length) writeFileSync(join(dir, 'migration-measured.json'), JSON.stringify(measured, null, 1));
    const reportPath = join(dir, 'report.html');
    writeFileSync(reportPath, renderReport(data));
    const failedEvents = results.reduce((n, r) => n + r.events.filter((e) => e.state !== 'ok').length, 0);
    return { runId, reportPath, data, table: onlyMigration(data) ? '' : formatOverheadTable(data), migrationTable: formatMigrationTable(data), failedEvents, wallMs: Date.now() - started };
  } finally {
    await query?.close();
    await sink.close();
    await stopCollector(store.state, (line) => o.log(line));
  }
}

async function runOne(
  s: Scenario, sub: SubRun, runId: string, o: RunScenarioOptions, store: OpenedStore, sink: ReturnType<typeof openSink>, progress: Progress, query?: Pick<Store, 'query'>,
): Promise<SubRunResult> {
  const t0 = Date.now();
  progress.begin(sub.index, sub.label);
  const log = (line: string) => progress.line(line, sub.index);
  log(`starting ${sub.topology.primaries * (1 + sub.topology.replicas)} nodes`);
  const cluster = await startSubRunCluster(s, sub, {
    workDir: resolve(o.workDir, runId), basePort: o.basePort, scenarioRunId: runId, timeoutMs: 120_000,
    store: { dir: store.dir, collectorPort: DEFAULT_COLLECTOR_PORT, collectorUrl: store.target.collectorUrl, clickhouseUrl: store.target.clickhouseUrl },
    log: () => undefined,
  });
  let result: SubRunResult;
  try {
    log(sub.memoryMiB > 0 ? `cluster up; filling ${sub.memoryMiB} MiB` : 'cluster up');
    result = await runTimeline(s, sub, cluster, { sink, log, eventTimeoutMs: 600_000, query });
  } finally {
    log('stopping the cluster');
    await cluster.stop();
  }
  progress.end(sub.index, (Date.now() - t0) / 1000);
  return result;
}

const onlyMigration = (d: ReportData) => d.subRuns.every((r) => r.kind === 'migration');

interface OpenedStore {
  target: StoreTarget;
  dir: string;
  /** Set when this run started the collector (stopped at the end). */
  state?: StoreState;
}

/** The store of the whole run: a server or collector URL as given, else the collector of the chDB dir (reused or started). */
async function openStore(t: StoreTarget & { collectorPort?: number }, log: (line: string) => void): Promise<OpenedStore> {
  const where = resolveStore(t);
  if (where.kind === 'server') return { target: { clickhouseUrl: where.url }, dir: '' };
  if (where.kind === 'collector') return { target: { collectorUrl: where.url }, dir: '' };
  const prepared = await prepareStore({ dir: where.dir ?? DEFAULT_STORE_DIR, collectorPort: t.collectorPort ?? DEFAULT_COLLECTOR_PORT }, 60_000, log);
  return { target: prepared.target, dir: where.dir, state: prepared.state };
}
