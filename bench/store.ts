/**
 * bench:store — how fast traffic rows get into chDB through the collector, and what the
 * writing costs the producing process. Same rows, same run, interleaved round by round:
 *
 *   gen-only          produce the rows, write them nowhere (the producer's own cost)
 *   json-lines file   produce + JSON.stringify + fs.writeSync to a file (the anchor)
 *   sink->collector   produce + openSink() -> HTTP -> `kvnetlab collector` (a child
 *                     process) -> chDB, until flush() resolves: rows really stored
 *   sink->chDB        produce + BufferedSink -> chDB opened in this process (no HTTP)
 *
 * Prints median rows/s, the producer's CPU per row (process.cpuUsage, user+system)
 * and the collector's CPU per row (/proc/<pid>/stat). A benchmark, not a test.
 *
 *   npm run bench:store [-- --rows 500000 --rounds 3 --port 22550]
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kvnetlabCli } from '../cluster/launcher/processes.js';
import { BufferedSink } from '../telemetry/buffered-sink.js';
import { ChdbStore } from '../telemetry/chdb-store.js';
import { CollectorStore } from '../telemetry/collector-store.js';
import { openSink } from '../telemetry/open-sink.js';
import type { RowSink, TrafficRow } from '../telemetry/rows.js';
import { queryRows, type Store } from '../telemetry/store.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '500000' },
    rounds: { type: 'string', default: '3' },
    port: { type: 'string', default: '22550' },
  },
});
const ROWS = Number(values.rows);
const ROUNDS = Number(values.rounds);
const PORT = Number(values.port);
const CHUNK = 1_000; // rows handed to the writer per call, like a proxy's 100 ms flush
const channels = ['client', 'replication', 'bus'] as const;
const types = ['PING', 'PONG', 'MEET', 'FAIL'];

/** Deterministic rows, realistic shape: 6 nodes x 6 peers x 3 channels x 2 directions. */
function* produce(runId: string): Generator<TrafficRow[]> {
  const t0 = 1_763_750_000_000;
  for (let i = 0; i < ROWS; i += CHUNK) {
    const rows: TrafficRow[] = [];
    for (let j = i; j < Math.min(ROWS, i + CHUNK); j++) {
      const channel = channels[j % 3]!;
      rows.push({
        run_id: runId,
        ts_ms: t0 + Math.floor(j / 216) * 100,
        source: 'proxy',
        node: `n${(j % 6) + 1}`,
        peer: `n${(Math.floor(j / 6) % 6) + 1}`,
        channel,
        direction: j % 2 ? 'sent' : 'received',
        msg_type: channel === 'bus' ? types[j % 4]! : '',
        bytes: (j * 2_654_435_761) % 100_000,
        messages: j % 17,
        wire_bytes: 0,
        retransmits: 0,
      });
    }
    yield rows;
  }
}

function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
}

interface Result {
  rowsPerS: number;
  writerUsPerRow: number;
  collectorUsPerRow?: number;
}

async function measure(fn: () => Promise<void>, collectorPid?: number): Promise<Result> {
  const c0 = collectorPid ? procCpuMs(collectorPid) : 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return {
    rowsPerS: ROWS / s,
    writerUsPerRow: (cpu.user + cpu.system) / ROWS,
    collectorUsPerRow: collectorPid ? ((procCpuMs(collectorPid) - c0) * 1000) / ROWS : undefined,
  };
}

async function viaSink(sink: RowSink, runId: string, check: Store): Promise<void> {
  for (const rows of produce(runId)) sink.write('traffic', rows);
  await sink.close();
  const dropped = sink.dropped().traffic;
  const [r] = await queryRows<{ n: string }>(check, `SELECT count() AS n FROM traffic WHERE run_id = '${runId}'`);
  if (Number(r!.n) !== ROWS || dropped !== 0) throw new Error(`${runId}: stored ${r!.n} of ${ROWS}, dropped ${dropped}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-bench-store-'));
  const collector = spawn(process.execPath, [kvnetlabCli(), 'collector', '--dir', join(dir, 'collector'), '--port', String(PORT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    collector.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^collector (\S+)/m.exec(out);
      if (m) resolve(m[1]!);
    });
    collector.once('exit', (code) => reject(new Error(`collector exited with ${code}`)));
  });
  const remote = new CollectorStore(() => url);
  const local = await ChdbStore.open(join(dir, 'inproc'), 'bench');
  const quiet = () => {};
  const results: Record<string, Result[]> = { 'gen-only': [], 'json-lines file': [], 'sink->collector': [], 'sink->chDB in-process': [] };
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      results['gen-only']!.push(
        await measure(async () => {
          let n = 0;
          for (const rows of produce(`gen-${round}`)) n += rows.length;
          if (n !== ROWS) throw new Error('short');
        }),
      );
      const file = join(dir, `rows-${round}.jsonl`);
      results['json-lines file']!.push(
        await measure(async () => {
          const fd = openSync(file, 'w');
          for (const rows of produce(`file-${round}`)) {
            let text = '';
            for (const r of rows) text += JSON.stringify(r) + '\n';
            writeSync(fd, text);
          }
          closeSync(fd);
        }),
      );
      rmSync(file);
      results['sink->collector']!.push(
        await measure(() => viaSink(openSink({ collectorUrl: url, log: quiet, closeTimeoutMs: 600_000 }), `collector-${round}`, remote), collector.pid),
      );
      results['sink->chDB in-process']!.push(
        await measure(() => viaSink(new BufferedSink({ insert: (t, b) => local.insert(t, b), close: async () => {}, location: local.location }, { closeTimeoutMs: 600_000 }), `inproc-${round}`, local)),
      );
      process.stderr.write(`round ${round}/${ROUNDS} done\n`);
    }
  } finally {
    await local.close();
    collector.kill('SIGTERM');
    await new Promise((r) => collector.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }

  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  process.stdout.write(`\nbench:store  ${fmt(ROWS)} traffic rows per round, ${ROUNDS} rounds, writes of ${CHUNK} rows, batches of 5,000 (medians)\n`);
  process.stdout.write(`${'path'.padEnd(24)}${'rows/s'.padStart(12)}${'producer CPU µs/row'.padStart(22)}${'collector CPU µs/row'.padStart(23)}\n`);
  const med: Record<string, Result> = {};
  for (const [name, rs] of Object.entries(results)) {
    const c = rs.map((r) => r.collectorUsPerRow).filter((x): x is number => x !== undefined);
    med[name] = { rowsPerS: median(rs.map((r) => r.rowsPerS)), writerUsPerRow: median(rs.map((r) => r.writerUsPerRow)), collectorUsPerRow: c.length ? median(c) : undefined };
    const m = med[name]!;
    process.stdout.write(
      `${name.padEnd(24)}${fmt(m.rowsPerS).padStart(12)}${m.writerUsPerRow.toFixed(2).padStart(22)}${(m.collectorUsPerRow?.toFixed(2) ?? '').padStart(23)}\n`,
    );
  }
  const gen = med['gen-only']!.writerUsPerRow;
  const file = med['json-lines file']!;
  const coll = med['sink->collector']!;
  process.stdout.write(
    `\nthroughput ratio sink->collector / json-lines file: ${(coll.rowsPerS / file.rowsPerS).toFixed(3)}\n` +
      `writer CPU beyond producing the rows: sink ${(coll.writerUsPerRow - gen).toFixed(2)} µs/row, json-lines file ${(file.writerUsPerRow - gen).toFixed(2)} µs/row\n`,
  );
}

await main();
