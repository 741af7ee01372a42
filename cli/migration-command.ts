import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { callText } from '../cluster/launcher/admin.js';
import { readState } from '../cluster/launcher/state-file.js';
import { parseClusterNodes } from '../controller/cluster.js';
import { PROTOCOLS, type ProtocolName } from '../migration/protocol.js';
import { parseSlotRange } from '../migration/slots.js';
import { formatTable, migrationTable } from '../migration/table.js';
import { channelBytesFromFiles } from '../migration/traffic-files.js';
import { nonNegativeInt, positiveInt } from './options.js';

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
}

/**
 * `kvnetlab migration-table`: NetMigrate's comparison on the cluster `up` started
 * (migration/README.md). The range moves back and forth between the first two masters;
 * bytes come from the proxies' JSON lines (`up --no-store` or `--proxy-sink jsonl`).
 */
export const migrationTableCommand = new Command('migration-table')
  .description('compare the live migration protocols (redis, source, rocksteady, fulva, proxy) on the running cluster: extra bytes, time, downtime, latency')
  .option('--dir <path>', 'run directory of `kvnetlab up` (its proxies must write JSON lines)', 'run/cluster')
  .option('--slots <A-B>', 'slot range to move (owned by the first master)', '0-99')
  .option('--keys <n>', 'keys in the range', positiveInt, 1000)
  .option('--value-bytes <n>', 'value size', positiveInt, 1000)
  .option('--clients <n>', 'closed-loop clients', positiveInt, 4)
  .option('--before <ms>', 'load before each move (the "before" window)', positiveInt, 1500)
  .option('--group-pause <ms>', 'pause after each group (pacing)', nonNegativeInt, 10)
  .option('--protocols <list>', 'comma-separated', PROTOCOLS.join(','))
  .option('--write-ratios <list>', 'percent of SETs, comma-separated', '0,5,10,20,30')
  .option('--json <file>', 'also write the rows as JSON')
  .action(async (o: TableFlags) => {
    const state = readState(o.dir);
    if (!state) throw new Error(`no cluster.json in ${o.dir} (run \`kvnetlab up --no-store\` first)`);
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
    const rows = await migrationTable({
      host: state.host, masters: [first.port, second.port], seeds: state.nodes.map((n) => n.port),
      channelBytes: (from, to) => channelBytesFromFiles(o.dir, from, to),
      slots, keys: o.keys, valueBytes: o.valueBytes, clients: o.clients, beforeMs: o.before, groupPauseMs: o.groupPause,
      protocols, writeRatios: o.writeRatios.split(',').map(Number),
      log: (l) => process.stderr.write(l + '\n'),
    });
    process.stdout.write(formatTable(rows, slots) + '\n');
    if (o.json) writeFileSync(o.json, JSON.stringify(rows, null, 2) + '\n');
  });
