/**
 * bench:proxy — what a proxy in the path costs: redis-benchmark against one redis-server
 * directly, through `kvnetlab proxy` (counting on, rows kept in memory and dropped), and
 * through HAProxy in TCP mode (nbthread 1, the anchor), interleaved round by round so all
 * three see the same machine noise. Prints median requests/s, each ratio to direct,
 * ours/HAProxy's (target >= 1), and each proxy's CPU per request from /proc/<pid>/stat.
 * A benchmark, not a test: it never fails on speed.
 *
 *   npm run bench:proxy [-- --rounds 3 --requests 200000 --clients 50 --cpu-prof]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { callText, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';
import { cpuSeconds } from './proc-cpu.js';
import { median, redisBenchmark } from './redis-benchmark.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '200000' },
    clients: { type: 'string', default: '50' },
    'base-port': { type: 'string', default: '22481' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const clients = Number(values.clients);
const base = Number(values['base-port']);
const HAPROXY = '/usr/sbin/haproxy';

interface Target {
  name: 'direct' | 'kvnetlab-proxy' | 'haproxy' | 'node-pipe';
  port: number;
  /** The proxy process whose CPU is measured (none for direct). */
  pid?: number;
}

const benchmark = (port: number, pipeline: number) => redisBenchmark(port, { pipeline, requests, clients });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-bench-proxy-'));
  const redisPort = base;
  const oursPort = base + 1;
  const haPort = base + 2;
  const floorPort = base + 3;
  const haConfig = join(dir, 'haproxy.cfg');
  const stops: Array<() => Promise<unknown>> = [];
  const results = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  try {
    const redisPid = spawnDetached('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no', '--proc-title-template', '{title} --port {port}'], dir, join(dir, 'redis.log'));
    stops.push(() => stopProcess(redisPid, `--port ${redisPort}`, 3000));
    const profArgs = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(process.cwd(), 'bench-proxy-profile')] : [];
    const oursPid = spawnDetached(
      process.execPath,
      [...profArgs, kvnetlabCli(), 'proxy', '--listen-port', String(oursPort), '--no-bus', '--node-port', String(redisPort), '--sink', 'memory'],
      dir,
      join(dir, 'proxy.log'),
    );
    stops.push(() => stopProcess(oursPid, `--listen-port ${oursPort}`, 5000));
    writeFileSync(
      haConfig,
      [
        'global', '  maxconn 8000', '  nbthread 1',
        'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 120s', '  timeout server 120s',
        'frontend bench', `  bind 127.0.0.1:${haPort}`, '  maxconn 8000', '  default_backend redis',
        'backend redis', `  server r1 127.0.0.1:${redisPort} maxconn 8000`, '',
      ].join('\n'),
    );
    const haPid = spawnDetached(HAPROXY, ['-db', '-f', haConfig], dir, join(dir, 'haproxy.log'));
    stops.push(() => stopProcess(haPid, `-f ${haConfig}`, 3000));
    const floor = join(dirname(fileURLToPath(import.meta.url)), 'relay-floor.js');
    const floorPid = spawnDetached(process.execPath, [floor, String(floorPort), String(redisPort), '--relay-port', String(floorPort)], dir, join(dir, 'floor.log'));
    stops.push(() => stopProcess(floorPid, `--relay-port ${floorPort}`, 3000));
    const targets: Target[] = [
      { name: 'direct', port: redisPort },
      { name: 'kvnetlab-proxy', port: oursPort, pid: oursPid },
      { name: 'haproxy', port: haPort, pid: haPid },
      { name: 'node-pipe', port: floorPort, pid: floorPid },
    ];
    for (const t of targets) await waitFor(`${t.name} on ${t.port}`, 20_000, async () => (await callText('127.0.0.1', t.port, ['PING'])) === 'PONG');

    for (let r = 1; r <= rounds; r++) {
      for (const pipeline of [1, 16]) {
        for (const t of targets) {
          const c0 = t.pid ? cpuSeconds(t.pid) : 0;
          const rps = await benchmark(t.port, pipeline);
          if (t.pid) {
            const key = `${t.name} P${pipeline}`;
            cpu.set(key, [...(cpu.get(key) ?? []), ((cpuSeconds(t.pid) - c0) / (2 * requests)) * 1e6]);
          }
          for (const [test, v] of Object.entries(rps)) {
            const key = `${t.name} P${pipeline} ${test}`;
            results.set(key, [...(results.get(key) ?? []), v]);
          }
          process.stderr.write(`round ${r} ${t.name} -P ${pipeline}: ${JSON.stringify(rps)}\n`);
        }
      }
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nredis-benchmark -t set,get -n ${requests} -c ${clients} against one redis-server, ${rounds} interleaved rounds, medians (requests/s)`);
  console.log('node-pipe: a Node relay that counts nothing (bench/relay-floor.ts): what node:net costs any Node proxy');
  console.log('pipeline test    direct  kvnetlab-proxy  haproxy  node-pipe  ours/direct  haproxy/direct  pipe/direct  ours/haproxy (target >= 1)');
  for (const pipeline of [1, 16]) {
    for (const test of ['SET', 'GET']) {
      const d = median(results.get(`direct P${pipeline} ${test}`) ?? [0]);
      const o = median(results.get(`kvnetlab-proxy P${pipeline} ${test}`) ?? [0]);
      const h = median(results.get(`haproxy P${pipeline} ${test}`) ?? [0]);
      const f = median(results.get(`node-pipe P${pipeline} ${test}`) ?? [0]);
      console.log(
        `P${String(pipeline).padEnd(7)} ${test.padEnd(4)} ${d.toFixed(0).padStart(8)} ${o.toFixed(0).padStart(15)} ${h.toFixed(0).padStart(8)} ${f.toFixed(0).padStart(10)}` +
          ` ${(o / d).toFixed(3).padStart(12)} ${(h / d).toFixed(3).padStart(15)} ${(f / d).toFixed(3).padStart(12)} ${(o / h).toFixed(3).padStart(13)}`,
      );
    }
  }
  console.log('\nproxy CPU per request (µs, user + system, median over rounds; SET and GET runs together)');
  for (const pipeline of [1, 16]) {
    const o = median(cpu.get(`kvnetlab-proxy P${pipeline}`) ?? [0]);
    const h = median(cpu.get(`haproxy P${pipeline}`) ?? [0]);
    const f = median(cpu.get(`node-pipe P${pipeline}`) ?? [0]);
    console.log(`P${String(pipeline).padEnd(3)} kvnetlab-proxy ${o.toFixed(2)}  haproxy ${h.toFixed(2)}  node-pipe ${f.toFixed(2)}  ours/haproxy ${(o / h).toFixed(2)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
