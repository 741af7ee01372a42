/**
 * bench:telemetry — what the telemetry store costs the cluster it measures.
 *
 * `up` starts a 1-node TS cluster (all 16384 slots) with its collector (chDB). Three
 * proxies, started alike and differing only in `--sink`, relay to that node: rows to
 * the store through the collector (`store`: telemetry on), counted and then dropped
 * (`memory`: off), appended to a JSON-lines file (`jsonl`). redis-benchmark
 * `-t set,get` runs through each, interleaved round by round (the order flips every
 * round), with and without -P 16; medians, and on/off = store / memory (target >= 0.95).
 * Also the CPU per request of each proxy and of the collector, and, at the end, the
 * store's bytes against the store proxy's own totals (its exit line).
 * A benchmark, not a test: it never fails on speed.
 *
 *   npm run bench:telemetry [-- --rounds 3 --requests 100000 --clients 50 --base-port 22590]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { callText, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';
import { down, up } from '../cluster/launcher/up.js';
import { openQueryStore } from '../telemetry/open-sink.js';
import { cpuSeconds } from './proc-cpu.js';
import { median, redisBenchmark } from './redis-benchmark.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '100000' },
    clients: { type: 'string', default: '50' },
    // base: up's proxy (idle), +1: the node, +2..+4: store, memory, jsonl proxies, +9: collector.
    'base-port': { type: 'string', default: '22590' },
  },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const clients = Number(values.clients);
const base = Number(values['base-port']);
const PIPELINES = [1, 16];

type Name = 'store' | 'memory' | 'jsonl';
interface Target {
  name: Name;
  port: number;
  pid: number;
  mark: string;
}

function spawnProxy(name: Name, port: number, nodePort: number, dir: string, collectorUrl: string): Target {
  const args = [kvnetlabCli(), 'proxy', '--listen-port', String(port), '--no-bus', '--node-port', String(nodePort), '--sink', name, '--run-id', `bench-${name}`];
  if (name === 'jsonl') args.push('--out', join(dir, 'traffic.jsonl'));
  if (name === 'store') args.push('--collector-url', collectorUrl);
  return { name, port, pid: spawnDetached(process.execPath, args, dir, join(dir, `proxy-${name}.log`)), mark: `--listen-port ${port}` };
}

const push = (m: Map<string, number[]>, key: string, v: number) => m.set(key, [...(m.get(key) ?? []), v]);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-bench-telemetry-'));
  const clusterDir = join(dir, 'cluster');
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const rps = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  let report = '';
  try {
    const state = await up({
      primaries: 1, replicas: 0, basePort: base, nodeTimeout: 15000, dir: clusterDir, host: '127.0.0.1', redis: false,
      store: { dir: join(dir, 'store', 'chdb'), collectorPort: base + 9 }, timeoutMs: 60_000, progress,
    });
    const node = state.nodes[0]!;
    const collectorPid = state.store!.collector!.pid;
    const targets = (['store', 'memory', 'jsonl'] as const).map((name, i) => spawnProxy(name, base + 2 + i, node.nodePort, dir, state.store!.collectorUrl!));
    try {
      for (const t of targets) await waitFor(`${t.name} proxy on ${t.port}`, 20_000, async () => (await callText('127.0.0.1', t.port, ['PING'])) === 'PONG');
      for (let r = 1; r <= rounds; r++) {
        for (const pipeline of PIPELINES) {
          for (const t of r % 2 ? targets : [...targets].reverse()) {
            const c0 = cpuSeconds(t.pid);
            const k0 = cpuSeconds(collectorPid);
            const n0 = cpuSeconds(node.pid);
            const out = await redisBenchmark(t.port, { pipeline, requests, clients });
            const perRequest = (seconds: number) => (seconds / (2 * requests)) * 1e6;
            push(cpu, `${t.name} P${pipeline}`, perRequest(cpuSeconds(t.pid) - c0));
            push(cpu, `collector during ${t.name} P${pipeline}`, perRequest(cpuSeconds(collectorPid) - k0));
            push(cpu, `node during ${t.name} P${pipeline}`, perRequest(cpuSeconds(node.pid) - n0));
            for (const [test, v] of Object.entries(out)) push(rps, `${t.name} P${pipeline} ${test}`, v);
            progress(`round ${r} ${t.name} -P ${pipeline}: ${JSON.stringify(out)}`);
          }
        }
      }
      // The store proxy's exit line (its totals) against what the store holds for its run.
      await stopProcess(targets[0]!.pid, targets[0]!.mark, 15_000);
      const log = readFileSync(join(dir, 'proxy-store.log'), 'utf8');
      const totals = JSON.parse(/^\d+:P \S+ totals (.*)$/m.exec(log)?.[1] ?? '[]') as Array<{ bytes: number }>;
      const dropped = /^\d+:P \S+ dropped (.*)$/m.exec(log)?.[1] ?? '?';
      const store = await openQueryStore({ collectorUrl: state.store!.collectorUrl });
      const stored = JSON.parse((await store.query(`SELECT sum(bytes) AS b FROM traffic WHERE run_id = 'bench-store'`, 'JSONEachRow')).trim()) as { b: string };
      await store.close();
      report = `store proxy counted ${totals.reduce((n, t) => n + t.bytes, 0)} bytes; the store holds ${stored.b}; dropped ${dropped}`;
    } finally {
      for (const t of targets) await stopProcess(t.pid, t.mark, 5000);
    }
  } finally {
    await down(clusterDir, () => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nredis-benchmark -t set,get -n ${requests} -c ${clients} through the proxy of a 1-node TS cluster, ${rounds} interleaved rounds, medians (requests/s)`);
  console.log('proxies alike but for --sink: store (collector on chDB, telemetry on); memory (rows counted and dropped: off); jsonl (rows to a file)');
  // Ratios two ways: of the medians, and the median of each round's own ratio (the runs
  // of one round are seconds apart, so they share the machine's load best).
  const paired = (a: string, b: string) => median((rps.get(a) ?? [0]).map((x, i) => x / (rps.get(b)?.[i] ?? 1)));
  console.log('pipeline test    store   memory    jsonl  store/memory (target >= 0.95)  per-round  jsonl/memory');
  for (const pipeline of PIPELINES) {
    for (const test of ['SET', 'GET']) {
      const [s, m, j] = (['store', 'memory', 'jsonl'] as const).map((n) => median(rps.get(`${n} P${pipeline} ${test}`) ?? [0]));
      console.log(
        `P${String(pipeline).padEnd(7)} ${test.padEnd(4)} ${s!.toFixed(0).padStart(8)} ${m!.toFixed(0).padStart(8)} ${j!.toFixed(0).padStart(8)}` +
          ` ${(s! / m!).toFixed(3).padStart(13)} ${paired(`store P${pipeline} ${test}`, `memory P${pipeline} ${test}`).toFixed(3).padStart(26)}` +
          ` ${(j! / m!).toFixed(3).padStart(12)}`,
      );
    }
  }
  console.log('\nCPU per request (µs, user + system, medians; SET and GET runs together)');
  for (const pipeline of PIPELINES) {
    const c = (key: string) => median(cpu.get(key) ?? [0]);
    // The path's CPU: node + proxy + collector (the collector idles during memory runs).
    const path = (n: Name) => c(`node during ${n} P${pipeline}`) + c(`${n} P${pipeline}`) + c(`collector during ${n} P${pipeline}`);
    console.log(
      `P${String(pipeline).padEnd(3)} proxy: store ${c(`store P${pipeline}`).toFixed(2)}  memory ${c(`memory P${pipeline}`).toFixed(2)}  jsonl ${c(`jsonl P${pipeline}`).toFixed(2)}` +
        `   collector: during store runs ${c(`collector during store P${pipeline}`).toFixed(2)}, during memory runs ${c(`collector during memory P${pipeline}`).toFixed(2)}` +
        `   node ${c(`node during memory P${pipeline}`).toFixed(2)}` +
        `   node+proxy+collector: store ${path('store').toFixed(2)}  memory ${path('memory').toFixed(2)}  memory/store ${(path('memory') / path('store')).toFixed(3)}`,
    );
  }
  console.log(`\n${report}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
