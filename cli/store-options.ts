import type { Command } from 'commander';
import { DEFAULT_STORE_DIR, type StoreTarget } from '../telemetry/open-sink.js';

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
