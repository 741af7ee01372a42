/**
 * bench:migration — the full migration table (migration/README.md): a fresh kvnetlab
 * 3P-0R cluster under `up` (proxies writing JSON lines, no store), every protocol at
 * write ratios 0, 5, 10, 20, 30 %, then `down`. A benchmark, not a test: it prints the
 * table (and writes rows as JSON with --json) and never fails on the figures.
 *
 *   npm run bench:migration [-- --base-port 19701 --slots 0-99 --keys 1000 --value-bytes 1000 --clients 4 --redis]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { down, up } from '../cluster/launcher/up.js';
import { PROTOCOLS, type ProtocolName } from '../migration/protocol.js';
import { parseSlotRange } from '../migration/slots.js';
import { formatTable, migrationTable } from '../migration/table.js';
import { channelBytesFromFiles } from '../migration/traffic-files.js';

const { values } = parseArgs({
  options: {
    'base-port': { type: 'string', default: '19701' },
    slots: { type: 'string', default: '0-99' },
    keys: { type: 'string', default: '1000' },
    'value-bytes': { type: 'string', default: '1000' },
    clients: { type: 'string', default: '4' },
    before: { type: 'string', default: '1500' },
    protocols: { type: 'string', default: PROTOCOLS.join(',') },
    'write-ratios': { type: 'string', default: '0,5,10,20,30' },
    redis: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-bench-migration-'));
const slots = parseSlotRange(values.slots!);
try {
  const state = await up({
    primaries: 3, replicas: 0, basePort: Number(values['base-port']), nodeTimeout: 15000, dir, host: '127.0.0.1',
    redis: values.redis!, proxySink: 'jsonl', timeoutMs: 60_000, progress: () => undefined,
  });
  const masters = state.nodes.filter((n) => n.role === 'master');
  const rows = await migrationTable({
    host: '127.0.0.1', masters: [masters[0]!.port, masters[1]!.port], seeds: state.nodes.map((n) => n.port),
    channelBytes: (from, to) => channelBytesFromFiles(dir, from, to),
    slots, keys: Number(values.keys), valueBytes: Number(values['value-bytes']), clients: Number(values.clients),
    beforeMs: Number(values.before), groupPauseMs: 10,
    protocols: values.protocols!.split(',') as ProtocolName[], writeRatios: values['write-ratios']!.split(',').map(Number),
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(formatTable(rows, slots) + '\n');
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2) + '\n');
} finally {
  await down(dir, () => undefined);
  rmSync(dir, { recursive: true, force: true });
}
