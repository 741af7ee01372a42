/**
 * bench:loadgen — the maximum rate of `kvnetlab loadgen --preset memtier-get` against one
 * plain redis-server, next to redis-benchmark GET with the same connection count, value
 * size (4096 B) and key count, interleaved round by round so both see the same machine
 * noise. Prints medians and the ratio loadgen/redis-benchmark (target >= 0.7).
 * A third column is the client-library floor: a bare loop of ioredis getBuffer() over the
 * same number of connections (one in flight each), no generators, no histograms. It tells
 * how much of any gap is Node + ioredis and how much is the load generator's own work.
 * A benchmark, not a test: it never fails on speed.
 *
 *   npm run bench:loadgen [-- --rounds 3 --seconds 4 --clients 50 --keys 10000]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { Redis } from 'ioredis';
import { callText, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    clients: { type: 'string', default: '50' },
    keys: { type: 'string', default: '10000' },
    port: { type: 'string', default: '22650' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const keys = Number(values.keys);
const port = Number(values.port);

async function loadgen(phase: 'load' | 'run'): Promise<number> {
  const args = [kvnetlabCli(), 'loadgen', '--preset', 'memtier-get', '--cluster', `127.0.0.1:${port}`, '--standalone', '--phase', phase,
    '--records', String(keys), '--connections', String(clients), '--duration', String(seconds), '--json', '--quiet'];
  const { stdout } = await run(process.execPath, args, { timeout: 300_000, maxBuffer: 1 << 24 });
  const s = JSON.parse(stdout) as { throughput_ops: number; ops: Record<string, { errors: number; misses: number }> };
  if (phase === 'run' && (s.ops.GET!.errors > 0 || s.ops.GET!.misses > 0)) throw new Error(`loadgen saw errors/misses: ${JSON.stringify(s.ops.GET)}`);
  return s.throughput_ops;
}

/** redis-benchmark GET over `keys` preloaded 4096 B values, for about `seconds`. */
async function redisBenchmark(requests: number): Promise<number> {
  const t0 = performance.now();
  const { stdout } = await run('redis-benchmark', ['-p', String(port), '-t', 'get', '-n', String(requests), '-c', String(clients), '-d', '4096', '-r', String(keys), '-q'], { timeout: 300_000 });
  const m = /GET: ([\d.]+) requests per second/.exec(stdout.replace(/\r/g, '\n'));
  if (!m) throw new Error(`unexpected redis-benchmark output: ${stdout}`);
  process.stderr.write(`  redis-benchmark -n ${requests} took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return Number(m[1]);
}

/** The bare ioredis loop (run in this process, alone, like the other two). */
async function ioredisFloor(): Promise<number> {
  const cs = Array.from({ length: clients }, () => new Redis({ port, lazyConnect: true }));
  try {
    await Promise.all(cs.map((c) => c.connect()));
    let n = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(cs.map(async (c) => {
      while (performance.now() < end) {
        await c.getBuffer(`memtier-${n % keys}`);
        n++;
      }
    }));
    return n / ((performance.now() - t0) / 1000);
  } finally {
    for (const c of cs) c.disconnect();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-bench-loadgen-'));
  const pid = spawnDetached('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--proc-title-template', '{title} --port {port}'], dir, join(dir, 'log'));
  const lg: number[] = [];
  const rb: number[] = [];
  const fl: number[] = [];
  try {
    await waitFor(`redis-server on ${port}`, 20_000, async () => (await callText('127.0.0.1', port, ['PING'])) === 'PONG');
    // Same data for both: `keys` values of 4096 B under each tool's key names.
    await run('redis-benchmark', ['-p', String(port), '-t', 'set', '-n', String(keys * 10), '-c', String(clients), '-d', '4096', '-r', String(keys), '-q'], { timeout: 300_000 });
    await loadgen('load');
    let estimate = 50_000;
    for (let r = 1; r <= rounds; r++) {
      const a = await redisBenchmark(Math.round(estimate * seconds));
      estimate = a;
      const b = await loadgen('run');
      const c = await ioredisFloor();
      rb.push(a);
      lg.push(b);
      fl.push(c);
      process.stderr.write(`round ${r}: redis-benchmark GET ${a.toFixed(0)}/s, loadgen memtier-get ${b.toFixed(0)}/s, bare ioredis ${c.toFixed(0)}/s, ratio ${(b / a).toFixed(3)}\n`);
    }
  } finally {
    await stopProcess(pid, `--port ${port}`, 3000);
    rmSync(dir, { recursive: true, force: true });
  }
  const a = median(rb);
  const b = median(lg);
  const c = median(fl);
  console.log(`\nGET of 4096 B values, ${keys} keys, ${clients} connections, pipeline 1, ${rounds} rounds, medians (ops/s)`);
  console.log('redis-benchmark  loadgen(memtier-get)  bare-ioredis  loadgen/redis-benchmark  target  loadgen/bare-ioredis  bare-ioredis/redis-benchmark');
  console.log(`${a.toFixed(0).padStart(15)}  ${b.toFixed(0).padStart(20)}  ${c.toFixed(0).padStart(12)}  ${(b / a).toFixed(3).padStart(23)}  >= 0.7  ${(b / c).toFixed(3).padStart(20)}  ${(c / a).toFixed(3).padStart(28)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
