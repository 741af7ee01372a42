import type { Command } from 'commander';
import { JsonLinesSink, MemorySink } from '../telemetry/local-sinks.js';
import type { newRegistry } from '../telemetry/metrics.js';
import { DEFAULT_STORE_DIR, type StoreTarget, openSink } from '../telemetry/open-sink.js';
import type { RowSink } from '../telemetry/rows.js';
import { TeeSink } from '../telemetry/tee-sink.js';

/**
 * The flags that say where telemetry goes, shared by every command that writes or
 * queries it (sql today; proxy, loadgen, controller when they are wired):
 *   --store-dir      chDB directory whose collector receives rows (default run/store/chdb)
 *   --collector-url  a collector's URL (env KVNETLAB_COLLECTOR_URL)
 *   --clickhouse-url a ClickHouse server instead (env KVNETLAB_CLICKHOUSE_URL)
 */
export function addStoreOptions(cmd: Command, dirFlag = '--store-dir'): Command {
  return cmd
    .option(`${dirFlag} <path>`, 'chDB data directory (its owner.json names the running collector)', DEFAULT_STORE_DIR)
    .option('--collector-url <url>', 'send to / query this collector (env KVNETLAB_COLLECTOR_URL)')
    .option('--clickhouse-url <url>', 'use a ClickHouse server instead of chDB (env KVNETLAB_CLICKHOUSE_URL)');
}

export function storeTarget(o: { storeDir?: string; dir?: string; collectorUrl?: string; clickhouseUrl?: string }): StoreTarget {
  return { storeDir: o.storeDir ?? o.dir, collectorUrl: o.collectorUrl, clickhouseUrl: o.clickhouseUrl };
}

/** The `--sink` / `--out` flags of the instruments that write traffic rows (proxy, capture). */
export interface SinkFlags {
  sink: 'store' | 'jsonl' | 'memory';
  out?: string;
  closeTimeout: number;
  storeDir?: string;
  collectorUrl?: string;
  clickhouseUrl?: string;
}

/**
 * Where an instrument's rows go: the telemetry store (`--sink store`: the collector owning
 * --store-dir, a --collector-url or a --clickhouse-url; with --out also a JSON-lines
 * copy), a JSON-lines file (`--out`, else `defaultOut`), or memory (counted, then
 * dropped: for benchmarks).
 */
export function openInstrumentSink(
  o: SinkFlags, defaultOut: string, log: (line: string) => void, registry?: ReturnType<typeof newRegistry>,
): { sink: RowSink; where: string } {
  if (o.sink === 'memory') {
    const memory = new MemorySink();
    // Counting stays on; rows are dropped after the tick so memory stays flat.
    setInterval(() => memory.take('traffic'), 1000).unref();
    return { sink: memory, where: 'memory' };
  }
  if (o.sink === 'jsonl') return { sink: new JsonLinesSink(o.out ?? defaultOut), where: o.out ?? defaultOut };
  const target = { storeDir: o.storeDir, collectorUrl: o.collectorUrl, clickhouseUrl: o.clickhouseUrl };
  const store = openSink({ ...storeTarget(target), registry, closeTimeoutMs: o.closeTimeout, log: (line) => log(`store: ${line}`) });
  if (!o.out) return { sink: store, where: store.location };
  return { sink: new TeeSink([store, new JsonLinesSink(o.out)]), where: `${store.location} and ${o.out}` };
}
