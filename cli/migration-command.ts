import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { callText } from '../cluster/launcher/admin.js';
import { readState } from '../cluster/launcher/state-file.js';
import { parseClusterNodes } from '../controller/cluster.js';
import { PROTOCOLS, type ProtocolName } from '../migration/protocol.js';
import { parseSlotRange } from '../migration/slots.js';
import { migrateEventRows } from '../migration/event-rows.js';
import { type MigrationTableOptions, TABLE_HEADER, formatRow, formatTable, migrationTable } from '../migration/table.js';
import { channelBytesFromFiles } from '../migration/traffic-files.js';
import { channelBytesFromStore, settleStore } from '../migration/traffic-store.js';
import type { LocalClusterState } from '../cluster/launcher/state-file.js';
import { ENV_CLICKHOUSE_URL, type StoreTarget, openQueryStore, openSink } from '../telemetry/open-sink.js';
import { nonNegativeInt, positiveInt } from './options.js';
import { addStoreOptions, storeTarget } from './store-options.js';
import { migrationTableFromStore } from '../migration/table-sql.js';

interface TableFlags {
  dir: string;
  slots: string;
  keys: number;
  valueBytes: number;
  clients: number;
  before: number;
  groupPause: number;
  protocols: string;
  writeRatios: string;
  json?: string;
  fromStore?: boolean;
  runId?: string;
  storeDir?: string;
  collectorUrl?: string;
  clickhouseUrl?: string;
}

/**
 * `kvnetlab migration-table`: NetMigrate's comparison on the cluster `up` started
 * (migration/README.md). The range moves back and forth between the first two masters.
 * With the store (`up`'s default) the bytes are summed from the proxies' rows there and
 * the load's ops rows and one `migrate` event per cell go there too, under the cluster's
 * run id (SQL: migration/table-sql.ts); with `up --no-store` (or `--proxy-sink jsonl`)
 * from the proxies' JSON lines.
 */
export const migrationTableCommand = addStoreOptions(new Command('migration-table')
  .description('compare the live migration protocols (redis, source, rocksteady, fulva, proxy) on the running cluster: extra bytes, time, downtime, latency')
  .option('--dir <path>', 'run directory of `kvnetlab up` (proxies writing to the store or JSON lines)', 'run/cluster')
  .option('--slots <A-B>', 'slot range to move (owned by the first master)', '0-99')
  .option('--keys <n>', 'keys in the range', positiveInt, 1000)
  .option('--value-bytes <n>', 'value size', positiveInt, 1000)
  .option('--clients <n>', 'closed-loop clients', positiveInt, 4)
  .option('--before <ms>', 'load before each move (the "before" window)', positiveInt, 1500)
  .option('--group-pause <ms>', 'pause after each group (pacing)', nonNegativeInt, 10)
  .option('--protocols <list>', 'comma-separated', PROTOCOLS.join(','))
  .option('--write-ratios <list>', 'percent of SETs, comma-separated', '0,5,10,20,30')
  .option('--json <file>', 'also write the rows as JSON')
  .option('--from-store', "move nothing: print the table of the migrate events already in the store (SQL), of the cluster's run or --run-id")
  .option('--run-id <id>', "with --from-store: the run whose table to print (a scenario's migration run: <run id>/<index>)"))
  .action(async (o: TableFlags) => {
    if (o.fromStore) return printFromStore(o);
    const state = readState(o.dir);
    if (!state) throw new Error(`no cluster.json in ${o.dir} (run \`kvnetlab up\` first)`);
    const masters = state.nodes.filter((n) => n.role === 'master');
    if (masters.length < 2) throw new Error('the migration table needs at least two masters');
    const protocols = o.protocols.split(',').map((p) => p.trim()) as ProtocolName[];
    for (const p of protocols) if (!PROTOCOLS.includes(p)) throw new Error(`unknown protocol ${p}: one of ${PROTOCOLS.join(', ')}`);
    const slots = parseSlotRange(o.slots);
    // Start on the master that owns the range's first slot now (an earlier run may have left it elsewhere).
    const lines = parseClusterNodes(await callText(state.host, masters[0]!.port, ['CLUSTER', 'NODES']));
    const ownerId = lines.find((l) => l.role === 'master' && l.slots.some((t) => {
      const [a, b] = t.split('-').map(Number);
      return !t.startsWith('[') && a! <= slots.first && slots.first <= (b ?? a!);
    }))?.id;
    const first = masters.find((m) => m.id === ownerId) ?? masters[0]!;
    const second = masters.find((m) => m !== first)!;
    const log = (l: string) => process.stderr.write(l + '\n');
    const common = {
      host: state.host, masters: [first.port, second.port] as [number, number], seeds: state.nodes.map((n) => n.port),
      slots, keys: o.keys, valueBytes: o.valueBytes, clients: o.clients, beforeMs: o.before, groupPauseMs: o.groupPause,
      protocols, writeRatios: o.writeRatios.split(',').map(Number), log,
    };
    const rows = state.store && state.proxies.length > 0 && state.proxies.every((p) => p.sink === 'store')
      ? await withStore(state, common, log)
      : await migrationTable({ ...common, channelBytes: (from, to) => channelBytesFromFiles(o.dir, from, to) });
    process.stdout.write(formatTable(rows, slots) + '\n');
    if (o.json) writeFileSync(o.json, JSON.stringify(rows, null, 2) + '\n');
  });

type CommonOptions = Omit<MigrationTableOptions, 'channelBytes' | 'settle' | 'ops'>;

/** The table on a cluster whose proxies write to the store: bytes from there, ops rows and events into it. */
async function withStore(state: LocalClusterState, common: CommonOptions, log: (line: string) => void) {
  const st = state.store!;
  // The state file keeps a ClickHouse URL redacted: the server's comes from the environment, as `up` got it.
  if (st.clickhouseUrl && !process.env[ENV_CLICKHOUSE_URL]) throw new Error(`the cluster writes to ClickHouse ${st.clickhouseUrl}: set ${ENV_CLICKHOUSE_URL}`);
  const target: StoreTarget = st.clickhouseUrl ? {} : { collectorUrl: st.collectorUrl, storeDir: st.dir };
  const runId = state.runId!;
  const query = await openQueryStore(target);
  const sink = openSink({ ...target, log: (line) => log(`store: ${line}`) });
  try {
    const rows = await migrationTable({
      ...common,
      channelBytes: (from, to) => channelBytesFromStore(query, runId, from, to),
      settle: (until) => settleStore(query, runId, state.nodes.length, until, 20_000, log),
      ops: { sink, runId },
    });
    sink.write('events', migrateEventRows(runId, rows, common.slots));
    log(`rows in the store under run ${runId}: \`kvnetlab sql\` with migrationTableSql (migration/table-sql.ts)`);
    return rows;
  } finally {
    await sink.close();
    await query.close();
  }
}

/** `--from-store`: the table as SQL on the store (migration/table-sql.ts), of --run-id or the cluster in --dir. */
async function printFromStore(o: TableFlags): Promise<void> {
  const state = o.runId ? undefined : readState(o.dir);
  const runId = o.runId ?? state?.runId;
  if (!runId) throw new Error(`--from-store needs --run-id or a cluster.json in ${o.dir}`);
  const st = state?.store;
  const target: StoreTarget = st && !st.clickhouseUrl ? { collectorUrl: st.collectorUrl, storeDir: st.dir } : storeTarget(o);
  const query = await openQueryStore(target);
  try {
    const rows = await migrationTableFromStore(query, [runId]);
    if (rows.length === 0) throw new Error(`no migrate event with a table's windows in run ${runId}`);
    process.stdout.write(`run ${runId} (SQL on the store)\n${TABLE_HEADER}\n${rows.map(formatRow).join('\n')}\n`);
    if (o.json) writeFileSync(o.json, JSON.stringify(rows, null, 2) + '\n');
  } finally {
    await query.close();
  }
}
