/**
 * bench:rocksteady — how many client requests a Rocksteady move makes retry (the seeds'
 * 7-12 % is retried requests; migration/table.ts reports bytes), and what ioredis'
 * retryDelayOnTryAgain does to the load during the move. A fresh kvnetlab 3P-0R under
 * `up`, the table's closed-loop load (ratio-workload.ts: 4 clients, uniform keys, SET/GET),
 * per cell: `before` ms alone, then the move (the range goes back and forth). Anchor: the
 * same cell's window before the move. Never fails on the figures.
 *
 *   npm run bench:rocksteady [-- --base-port 20521 --slots 0-99 --keys 1000 --value-bytes 1000 --delays 100,5 --write-ratios 0,30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster } from 'ioredis';
import { down, up } from '../cluster/launcher/up.js';
import { call } from '../cluster/launcher/admin.js';
import { keysFor } from '../migration/keys.js';
import { RatioWorkload, downtime, windowStats } from '../migration/ratio-workload.js';
import { runMigration } from '../migration/run.js';
import { parseSlotRange } from '../migration/slots.js';

const { values } = parseArgs({
  options: {
    'base-port': { type: 'string', default: '20521' },
    slots: { type: 'string', default: '0-99' },
    keys: { type: 'string', default: '1000' },
    'value-bytes': { type: 'string', default: '1000' },
    clients: { type: 'string', default: '4' },
    before: { type: 'string', default: '1500' },
    delays: { type: 'string', default: '100,5' },
    'write-ratios': { type: 'string', default: '0,30' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-bench-rocksteady-'));
const slots = parseSlotRange(values.slots!);
/** Where the longest gap without a successful operation starts, ms after the move began. */
function gapStart(samples: Array<{ at: number; ok: boolean }>, from: number, to: number): number {
  const ats = samples.filter((x) => x.ok && x.at >= from && x.at <= to).map((x) => x.at).sort((a, b) => a - b);
  let prev = from;
  let best = 0;
  let where = 0;
  for (const at of [...ats, to]) {
    if (at - prev > best) [best, where] = [at - prev, prev - from];
    prev = at;
  }
  return where;
}
const tryagainAt = async (port: number): Promise<number> => {
  const r = await call('127.0.0.1', port, ['KVNETLAB.MIGRATE-IN', 'STATUS']);
  const v = r.t === 'array' && r.v ? r.v : [];
  const i = v.findIndex((x) => x.t === 'bulk' && x.v?.toString() === 'tryagain');
  const n = v[i + 1];
  return n?.t === 'int' ? n.v : 0;
};
try {
  const state = await up({
    primaries: 3, replicas: 0, basePort: Number(values['base-port']), nodeTimeout: 15000, dir, host: '127.0.0.1',
    redis: false, proxySink: 'jsonl', timeoutMs: 60_000, progress: () => undefined,
  });
  const masters = state.nodes.filter((n) => n.role === 'master');
  let [from, to] = [masters[0]!.port, masters[1]!.port];
  const keys = keysFor(slots, Number(values.keys), 'rb:');
  const seeds = state.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  console.log('| retryDelayOnTryAgain ms | write % | ops during move | -TRYAGAIN | retried requests % | migration ms | downtime ms (starts at ms) | ops/s before | ops/s during | p99 ms before / during |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const delay of values.delays!.split(',').map(Number)) {
    const client = new Cluster(seeds, { scaleReads: 'master', retryDelayOnMoved: 2, retryDelayOnTryAgain: delay, maxRedirections: 32, redisOptions: { connectTimeout: 2000 } });
    try {
      for (const ratio of values['write-ratios']!.split(',').map(Number)) {
        const wl = new RatioWorkload(client, { keys, clients: Number(values.clients), writeRatio: ratio / 100, valueBytes: Number(values['value-bytes']), maxOps: 2_000_000, seed: ratio + 1 });
        await wl.load();
        wl.start();
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, Number(values.before)));
        const t1 = Date.now();
        const out = await runMigration({ from: { host: '127.0.0.1', port: from }, to: { host: '127.0.0.1', port: to }, slots, protocol: 'rocksteady', groupPauseMs: 10,
          phase: async (name, fn) => {
            const t = Date.now();
            try {
              return await fn({});
            } finally {
              process.stderr.write(`phase ${name}: ${t - t1} .. ${Date.now() - t1} ms\n`);
            }
          } });
        const t2 = Date.now();
        await wl.stop();
        const retried = await tryagainAt(to);
        const sb = windowStats(wl.samples, t0 + 200, t1);
        const sd = windowStats(wl.samples, t1, t2);
        console.log(`| ${delay} | ${ratio} | ${sd.ops} | ${retried} | ${((100 * retried) / Math.max(1, sd.ops)).toFixed(1)} | ${out.ms} | ${downtime(wl.samples, t1, t2)} (${gapStart(wl.samples, t1, t2)}) | ${Math.round(sb.tput)} | ${Math.round(sd.tput)} | ${sb.p99.toFixed(2)} / ${sd.p99.toFixed(2)} |`);
        [from, to] = [to, from];
      }
    } finally {
      client.disconnect();
    }
  }
} finally {
  await down(dir, () => undefined);
  rmSync(dir, { recursive: true, force: true });
}
