import { migrateEventRows } from '../migration/event-rows.js';
import { type MigrationTableRow, migrationTable } from '../migration/table.js';
import { channelBytesFromStore, settleStore } from '../migration/traffic-store.js';
import type { RowSink } from '../telemetry/rows.js';
import type { Store } from '../telemetry/store.js';
import type { RunningCluster } from './cluster-life.js';
import type { SubRun } from './matrix.js';
import type { Scenario } from './schema.js';
import type { SubRunResult } from './timeline.js';

export interface MigrationRunOptions {
  /** The load's ops rows and the cells' `migrate` events go here. */
  sink: RowSink;
  /** The store the proxies write to: the table's byte sums. */
  query: Pick<Store, 'query'>;
  log: (line: string) => void;
}

/**
 * A `migration` run: the migration table (migration/table.ts) on the sub-run's cluster,
 * its bytes summed from the proxies' rows in the store, the load's 100 ms ops rows and
 * one `migrate` event per cell written under the sub-run's id, so the report's table is
 * SQL on the store (migration/table-sql.ts). The load is the table's own closed loop on
 * the range's keys (ratio-workload.ts), not `kvnetlab loadgen`: the loadgen's keys spread
 * over all 16384 slots, so a move of 100 slots would see under 1 % of its operations,
 * and its YCSB records are hashes, whose partial updates a protocol's router refuses
 * while they move (migration/loadgen-client.ts).
 */
export async function runMigrationTimeline(s: Scenario, sub: SubRun, c: RunningCluster, o: MigrationRunOptions): Promise<SubRunResult & { migration: MigrationTableRow[] }> {
  const m = s.migration;
  const masters = c.state.nodes.filter((n) => n.role === 'master');
  const measureStartMs = Date.now();
  const rows = await migrationTable({
    host: '127.0.0.1', masters: [masters[0]!.port, masters[1]!.port], seeds: c.state.nodes.map((n) => n.port),
    channelBytes: (from, to) => channelBytesFromStore(o.query, sub.runId, from, to),
    settle: (until) => settleStore(o.query, sub.runId, c.state.nodes.length, until, 20_000, o.log),
    ops: { sink: o.sink, runId: sub.runId },
    slots: m.slots, keys: m.keys, valueBytes: m.valueBytes, clients: m.clients, beforeMs: Math.round(m.beforeS * 1000),
    groupPauseMs: m.groupPauseMs, protocols: m.protocols, writeRatios: m.writeRatios, log: o.log,
  });
  o.sink.write('events', migrateEventRows(sub.runId, rows, m.slots));
  return { sub, measureStartMs, warmupEndMs: measureStartMs, measureEndMs: Date.now(), fillKeys: m.keys, events: [], migration: rows };
}
