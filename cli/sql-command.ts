import { Command, Option } from 'commander';
import { DEFAULT_STORE_DIR, openQueryStore } from '../telemetry/open-sink.js';
import { formatTable, jsonArray, type CompactResult } from '../telemetry/table-format.js';

export const sqlCommand = new Command('sql')
  .description('run SQL on the telemetry store: the running collector, else chDB opened directly, or a ClickHouse server')
  .argument('<query>', 'SQL, e.g. "SELECT channel, sum(bytes) FROM traffic_1s GROUP BY channel"')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
  .option('--dir <path>', 'chDB data directory', DEFAULT_STORE_DIR)
  .option('--collector-url <url>', 'a running collector (default: the one named in <dir>/owner.json)')
  .option('--clickhouse-url <url>', 'a ClickHouse server instead (env KVNETLAB_CLICKHOUSE_URL)')
  .action(async (query: string, o: { format: 'table' | 'json' | 'csv'; dir: string; collectorUrl?: string; clickhouseUrl?: string }) => {
    const store = await openQueryStore({ storeDir: o.dir, collectorUrl: o.collectorUrl, clickhouseUrl: o.clickhouseUrl });
    try {
      if (o.format === 'csv') {
        process.stdout.write(await store.query(query, 'CSVWithNames'));
      } else if (o.format === 'json') {
        process.stdout.write(jsonArray(await store.query(query, 'JSONEachRow')));
      } else {
        const text = await store.query(query, 'JSONCompact');
        // DDL and INSERT answer nothing.
        process.stdout.write(text.trim() === '' ? 'ok\n' : formatTable(JSON.parse(text) as CompactResult));
      }
    } finally {
      await store.close();
    }
  });
