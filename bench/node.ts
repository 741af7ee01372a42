/**
 * bench:node — redis-benchmark against one kvnetlab node and one redis-server, both in
 * cluster mode owning all 16384 slots, interleaved round by round so both see the
 * same machine noise. Prints medians and the ratio TS/Redis (targets: >= 0.8 without
 * pipelining, >= 0.5 with -P 16). A benchmark, not a test: it never fails on speed.
 *
 *   npm run bench:node [-- --rounds 3 --requests 200000 --clients 50]
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { callText, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';
import { median, redisBenchmark } from './redis-benchmark.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '200000' },
    clients: { type: 'string', default: '50' },
  },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const clients = Number(values.clients);

interface Target {
  name: 'kvnetlab' | 'redis' | 'node-floor';
  port: number;
  pid: number;
}

async function startTarget(name: Target['name'], port: number, dir: string): Promise<Target> {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  if (name === 'node-floor') {
    const floor = join(dirname(fileURLToPath(import.meta.url)), 'floor-server.js');
    const pid = spawnDetached(process.execPath, [floor, String(port), `--port`, String(port)], d, join(d, 'log'));
    await waitFor(`floor on ${port}`, 20_000, async () => (await callText('127.0.0.1', port, ['PING'])) === 'OK');
    return { name, port, pid };
  }
  const pid =
    name === 'redis'
      ? spawnDetached('redis-server', ['--port', String(port), '--cluster-enabled', 'yes', '--save', '', '--appendonly', 'no', '--dir', d, '--proc-title-template', '{title} --port {port}'], d, join(d, 'log'))
      : spawnDetached(process.execPath, [kvnetlabCli(), 'node', '--port', String(port), '--dir', d], d, join(d, 'log'));
  await waitFor(`${name} on ${port}`, 20_000, async () => (await callText('127.0.0.1', port, ['PING'])) === 'PONG');
  await callText('127.0.0.1', port, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
  await waitFor(`${name} cluster_state:ok`, 20_000, async () => (await callText('127.0.0.1', port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
  return { name, port, pid };
}

/** rps per test from `redis-benchmark -q --csv`-free quiet output: "SET: 123.45 requests per second, ...". */
const benchmark = (port: number, pipeline: number) => redisBenchmark(port, { pipeline, requests, clients });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-bench-'));
  const targets: Target[] = [];
  const results = new Map<string, number[]>();
  try {
    targets.push(await startTarget('kvnetlab', 21601, dir));
    targets.push(await startTarget('redis', 21602, dir));
    targets.push(await startTarget('node-floor', 21603, dir));
    for (let r = 1; r <= rounds; r++) {
      for (const pipeline of [1, 16]) {
        for (const t of targets) {
          const rps = await benchmark(t.port, pipeline);
          for (const [test, v] of Object.entries(rps)) {
            const key = `${t.name} P${pipeline} ${test}`;
            results.set(key, [...(results.get(key) ?? []), v]);
          }
          process.stderr.write(`round ${r} ${t.name} -P ${pipeline}: ${JSON.stringify(rps)}\n`);
        }
      }
    }
  } finally {
    for (const t of targets) await stopProcess(t.pid, `--port ${t.port}`, 3000);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nredis-benchmark -t set,get -n ${requests} -c ${clients}, ${rounds} rounds, medians (requests/s)`);
  console.log('node-floor: a Node server answering +OK without any work (bench/floor-server.ts)');
  console.log('pipeline  test  kvnetlab  redis-server  node-floor  TS/Redis  target  floor/Redis  TS/floor');
  for (const pipeline of [1, 16]) {
    for (const test of ['SET', 'GET']) {
      const ts = median(results.get(`kvnetlab P${pipeline} ${test}`) ?? [0]);
      const rd = median(results.get(`redis P${pipeline} ${test}`) ?? [0]);
      const fl = median(results.get(`node-floor P${pipeline} ${test}`) ?? [0]);
      const target = pipeline === 1 ? 0.8 : 0.5;
      console.log(
        `P${String(pipeline).padEnd(8)} ${test.padEnd(5)} ${ts.toFixed(0).padStart(8)} ${rd.toFixed(0).padStart(13)} ${fl.toFixed(0).padStart(11)}` +
          ` ${(ts / rd).toFixed(3).padStart(9)}  >= ${target} ${(fl / rd).toFixed(3).padStart(12)} ${(ts / fl).toFixed(3).padStart(9)}`,
      );
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
