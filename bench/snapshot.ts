/**
 * bench:snapshot — the Async-fork experiment: GET latency while a BGSAVE runs, against
 * the same closed loop with no save, for one kvnetlab node and one redis-server 7.0.15
 * (`--save '' --appendonly no --rdbcompression no`), filled with the same number of
 * keys of the same value size, measured one after the other in the same run. Redis
 * forks and lets a child write; the TS node writes from its event loop in bounded
 * chunks (cluster/persistence/writer.ts). A benchmark, not a test: it never fails on speed.
 *
 *   npm run bench:snapshot [-- --size 64MiB --value 1024 --clients 4 --idle-seconds 5 --saves 3]
 *   npm run bench:snapshot -- --size 1GiB
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import { callText, fields, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '64MiB' },
    value: { type: 'string', default: '1024' },
    clients: { type: 'string', default: '4' },
    'idle-seconds': { type: 'string', default: '5' },
    saves: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(s);
  if (!m) throw new Error(`--size ${s}: want e.g. 64MiB, 1GiB`);
  const unit = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }[(m[2] ?? 'B').toLowerCase() as 'b'];
  return Math.round(Number(m[1]) * unit);
}

const sizeBytes = parseSize(values.size!);
const valueBytes = Number(values.value);
const keys = Math.max(1, Math.floor(sizeBytes / valueBytes));
const clients = Number(values.clients);
const idleMs = Number(values['idle-seconds']) * 1000;
const saves = Number(values.saves);
/** Nothing here may run unbounded: every phase has a deadline. */
const SAVE_TIMEOUT_MS = 15 * 60_000;

type Name = 'kvnetlab' | 'redis';
interface Target {
  name: Name;
  port: number;
  pid: number;
  dir: string;
}

async function start(name: Name, port: number, base: string): Promise<Target> {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  const pid =
    name === 'redis'
      ? spawnDetached(
          'redis-server',
          ['--port', String(port), '--cluster-enabled', 'yes', '--save', '', '--appendonly', 'no', '--rdbcompression', 'no', '--enable-debug-command', 'local', '--dir', dir, '--proc-title-template', '{title} --port {port}'],
          dir,
          join(dir, 'log'),
        )
      : spawnDetached(process.execPath, ['--max-old-space-size=16384', kvnetlabCli(), 'node', '--port', String(port), '--dir', dir], dir, join(dir, 'log'));
  await waitFor(`${name} on ${port}`, 20_000, async () => (await callText('127.0.0.1', port, ['PING'])) === 'PONG');
  await callText('127.0.0.1', port, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
  await waitFor(`${name} cluster_state:ok`, 20_000, async () => (await callText('127.0.0.1', port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
  return { name, port, pid, dir };
}

function connect(port: number): Redis {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, enableOfflineQueue: true, commandTimeout: 120_000 });
  r.on('error', () => undefined);
  return r;
}

/** Redis: DEBUG POPULATE; kvnetlab: the same keys ("key:N") and value size through pipelines of SET. */
async function fill(t: Target, admin: Redis): Promise<void> {
  const started = Date.now();
  if (t.name === 'redis') {
    await admin.call('DEBUG', 'POPULATE', String(keys), 'key', String(valueBytes));
  } else {
    const value = Buffer.alloc(valueBytes, 0x78);
    const batch = 2000;
    for (let i = 0; i < keys; i += batch) {
      const p = admin.pipeline();
      for (let j = i; j < Math.min(keys, i + batch); j++) p.set(`key:${j}`, value);
      await p.exec();
    }
  }
  const size = Number(await admin.dbsize());
  if (size !== keys) throw new Error(`${t.name}: dbsize ${size}, wanted ${keys}`);
  log(`${t.name}: ${keys} keys of ${valueBytes} B in ${((Date.now() - started) / 1000).toFixed(1)} s, used_memory ${fields(await admin.info('memory')).used_memory_human}`);
}

/** `clients` closed loops of GET on random keys until `until()` says stop; latency in µs. */
async function closedLoop(conns: Redis[], until: () => boolean): Promise<hdr.Histogram> {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  await Promise.all(
    conns.map(async (c) => {
      while (!until()) {
        const k = `key:${Math.floor(Math.random() * keys)}`;
        const t0 = process.hrtime.bigint();
        await c.get(k);
        h.recordValue(Math.max(1, Number((process.hrtime.bigint() - t0) / 1000n)));
      }
    }),
  );
  return h;
}

interface Phase {
  target: Name;
  phase: 'idle' | 'bgsave';
  h: hdr.Histogram;
  seconds: number;
  note: string;
}

async function measure(t: Target): Promise<Phase[]> {
  const admin = connect(t.port);
  const conns = Array.from({ length: clients }, () => connect(t.port));
  try {
    await fill(t, admin);
    // Warm-up, then idle.
    const warm = Date.now() + 1000;
    await closedLoop(conns, () => Date.now() > warm);
    const idleEnd = Date.now() + idleMs;
    const t0 = Date.now();
    const idle = await closedLoop(conns, () => Date.now() > idleEnd);
    const out: Phase[] = [{ target: t.name, phase: 'idle', h: idle, seconds: (Date.now() - t0) / 1000, note: '' }];

    const during = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
    let saveSeconds = 0;
    const notes: string[] = [];
    for (let s = 0; s < saves; s++) {
      let done = false;
      const deadline = Date.now() + SAVE_TIMEOUT_MS;
      const b0 = Date.now();
      const reply = await admin.bgsave();
      if (!String(reply).startsWith('Background saving started')) throw new Error(`${t.name}: BGSAVE answered ${reply}`);
      // Poll on its own connection: the loop's clients measure, the poller decides when to stop.
      const poll = (async () => {
        while (!done) {
          await new Promise((r) => setTimeout(r, 20));
          const p = fields(await admin.info('persistence'));
          if (p.rdb_bgsave_in_progress === '0') done = true;
          if (Date.now() > deadline) throw new Error(`${t.name}: BGSAVE still running after ${SAVE_TIMEOUT_MS} ms`);
        }
      })();
      const h = await closedLoop(conns, () => done);
      await poll;
      saveSeconds += (Date.now() - b0) / 1000;
      during.add(h);
      const p = fields(await admin.info('persistence'));
      if (p.rdb_last_bgsave_status !== 'ok') throw new Error(`${t.name}: BGSAVE failed`);
      const st = fields(await admin.info('stats'));
      notes.push(t.name === 'redis' ? `fork ${st.latest_fork_usec} us` : `cow ${p.rdb_last_cow_size} B`);
    }
    const file = t.name === 'redis' ? 'dump.rdb' : 'dump.kvnl';
    const fileMiB = statSync(join(t.dir, file)).size / 1048576;
    out.push({ target: t.name, phase: 'bgsave', h: during, seconds: saveSeconds, note: `${saves} saves, ${(saveSeconds / saves).toFixed(2)} s each, ${file} ${fileMiB.toFixed(0)} MiB; ${notes.join(', ')}` });
    return out;
  } finally {
    admin.disconnect();
    for (const c of conns) c.disconnect();
  }
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'kvnetlab-bench-snap-'));
  const loadBefore = loadavg()[0];
  const phases: Phase[] = [];
  const names: Name[] = values.only ? [values.only as Name] : ['kvnetlab', 'redis'];
  try {
    for (const [i, name] of names.entries()) {
      const t = await start(name, 22211 + i, base);
      try {
        phases.push(...(await measure(t)));
      } finally {
        // NOSAVE so stopping does not write another snapshot of the whole dataset.
        await callText('127.0.0.1', t.port, ['SHUTDOWN', 'NOSAVE']).catch(() => undefined);
        await stopProcess(t.pid, `--port ${t.port}`, 10_000);
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }

  const us = (h: hdr.Histogram, p: number) => h.getValueAtPercentile(p);
  // Other processes on the machine move these figures a lot: say how busy it was.
  console.log(`\nload average (1 min): ${loadBefore.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end`);
  console.log(`GET latency, ${clients} closed-loop ioredis clients, ${keys} keys x ${valueBytes} B (${(sizeBytes / 1048576).toFixed(0)} MiB of values)`);
  console.log('target    phase    requests   seconds    req/s   p50 us   p99 us  p99.9 us    max us  notes');
  for (const p of phases) {
    console.log(
      `${p.target.padEnd(9)} ${p.phase.padEnd(7)} ${String(p.h.totalCount).padStart(9)} ${p.seconds.toFixed(1).padStart(9)} ${(p.h.totalCount / p.seconds).toFixed(0).padStart(8)} ${String(us(p.h, 50)).padStart(8)} ${String(us(p.h, 99)).padStart(8)} ${String(us(p.h, 99.9)).padStart(9)} ${String(p.h.maxValue).padStart(9)}  ${p.note}`,
    );
  }
  const get = (t: Name, ph: Phase['phase']) => phases.find((p) => p.target === t && p.phase === ph)?.h;
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? (a / b).toFixed(2) : 'n/a');
  for (const t of names) {
    console.log(`${t}: p99 during BGSAVE / idle = ${ratio(get(t, 'bgsave') && us(get(t, 'bgsave')!, 99), get(t, 'idle') && us(get(t, 'idle')!, 99))}`);
  }
  if (names.length === 2) {
    console.log(`kvnetlab / redis p99: idle ${ratio(us(get('kvnetlab', 'idle')!, 99), us(get('redis', 'idle')!, 99))}, during BGSAVE ${ratio(us(get('kvnetlab', 'bgsave')!, 99), us(get('redis', 'bgsave')!, 99))}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
