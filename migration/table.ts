import { Cluster } from 'ioredis';
import { encodeCommand } from '../cluster/resp/encode.js';
import { GroupTable } from './group-state.js';
import type { ProtocolName } from './protocol.js';
import { runsOnTheCluster } from './protocols.js';
import { RatioWorkload, downtime, windowStats } from './ratio-workload.js';
import { routedProtocol } from './routed-protocols.js';
import { type RouterRules, connectRouter } from './router.js';
import { runMigration } from './run.js';
import { keysFor } from './keys.js';
import { type SlotRange, formatRange, slotsOf } from './slots.js';
import type { ChannelBytes } from './traffic-files.js';

export interface MigrationTableOptions {
  host: string;
  /** Two masters; the range starts on the first and moves back and forth between them. */
  masters: [number, number];
  /** Any nodes' client ports (the cluster client's seeds). */
  seeds: number[];
  /** Bytes per channel the proxies counted in [from, to) (traffic-files.ts, or SQL on the store). */
  channelBytes(from: number, to: number): Promise<ChannelBytes> | ChannelBytes;
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

export interface MigrationTableRow {
  protocol: ProtocolName;
  writeRatio: number;
  /** Client bytes during the move beyond ops x the before window's bytes per op (retries, duplicate reads, redirects, ASKING). */
  clientExtraPct: number;
  /** Migration-channel bytes beyond one plain copy of the data (RESTORE-ASKING of every key's DUMP). */
  serverExtraPct: number;
  migrationMs: number;
  /** Longest gap without a successful operation during the move. */
  downtimeMs: number;
  before: { tput: number; p50: number; p99: number };
  during: { tput: number; p50: number; p99: number };
  clientBytesExtra: number;
  migrationBytes: number;
  dataBytes: number;
  counters: Record<string, number>;
}

const down = (t: number) => Math.floor(t / 100) * 100;
const up = (t: number) => Math.ceil(t / 100) * 100;

/**
 * NetMigrate's comparison at the scale given: for every protocol and write ratio, a
 * closed-loop load on the range's keys, `beforeMs` of it alone, then the move of
 * `slots` to the other master, then the figures. The same keys throughout (the range
 * moves back and forth), one cell after the other.
 */
export async function migrationTable(o: MigrationTableOptions): Promise<MigrationTableRow[]> {
  const log = o.log ?? (() => undefined);
  const base = new Cluster(o.seeds.map((port) => ({ host: o.host, port })), { scaleReads: 'master', retryDelayOnMoved: 2, maxRedirections: 32, redisOptions: { connectTimeout: 2000 } });
  const keys = keysFor(o.slots, o.keys, 'mt:');
  const rows: MigrationTableRow[] = [];
  let [from, to] = o.masters;
  try {
    await new RatioWorkload(base, { keys, clients: 1, writeRatio: 1, valueBytes: o.valueBytes, maxOps: 0 }).load();
    // One plain copy of the data: what MIGRATE sends per key, and its +OK.
    let dataBytes = 0;
    for (const k of keys) dataBytes += encodeCommand(['RESTORE-ASKING', k, 0, (await base.dumpBuffer(k))!]).length + 5;
    for (const protocol of o.protocols) {
      for (const ratio of o.writeRatios) {
        const groups = new GroupTable(slotsOf(o.slots));
        const routed = runsOnTheCluster(protocol) ? undefined : await connectRouter(protocol as RouterRules, groups, { host: o.host, port: to });
        const wl = new RatioWorkload(routed ? routed.router.client(base) : base, { keys, clients: o.clients, writeRatio: ratio / 100, valueBytes: o.valueBytes, maxOps: o.maxOpsPerCell ?? 2_000_000, seed: ratio + 1 });
        wl.start();
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, o.beforeMs));
        const t1 = Date.now();
        let out;
        let t2 = 0;
        try {
          out = await runMigration({
            from: { host: o.host, port: from }, to: { host: o.host, port: to }, slots: o.slots, protocol, groups, groupPauseMs: o.groupPauseMs,
            protocolImpl: routed ? routedProtocol(protocol as Exclude<ProtocolName, 'redis'>, routed.router) : undefined,
          });
        } finally {
          t2 = Date.now();
          await new Promise((r) => setTimeout(r, 200));
          await wl.stop();
          routed?.close();
        }
        await new Promise((r) => setTimeout(r, 500)); // the proxies flush every 100 ms
        const A0 = up(t0 + 200), A1 = down(t1), B0 = down(t1), B1 = up(t2);
        const before = await o.channelBytes(A0, A1);
        const during = await o.channelBytes(B0, B1);
        const mig = await o.channelBytes(B0, B1 + 300);
        const sb = windowStats(wl.samples, A0, A1);
        const sd = windowStats(wl.samples, B0, B1);
        const perOp = sb.ops ? (before.client ?? 0) / sb.ops : 0;
        const expected = perOp * sd.ops;
        const clientBytesExtra = (during.client ?? 0) - expected;
        const migrationBytes = mig.migration ?? 0;
        const row: MigrationTableRow = {
          protocol, writeRatio: ratio,
          clientExtraPct: expected ? (100 * clientBytesExtra) / expected : 0,
          serverExtraPct: (100 * (migrationBytes - dataBytes)) / dataBytes,
          migrationMs: t2 - t1, downtimeMs: downtime(wl.samples, t1, t2),
          before: { tput: sb.tput, p50: sb.p50, p99: sb.p99 }, during: { tput: sd.tput, p50: sd.p50, p99: sd.p99 },
          clientBytesExtra, migrationBytes, dataBytes,
          counters: { keys: out.keys, batches: out.batches, ...(routed ? routed.router.counters : {}) },
        };
        rows.push(row);
        log(formatRow(row));
        [from, to] = [to, from];
      }
    }
  } finally {
    base.disconnect();
  }
  return rows;
}

const f1 = (x: number) => x.toFixed(1);

export const TABLE_HEADER = '| protocol | write % | client-side extra % | server-side extra % | migration ms | downtime ms | ops/s before | ops/s during | p50 ms before / during | p99 ms before / during |\n|---|---|---|---|---|---|---|---|---|---|';

export function formatRow(r: MigrationTableRow): string {
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
