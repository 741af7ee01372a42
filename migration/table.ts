import { Cluster } from 'ioredis';
import { GroupTable } from './group-state.js';
import type { ProtocolName } from './protocol.js';
import { runsOnTheCluster } from './protocols.js';
import { RatioWorkload, downtime, windowStats } from './ratio-workload.js';
import { fulvaProtocol } from './fulva-protocol.js';
import { connectRouter } from './router.js';
import { runMigration } from './run.js';
import { keysFor } from './keys.js';
import { type SlotRange, formatRange, slotsOf } from './slots.js';
import type { ChannelBytes } from './traffic-files.js';
import { Recorder } from '../loadgen/stats.js';
import type { RowSink } from '../telemetry/rows.js';

export interface MigrationTableOptions {
  host: string;
  /** Two masters; the range starts on the first and moves back and forth between them. */
  masters: [number, number];
  /** Any nodes' client ports (the cluster client's seeds). */
  seeds: number[];
  /** Bytes per channel the proxies counted in [from, to) (traffic-files.ts, or SQL on the store: table-sql.ts). */
  channelBytes(from: number, to: number): Promise<ChannelBytes> | ChannelBytes;
  /**
   * Called once after the last move, before any byte is summed: resolves when the proxies'
   * rows up to `untilMs` have landed (default: 500 ms, the files' flush is every 100 ms).
   */
  settle?: (untilMs: number) => Promise<void>;
  /** The load's 100 ms ops rows (the load generator's Recorder) go to this sink under this run id. */
  ops?: { sink: RowSink; runId: string };
  slots: SlotRange;
  keys: number;
  valueBytes: number;
  clients: number;
  /** Load before the migration starts: the "before" window. */
  beforeMs: number;
  protocols: ProtocolName[];
  /** Percent of SETs. */
  writeRatios: number[];
  maxOpsPerCell?: number;
  /** Pause after each group (runMigration's pacing): a longer move, as a rate-limited one would be. */
  groupPauseMs?: number;
  log?: (line: string) => void;
}

/**
 * The windows of one cell, whole 100 ms buckets (the proxies' and the ops rows' unit):
 * `before` = the load alone (its first 200 ms dropped: connections and slot maps),
 * `during` = the move, `migration` = the move plus 300 ms (MIGRATE's last replies).
 */
export interface CellWindows {
  beforeFrom: number;
  beforeTo: number;
  from: number;
  to: number;
  migrationTo: number;
}

/** The columns every form of the table shows (in process here, SQL on the store in table-sql.ts). */
export interface TableFigures {
  protocol: string;
  writeRatio: number;
  /** Client bytes during the move beyond ops x the before window's bytes per op (retries, duplicate reads, redirects, ASKING). */
  clientExtraPct: number;
  /** Migration-channel bytes beyond the data itself (every key's name and DUMP payload). */
  serverExtraPct: number;
  migrationMs: number;
  /** Longest gap without a successful operation during the move (ms exact, measured by the load). */
  downtimeMs: number;
  /** ops/s and the p50 / p99 latency (ms) of successful operations. */
  before: { tput: number; p50: number; p99: number };
  during: { tput: number; p50: number; p99: number };
}

export interface MigrationTableRow extends TableFigures {
  protocol: ProtocolName;
  clientBytesExtra: number;
  migrationBytes: number;
  dataBytes: number;
  counters: Record<string, number>;
  /** The move's start and end (ms since the epoch), its windows, and what the extra % is made of. */
  startMs: number;
  endMs: number;
  windows: CellWindows;
  fromId: string;
  toId: string;
  keysMoved: number;
  opsBefore: number;
  opsDuring: number;
  clientBytesBefore: number;
  clientBytesDuring: number;
}

const down = (t: number) => Math.floor(t / 100) * 100;
const up = (t: number) => Math.ceil(t / 100) * 100;

/** The windows of a cell whose load started at t0, whose move ran from t1 to t2. */
export function cellWindows(t0: number, t1: number, t2: number): CellWindows {
  return { beforeFrom: up(t0 + 200), beforeTo: down(t1), from: down(t1), to: up(t2), migrationTo: up(t2) + 300 };
}

type Cell = Omit<MigrationTableRow, 'clientExtraPct' | 'serverExtraPct' | 'clientBytesExtra' | 'migrationBytes' | 'clientBytesBefore' | 'clientBytesDuring'>;

/**
 * NetMigrate's comparison at the scale given: for every protocol and write ratio, a
 * closed-loop load on the range's keys, `beforeMs` of it alone, then the move of
 * `slots` to the other master, then the figures. The same keys throughout (the range
 * moves back and forth), one cell after the other. Bytes are summed after the last
 * cell (`settle` first), so a store that takes a while to receive rows costs one wait.
 */
export async function migrationTable(o: MigrationTableOptions): Promise<MigrationTableRow[]> {
  const log = o.log ?? (() => undefined);
  const base = new Cluster(o.seeds.map((port) => ({ host: o.host, port })), { scaleReads: 'master', retryDelayOnMoved: 2, maxRedirections: 32, redisOptions: { connectTimeout: 2000 } });
  const keys = keysFor(o.slots, o.keys, 'mt:');
  const cells: Cell[] = [];
  // The recorder's clock is the operation's own end while it records one, so an op lands
  // in the 100 ms bucket of the sample the in-process figures count (SQL equals them).
  let opAt: number | undefined;
  const rec = o.ops ? new Recorder(['GET', 'SET'], o.ops.runId, o.ops.sink, () => opAt ?? Date.now()) : undefined;
  const ticker = rec ? setInterval(() => rec.tick(), 100) : undefined;
  const onOp = rec ? (op: 'GET' | 'SET', start: number, end: number, ok: boolean, at: number) => {
    opAt = at;
    rec.record(op, start, start, end, { error: !ok, redirects: 0, moved: 0, ask: 0, retries: 0 });
    opAt = undefined;
  } : undefined;
  let [from, to] = o.masters;
  let dataBytes = 0;
  try {
    await new RatioWorkload(base, { keys, clients: 1, writeRatio: 1, valueBytes: o.valueBytes, maxOps: 0 }).load();
    // The data itself: every key's name and its serialized value (DUMP payload), what any
    // copy must carry; commands, framing, replies and control are the protocol's extra.
    for (const k of keys) dataBytes += Buffer.byteLength(k, 'latin1') + (await base.dumpBuffer(k))!.length;
    for (const protocol of o.protocols) {
      for (const ratio of o.writeRatios) {
        const groups = new GroupTable(slotsOf(o.slots));
        const routed = runsOnTheCluster(protocol) ? undefined : await connectRouter(groups, { host: o.host, port: to });
        const wl = new RatioWorkload(routed ? routed.router.client(base) : base, { keys, clients: o.clients, writeRatio: ratio / 100, valueBytes: o.valueBytes, maxOps: o.maxOpsPerCell ?? 2_000_000, seed: ratio + 1, onOp });
        wl.start();
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, o.beforeMs));
        const t1 = Date.now();
        let out;
        let t2 = 0;
        try {
          out = await runMigration({
            from: { host: o.host, port: from }, to: { host: o.host, port: to }, slots: o.slots, protocol, groups, groupPauseMs: o.groupPauseMs,
            protocolImpl: routed ? fulvaProtocol(routed.router) : undefined,
          });
        } finally {
          t2 = Date.now();
          await new Promise((r) => setTimeout(r, 200));
          await wl.stop();
          routed?.close();
        }
        const w = cellWindows(t0, t1, t2);
        const sb = windowStats(wl.samples, w.beforeFrom, w.beforeTo);
        const sd = windowStats(wl.samples, w.from, w.to);
        cells.push({
          protocol, writeRatio: ratio, migrationMs: t2 - t1, downtimeMs: downtime(wl.samples, t1, t2),
          before: { tput: sb.tput, p50: sb.p50, p99: sb.p99 }, during: { tput: sd.tput, p50: sd.p50, p99: sd.p99 },
          dataBytes, counters: { keys: out.keys, batches: out.batches, ...(routed ? routed.router.counters : {}) },
          startMs: t1, endMs: t2, windows: w, fromId: out.from, toId: out.to, keysMoved: out.keys, opsBefore: sb.ops, opsDuring: sd.ops,
        });
        log(`${protocol} ${ratio} % writes: moved ${out.keys} keys in ${t2 - t1} ms`);
        [from, to] = [to, from];
      }
    }
  } finally {
    clearInterval(ticker);
    rec?.tick(true);
    base.disconnect();
  }
  await (o.settle ?? (() => new Promise((r) => setTimeout(r, 500))))(Math.max(0, ...cells.map((c) => c.windows.migrationTo)));
  const rows: MigrationTableRow[] = [];
  for (const c of cells) {
    const before = await o.channelBytes(c.windows.beforeFrom, c.windows.beforeTo);
    const during = await o.channelBytes(c.windows.from, c.windows.to);
    const mig = await o.channelBytes(c.windows.from, c.windows.migrationTo);
    const row = figures(c, before.client ?? 0, during.client ?? 0, mig.migration ?? 0);
    rows.push(row);
    log(formatRow(row));
  }
  return rows;
}

/** The extra % of a cell from its byte sums (table-sql.ts computes the same from the store). */
function figures(c: Cell, clientBytesBefore: number, clientBytesDuring: number, migrationBytes: number): MigrationTableRow {
  const expected = c.opsBefore ? (clientBytesBefore / c.opsBefore) * c.opsDuring : 0;
  const clientBytesExtra = clientBytesDuring - expected;
  return {
    ...c, clientBytesBefore, clientBytesDuring, clientBytesExtra, migrationBytes,
    clientExtraPct: expected ? (100 * clientBytesExtra) / expected : 0,
    serverExtraPct: c.dataBytes ? (100 * (migrationBytes - c.dataBytes)) / c.dataBytes : 0,
  };
}

const f1 = (x: number) => x.toFixed(1);

export const TABLE_HEADER = '| protocol | write % | client-side extra % | server-side extra % | migration ms | downtime ms | ops/s before | ops/s during | p50 ms before / during | p99 ms before / during |\n|---|---|---|---|---|---|---|---|---|---|';

export function formatRow(r: TableFigures): string {
  return `| ${r.protocol} | ${r.writeRatio} | ${f1(r.clientExtraPct)} | ${f1(r.serverExtraPct)} | ${r.migrationMs} | ${r.downtimeMs} | ${Math.round(r.before.tput)} | ${Math.round(r.during.tput)} | ${r.before.p50.toFixed(2)} / ${r.during.p50.toFixed(2)} | ${r.before.p99.toFixed(2)} / ${r.during.p99.toFixed(2)} |`;
}

export function formatTable(rows: MigrationTableRow[], slots: SlotRange): string {
  return [`slots ${formatRange(slots)}`, TABLE_HEADER, ...rows.map(formatRow)].join('\n');
}

/**
 * The same byte sums from the store: per event window (the `migrate` events the
 * controller writes), the client and migration bytes of the proxies' rows.
 */
export const TABLE_SQL = `
SELECT e.event_id, JSONExtractString(e.detail, 'protocol') AS protocol,
       e.end_ms - e.start_ms AS migration_ms,
       sumIf(t.bytes, t.channel = 'client') AS client_bytes,
       sumIf(t.bytes, t.channel = 'migration') AS migration_bytes
FROM (SELECT * FROM events FINAL WHERE kind = 'migrate' AND parent_id = '') AS e
JOIN traffic AS t ON t.run_id = e.run_id
WHERE t.ts_ms >= intDiv(e.start_ms, 100) * 100 AND t.ts_ms < e.end_ms
GROUP BY e.event_id, protocol, migration_ms
ORDER BY e.event_id`;
