import { type MigrationSqlRow, migrateEventBytes, migrationTableFromStore } from '../migration/table-sql.js';
import { queryRows, type Store } from '../telemetry/store.js';
import { type BucketBytes, type EventOverhead, type Window, bytesIn, eventOverheads, perSecondAverage } from './overhead.js';
import { updateLagMs } from './update-lag.js';

/**
 * Everything the report shows, read back from the store by run id (so a report can be
 * rebuilt from the store alone): the scenario's runs row lists its sub-runs with their
 * measurement windows; each sub-run's traffic, events and ops rows carry its own id.
 */
export interface SubRunMeta {
  run_id: string;
  index: number;
  label: string;
  topology: string;
  memory_mib: number;
  kind: string;
  measure_start_ms: number;
  warmup_end_ms: number;
  measure_end_ms: number;
  fill_keys: number;
}

export interface ScenarioRunDetail {
  scenario: string;
  description: string;
  source: string;
  wall_ms: number;
  sub_runs: SubRunMeta[];
}

export interface ReportEvent {
  id: string;
  kind: string;
  /** pull / push for live patches. */
  method: string;
  status: string;
  startMs: number;
  endMs: number;
  lagMs?: number;
  bytes?: number;
  error?: string;
}

export interface SubRunReport extends SubRunMeta {
  nodes: Array<{ id: string; name: string }>;
  /** Bytes sent by each node per second: [ms since the epoch, bytes]. */
  perNode: Array<{ node: string; points: Array<[number, number]> }>;
  events: ReportEvent[];
  /** `patchBytes`: bytes of PATCH / PATCH_REQUEST bus messages in the window. */
  overheads: Array<EventOverhead & { status: string; method: string; patchBytes: number }>;
  /** Average bytes/s sent per node after the warm-up (the paper's Network-Line). */
  perNodeAvgBps: number;
  /** Per second: operations and the highest 100 ms p99 (µs). */
  ops: Array<{ t: number; ops: number; errors: number; p99_us: number }>;
}

export interface ReportData {
  runId: string;
  scenario: string;
  description: string;
  source: string;
  wallMs: number;
  generatedAt: string;
  subRuns: SubRunReport[];
  /** The migration table of the `migration` runs, SQL on the store (migration/table-sql.ts). */
  migration?: MigrationSqlRow[];
}

export const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const num = (v: unknown) => Number(v ?? 0);

export async function buildReportData(store: Pick<Store, 'query'>, runId: string): Promise<ReportData> {
  const [row] = await queryRows<{ detail: string }>(store, `SELECT detail FROM runs WHERE run_id = ${sqlString(runId)} LIMIT 1`);
  if (!row) throw new Error(`no runs row for ${runId} in the store`);
  const d = JSON.parse(row.detail) as ScenarioRunDetail;
  const subRuns: SubRunReport[] = [];
  for (const meta of d.sub_runs) subRuns.push(await subRunReport(store, meta));
  const migration = await migrationTableFromStore(store, d.sub_runs.filter((r) => r.kind === 'migration').map((r) => r.run_id));
  return { runId, scenario: d.scenario, description: d.description, source: d.source, wallMs: d.wall_ms, generatedAt: new Date().toISOString(), subRuns, migration };
}

async function subRunReport(store: Pick<Store, 'query'>, meta: SubRunMeta): Promise<SubRunReport> {
  const id = sqlString(meta.run_id);
  const [up] = await queryRows<{ detail: string }>(store, `SELECT detail FROM runs WHERE run_id = ${id} LIMIT 1`);
  const topo = up ? (JSON.parse(up.detail) as { topology?: { nodes?: Array<{ id: string; port: number; role: string }> } }).topology : undefined;
  const nodes = (topo?.nodes ?? []).map((n) => ({ id: n.id, name: `${n.port} (${n.role === 'master' ? 'M' : 'R'})` }));
  const nameOf = (node: string) => nodes.find((n) => n.id === node)?.name ?? node.slice(0, 8);

  // Each byte is counted once, by the proxy of the node it was accepted for (proxy/README.md):
  // "sent by X" = rows node=X sent + rows peer=X received. Client requests (peer = a
  // client address) are sent by no node and left out of the per-node figures.
  const ids = new Set(nodes.map((n) => n.id));
  const secs = await queryRows(store, `SELECT toUnixTimestamp(second) * 1000 AS t, if(direction = 'sent', node, peer) AS sender, sum(bytes) AS bytes
    FROM traffic_1s WHERE run_id = ${id} AND source = 'proxy' GROUP BY t, sender ORDER BY t`);
  const byNode = new Map<string, Array<[number, number]>>();
  for (const r of secs) {
    const sender = String(r.sender);
    if (ids.size > 0 && !ids.has(sender)) continue;
    const name = nameOf(sender);
    if (!byNode.has(name)) byNode.set(name, []);
    byNode.get(name)!.push([num(r.t), num(r.bytes)]);
  }
  // The overhead counts every byte once: both directions, all channels.
  const buckets = (await queryRows(store, `SELECT ts_ms, channel, sum(bytes) AS bytes FROM traffic
    WHERE run_id = ${id} AND source = 'proxy' GROUP BY ts_ms, channel ORDER BY ts_ms`))
    .map((r): BucketBytes => ({ ts_ms: num(r.ts_ms), channel: String(r.channel), bytes: num(r.bytes) }));
  // Live patching's own bus messages (the contract's msg_type names): exact, no baseline needed.
  const patchBuckets = (await queryRows(store, `SELECT ts_ms, sum(bytes) AS bytes FROM traffic
    WHERE run_id = ${id} AND source = 'proxy' AND channel = 'bus' AND msg_type IN ('patch', 'patch-request') GROUP BY ts_ms ORDER BY ts_ms`))
    .map((r): BucketBytes => ({ ts_ms: num(r.ts_ms), channel: 'bus', bytes: num(r.bytes) }));

  const rows = await queryRows(store, `SELECT event_id, parent_id, kind, node, start_ms, end_ms, status, detail FROM events FINAL WHERE run_id = ${id} ORDER BY start_ms`);
  // A capture (`up --capture`) is an instrument running for the whole run, not a
  // maintenance event: as a window it would leave no baseline.
  const top = rows.filter((r) => r.parent_id === '' && r.kind !== 'capture');
  const events: ReportEvent[] = top.map((r) => {
    const detail = JSON.parse(String(r.detail || '{}')) as Record<string, unknown>;
    const phases = rows.filter((p) => p.parent_id === r.event_id && p.kind === 'apply').map((p) => ({ detail: JSON.parse(String(p.detail || '{}')) }));
    return {
      id: String(r.event_id), kind: String(r.kind), method: typeof detail.method === 'string' ? detail.method : '', status: String(r.status),
      startMs: num(r.start_ms), endMs: num(r.end_ms), lagMs: r.kind === 'live-patch' && r.status === 'ok' ? updateLagMs(detail, phases) : undefined,
      bytes: typeof detail.bytes === 'number' ? detail.bytes : undefined,
      error: typeof detail.error === 'object' && detail.error ? JSON.stringify(detail.error) : typeof detail.error === 'string' ? detail.error : undefined,
    };
  });
  // A migrate event's `bytes` is what the proxies filed under channel migration in its
  // window: the controller leaves it null (its coordinator never sees MIGRATE's payload).
  if (events.some((e) => e.kind === 'migrate' && e.bytes === undefined)) {
    const bytes = await migrateEventBytes(store, meta.run_id);
    for (const e of events) if (e.kind === 'migrate' && e.bytes === undefined) e.bytes = bytes.get(e.id) ?? 0;
  }
  const windows: Window[] = events.filter((e) => e.endMs > 0).map((e) => ({ id: e.id, kind: e.kind, startMs: e.startMs, endMs: e.endMs }));
  // A migration run's load runs only around its moves, so its time outside them is no
  // baseline: its overhead is the migration table (table-sql.ts), not this one.
  const overheads = (meta.kind === 'migration' ? [] : eventOverheads(buckets, windows, meta.warmup_end_ms, meta.measure_end_ms)).map((o) => {
    const e = events.find((x) => x.id === o.window.id)!;
    return { ...o, status: e.status, method: e.method, patchBytes: bytesIn(patchBuckets, o.window) };
  });
  const ops = (await queryRows(store, `SELECT intDiv(ts_ms, 1000) * 1000 AS t, sum(ops) AS ops, sum(errors) AS errors, max(p99_us) AS p99_us
    FROM ops WHERE run_id = ${id} AND ts_ms >= ${meta.measure_start_ms} GROUP BY t ORDER BY t`))
    .map((r) => ({ t: num(r.t), ops: num(r.ops), errors: num(r.errors), p99_us: num(r.p99_us) }));
  const nodeCount = Math.max(1, nodes.length || byNode.size);
  return {
    ...meta, nodes,
    perNode: [...byNode].map(([node, points]) => ({ node, points })).sort((a, b) => a.node.localeCompare(b.node)),
    events, overheads,
    perNodeAvgBps: perSecondAverage([...byNode.values()].flat(), meta.warmup_end_ms, meta.measure_end_ms) / nodeCount,
    ops,
  };
}
