import { performance } from 'node:perf_hooks';
import type { KvClient, OpTally } from './connect.js';
import type { OpResult, Recorder } from './stats.js';
import type { OpName, Outcome, Workload } from './workload.js';

/**
 * The run phase. One worker per connection, each with at most one operation in flight
 * (memtier's and redis-benchmark's model with pipeline 1).
 *
 * Closed loop (no target): a worker issues its next operation when the previous returns.
 * Open loop (--target R ops/s): operation i has the intended start t0 + i/R, whichever
 * worker is free takes the next i and waits until its intended start if early. When the
 * server stalls, every worker is stuck and the schedule keeps running: the operations
 * that should have started meanwhile start late, and their latency is counted from the
 * intended start (YCSB's measurement.interval=intended, Gil Tene's coordinated omission).
 * The actual-start latency is kept beside it, so the difference is visible.
 */
export interface RunOptions {
  /** Ops/s; 0 = closed loop. */
  target: number;
  operationCount: number;
  durationMs: number;
  missDelayMs: number;
  /** Polled before each operation: true ends the run early (SIGINT), the summary still comes. */
  stopped?: () => boolean;
}

export interface RunResult {
  runtimeMs: number;
  operations: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const newTally = (): OpTally => ({ moved: 0, ask: 0, retries: 0 });

function result(t: OpTally, error: unknown, o?: Outcome): OpResult {
  const failed = error !== undefined;
  return { error: failed, redirects: t.moved + t.ask, moved: t.moved, ask: t.ask, retries: t.retries, hit: o?.hit, message: failed ? String((error as Error)?.message ?? error) : undefined };
}

export async function runPhase(w: Workload, clients: KvClient[], rec: Recorder, o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const tEnd = o.durationMs > 0 ? t0 + o.durationMs : Infinity;
  const maxOps = o.operationCount > 0 ? o.operationCount : Infinity;
  const period = o.target > 0 ? 1000 / o.target : 0;
  let issued = 0;
  const fills = new Set<Promise<void>>();
  const timer = setInterval(() => rec.tick(), 100);
  rec.tick();

  const fill = async (client: KvClient, key: string) => {
    if (o.missDelayMs > 0) await sleep(o.missDelayMs);
    const tally = newTally();
    const start = performance.now();
    let error: unknown;
    await w.fill(client, key, tally).catch((e: unknown) => (error = e ?? 'error'));
    rec.record('SET', start, start, performance.now(), result(tally, error));
  };

  const worker = async (client: KvClient) => {
    for (;;) {
      if (issued >= maxOps || o.stopped?.()) return;
      const i = issued++;
      let intended = period > 0 ? t0 + i * period : performance.now();
      if (intended >= tEnd || performance.now() >= tEnd) return;
      const wait = intended - performance.now();
      if (wait >= 1) await sleep(wait);
      const op: OpName = w.nextOp();
      const tally = newTally();
      const start = performance.now();
      if (period === 0) intended = start;
      let outcome: Outcome | undefined;
      let error: unknown;
      try {
        outcome = await w.execute(op, client, tally);
      } catch (e) {
        error = e ?? 'error';
      }
      rec.record(op, intended, start, performance.now(), result(tally, error, outcome));
      if (w.spec.preset === 'cache-aside' && outcome?.hit === false && outcome.key) {
        // The application computes the value off the request path: the fill does not hold
        // the worker, so the offered GET rate stays what was asked for.
        const p = fill(client, outcome.key).finally(() => fills.delete(p));
        fills.add(p);
      }
    }
  };

  try {
    await Promise.all(clients.map((c) => worker(c)));
    await Promise.all([...fills]);
  } finally {
    clearInterval(timer);
  }
  const runtimeMs = performance.now() - t0;
  rec.tick(true);
  let operations = 0;
  for (const s of rec.stats.values()) operations += s.total.ops;
  return { runtimeMs, operations };
}

export interface LoadOptions {
  /** Records to write (ignored when memoryBytes is set, except as a safety cap). */
  records: number;
  /** Stop once INFO used_memory summed over the masters reaches this. 0 = off. */
  memoryBytes: number;
  progress: (line: string, done: boolean) => void;
  stopped?: () => boolean;
}

export interface LoadResult {
  records: number;
  errors: number;
  runtimeMs: number;
  usedMemory: number;
}

/** The load phase: records 0, 1, 2, ... (YCSB's CounterGenerator key sequence), all workers. */
export async function loadPhase(w: Workload, clients: KvClient[], o: LoadOptions): Promise<LoadResult> {
  const t0 = performance.now();
  const cap = o.records;
  let next = 0;
  let done = 0;
  let errors = 0;
  let stop = false;
  let usedMemory = 0;
  const checkMemory = async () => {
    usedMemory = await clients[0]!.usedMemory().catch(() => usedMemory);
    if (o.memoryBytes > 0 && usedMemory >= o.memoryBytes) stop = true;
  };
  if (o.memoryBytes > 0) await checkMemory();
  const report = (final: boolean) => {
    const s = (performance.now() - t0) / 1000;
    const rate = done / Math.max(s, 1e-3);
    const frac = o.memoryBytes > 0 ? Math.min(1, usedMemory / o.memoryBytes) : done / Math.max(cap, 1);
    const eta = frac > 0 ? (s / frac) * (1 - frac) : NaN;
    const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '.');
    const what = o.memoryBytes > 0 ? `${(usedMemory / 2 ** 20).toFixed(1)}/${(o.memoryBytes / 2 ** 20).toFixed(1)} MiB` : `${done}/${cap} records`;
    o.progress(`load [${bar}] ${(frac * 100).toFixed(1)}% ${what} ${rate.toFixed(0)} rec/s ETA ${Number.isFinite(eta) ? eta.toFixed(1) : '?'}s errors ${errors}`, final);
  };
  const timer = setInterval(() => report(false), 500);
  // INFO every 100 ms: the overshoot past the memory goal is at most ~100 ms of writes.
  const memTimer = o.memoryBytes > 0 ? setInterval(() => void checkMemory(), 100) : undefined;
  const worker = async (client: KvClient) => {
    const tally = newTally();
    while (!stop && next < cap && !o.stopped?.()) {
      const n = next++;
      try {
        await w.writeRecord(client, n, tally);
        done++;
      } catch {
        errors++;
      }
    }
  };
  try {
    await Promise.all(clients.map((c) => worker(c)));
  } finally {
    clearInterval(timer);
    clearInterval(memTimer);
  }
  await checkMemory();
  report(true);
  return { records: next, errors, runtimeMs: performance.now() - t0, usedMemory };
}
