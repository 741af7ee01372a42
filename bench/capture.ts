/**
 * bench:capture — what `kvnetlab capture` keeps up with, against tcpdump on the same traffic.
 *
 * One redis-server; for each step of a rising load (redis-benchmark -t set,get with more
 * clients and deeper pipelines) a fresh `kvnetlab capture --ports P --sink memory` and a
 * `tcpdump -i lo -w /dev/null` with the same filter capture the same packets side by
 * side. Per step: packets/s on the port, kernel drops of each (ours from
 * PACKET_STATISTICS, tcpdump's "dropped by kernel"), each process's CPU, and the CPU
 * of a third capture through the same binding that only counts packets (bench/cap-floor.ts:
 * the binding's own cost)
 * (/proc/<pid>/stat). At the end: the highest packet rate each captured with 0 drops,
 * and the ratios, all from this one run.
 *
 *   npm run bench:capture [-- --port 17501 --requests 200000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds } from './proc-cpu.js';
import { redisBenchmark } from './redis-benchmark.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const port = arg('port', 17501);
const requests = arg('requests', 200_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const STEPS = [
  { clients: 1, pipeline: 1 },
  { clients: 4, pipeline: 1 },
  { clients: 16, pipeline: 1 },
  { clients: 50, pipeline: 1 },
  { clients: 50, pipeline: 4 },
  { clients: 50, pipeline: 16 },
];

interface Tool {
  pid: number;
  cpu0: number;
}

async function waitFor(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kvnl-bench-capture-'));
  const redisPid = spawnDetached('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--proc-title-template', '{title} --port {port}'], dir, join(dir, 'redis.log'));
  const filter = `tcp and (port ${port})`;
  const rows: Array<Record<string, number>> = [];
  try {
    await sleep(500);
    for (const [i, step] of STEPS.entries()) {
      const capLog = join(dir, `capture-${i}.log`);
      const capPid = spawnDetached(process.execPath, [kvnetlabCli(), 'capture', '--ports', String(port), '--sink', 'memory'], dir, capLog);
      const floorLog = join(dir, `floor-${i}.log`);
      const floorPid = spawnDetached(process.execPath, [join(import.meta.dirname, 'cap-floor.js'), filter], dir, floorLog);
      let tdErr = '';
      const td = spawn('tcpdump', ['-i', 'lo', '-w', '/dev/null', filter], { stdio: ['ignore', 'ignore', 'pipe'] });
      td.stderr!.on('data', (d: Buffer) => (tdErr += d.toString()));
      const tdExit = new Promise<void>((r) => td.once('exit', () => r()));
      await waitFor('capture', () => /capturing on/.test(readFileSync(capLog, 'utf8')));
      await waitFor('tcpdump', () => /listening on/.test(tdErr));
      await waitFor('cap floor', () => /capturing/.test(readFileSync(floorLog, 'utf8')));
      await sleep(300);
      const ours: Tool = { pid: capPid, cpu0: cpuSeconds(capPid) };
      const theirs: Tool = { pid: td.pid!, cpu0: cpuSeconds(td.pid!) };
      const floor: Tool = { pid: floorPid, cpu0: cpuSeconds(floorPid) };
      const t0 = Date.now();
      const rps = await redisBenchmark(port, { pipeline: step.pipeline, requests, clients: step.clients });
      const wall = (Date.now() - t0) / 1000;
      await sleep(300);
      const oursCpu = cpuSeconds(ours.pid) - ours.cpu0;
      const theirsCpu = cpuSeconds(theirs.pid) - theirs.cpu0;
      const floorCpu = cpuSeconds(floor.pid) - floor.cpu0;
      await stopProcess(floorPid, 'cap-floor.js', 5000);
      await stopProcess(capPid, 'capture --ports', 15_000);
      td.kill('SIGINT');
      await tdExit;
      const log = readFileSync(capLog, 'utf8');
      const kernel = JSON.parse(/:C \S+ kernel (.*)$/m.exec(log)![1]!) as { received: number; dropped: number };
      const totals = JSON.parse(/:C \S+ capture (.*)$/m.exec(log)![1]!) as { frames: number; missingBytes: number };
      const tdCaptured = Number(/(\d+) packets? captured/.exec(tdErr)?.[1]);
      const tdDropped = Number(/(\d+) packets? dropped by kernel/.exec(tdErr)?.[1]);
      rows.push({
        clients: step.clients, pipeline: step.pipeline, rps: (rps.SET + rps.GET) / 2,
        pps: Math.round(totals.frames / wall), frames: totals.frames, oursDropped: kernel.dropped, oursMissing: totals.missingBytes,
        tcpdumpCaptured: tdCaptured, tcpdumpDropped: tdDropped,
        oursCpu, tcpdumpCpu: theirsCpu, floorCpu,
      });
      const r = rows[rows.length - 1];
      console.log(
        `-c ${String(step.clients).padStart(2)} -P ${String(step.pipeline).padStart(2)}: ${r.pps.toLocaleString('en-US').padStart(9)} packets/s ` +
          `capture dropped ${r.oursDropped} (missing ${r.oursMissing} B), CPU ${oursCpu.toFixed(2)} s = ${((oursCpu / r.frames) * 1e6).toFixed(2)} µs/packet | ` +
          `cap floor ${((floorCpu / r.frames) * 1e6).toFixed(2)} µs/packet | tcpdump captured ${tdCaptured}, dropped ${tdDropped}, CPU ${theirsCpu.toFixed(2)} s = ${((theirsCpu / r.frames) * 1e6).toFixed(2)} µs/packet`,
      );
    }
  } finally {
    await stopProcess(redisPid, `--port ${port}`, 5000);
    rmSync(dir, { recursive: true, force: true });
  }
  const best = (ok: (r: Record<string, number>) => boolean) => Math.max(0, ...rows.filter(ok).map((r) => r.pps));
  const oursBest = best((r) => r.oursDropped === 0 && r.oursMissing === 0);
  const theirsBest = best((r) => r.tcpdumpDropped === 0);
  const cpuOurs = rows.reduce((a, r) => a + r.oursCpu, 0);
  const cpuTheirs = rows.reduce((a, r) => a + r.tcpdumpCpu, 0);
  const frames = rows.reduce((a, r) => a + r.frames, 0);
  const cpuFloor = rows.reduce((a, r) => a + r.floorCpu, 0);
  console.log(`\nhighest packet rate with 0 drops: kvnetlab capture ${oursBest.toLocaleString('en-US')} packets/s, tcpdump -w /dev/null ${theirsBest.toLocaleString('en-US')} packets/s (of the rates tried); ratio ${(oursBest / theirsBest).toFixed(2)}`);
  console.log(`CPU over all steps: kvnetlab capture ${cpuOurs.toFixed(2)} s (${((cpuOurs / frames) * 1e6).toFixed(2)} µs/packet), tcpdump ${cpuTheirs.toFixed(2)} s (${((cpuTheirs / frames) * 1e6).toFixed(2)} µs/packet); ratio ${(cpuOurs / cpuTheirs).toFixed(1)}x; the cap floor (count only) ${((cpuFloor / frames) * 1e6).toFixed(2)} µs/packet, so decoding + attribution are ${(((cpuOurs - cpuFloor) / frames) * 1e6).toFixed(2)} µs/packet`);
}

await main();
