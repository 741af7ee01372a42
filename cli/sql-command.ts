import { Command, Option } from 'commander';
import { openQueryStore } from '../telemetry/open-sink.js';
import { formatTable, jsonArray, type CompactResult } from '../telemetry/table-format.js';
import { addStoreOptions, storeTarget } from './store-options.js';

export const sqlCommand = addStoreOptions(
  new Command('sql')
    .description('run SQL on the telemetry store: the running collector, else chDB opened directly, or a ClickHouse server')
    .argument('<query>', 'SQL, e.g. "SELECT channel, sum(bytes) FROM traffic_1s GROUP BY channel"')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table')),
  '--dir',
).action(async (query: string, o: { format: 'table' | 'json' | 'csv'; dir: string; collectorUrl?: string; clickhouseUrl?: string }) => {
  const store = await openQueryStore(storeTarget(o));
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
