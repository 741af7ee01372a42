import type { KvClient } from './versioned-workload.js';

export interface RatioWorkloadOptions {
  keys: string[];
  /** Concurrent closed-loop clients. */
  clients: number;
  /** Fraction of operations that are SETs (0..1); the rest are GETs. */
  writeRatio: number;
  valueBytes: number;
  maxOps: number;
  seed?: number;
  /**
   * Told every finished operation (performance.now() start and end, ms): the table hands
   * them to the load generator's Recorder, so the store gets the same 100 ms ops rows a
   * `kvnetlab loadgen` run writes.
   */
  /** Every operation: performance.now() start and end, its wall-clock end `at` (the sample's), whether it succeeded. */
  onOp?: (op: 'GET' | 'SET', start: number, end: number, ok: boolean, at: number) => void;
}

/** One finished operation: its end (Date.now(), for windows and gaps) and latency (ms). */
export interface OpSample {
  at: number;
  ms: number;
  ok: boolean;
}

/**
 * YCSB-like closed loop for the migration table: uniform keys, a SET/GET mix at a given
 * write ratio, fixed-size values. The client is swappable: the cluster client for
 * `redis`, a protocol's router for the others (router.ts).
 */
export class RatioWorkload {
  private stopped = false;
  private ops = 0;
  private running: Promise<unknown> | undefined;
  readonly samples: OpSample[] = [];

  constructor(private readonly client: KvClient, private readonly o: RatioWorkloadOptions) {}

  async load(): Promise<void> {
    const value = 'v'.repeat(this.o.valueBytes);
    for (let i = 0; i < this.o.keys.length; i += 50) await Promise.all(this.o.keys.slice(i, i + 50).map((k) => this.client.set(k, value)));
  }

  start(): void {
    this.running = Promise.all(Array.from({ length: this.o.clients }, (_, i) => this.loop(i)));
  }

  async stop(): Promise<OpSample[]> {
    this.stopped = true;
    await this.running;
    return this.samples;
  }

  private async loop(index: number): Promise<void> {
    let x = ((this.o.seed ?? 1) * 7919 + index * 104729) % 2147483648;
    const value = 'w'.repeat(this.o.valueBytes);
    while (!this.stopped && this.ops++ < this.o.maxOps) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const key = this.o.keys[x % this.o.keys.length]!;
      x = (x * 1103515245 + 12345) % 2147483648;
      const write = x / 2147483648 < this.o.writeRatio;
      const t = performance.now();
      let ok = true;
      try {
        await (write ? this.client.set(key, value) : this.client.get(key));
      } catch {
        ok = false;
        await new Promise((r) => setTimeout(r, 2));
      }
      const end = performance.now();
      // One clock read for the sample and the ops row: two could fall into different 100 ms buckets.
      const at = Date.now();
      this.samples.push({ at, ms: end - t, ok });
      this.o.onOp?.(write ? 'SET' : 'GET', t, end, ok, at);
    }
  }
}

/** Throughput (ops/s), p50 and p99 (ms) of the successful samples in [from, to). */
export function windowStats(samples: OpSample[], from: number, to: number): { ops: number; tput: number; p50: number; p99: number } {
  const ms = samples.filter((s) => s.ok && s.at >= from && s.at < to).map((s) => s.ms).sort((a, b) => a - b);
  const q = (p: number) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]! : 0);
  return { ops: ms.length, tput: to > from ? (ms.length * 1000) / (to - from) : 0, p50: q(0.5), p99: q(0.99) };
}

/** Downtime: the longest gap without a successful operation in [from, to]. */
export function downtime(samples: OpSample[], from: number, to: number): number {
  let prev = from;
  let gap = 0;
  for (const at of samples.filter((s) => s.ok && s.at >= from && s.at <= to).map((s) => s.at).sort((a, b) => a - b)) {
    gap = Math.max(gap, at - prev);
    prev = at;
  }
  return Math.max(gap, to - prev);
}
