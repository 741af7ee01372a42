import type { ReadOp, WriteOp } from './linearizability.js';

/** The two calls the workload makes (ioredis Cluster, or a protocol's own client). */
export interface KvClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
}

export interface VersionedWorkloadOptions {
  keys: string[];
  /** Writer tasks; each owns keys i, i+writers, ... and writes them round robin (one writer per key). */
  writers: number;
  readers: number;
  /** Pause of a writer between two writes: the read/write mix. */
  writePauseMs: number;
  /** Bound on all operations together (every load loop is bounded in count and time). */
  maxOps: number;
  valueBytes?: number;
}

export interface VersionedHistory {
  writes: WriteOp[];
  reads: ReadOp[];
  /** Every successful operation's end, ms (for downtime = the longest gap). */
  okAt: number[];
  errors: Map<string, number>;
}

export const versionOf = (v: string | null): number => (v === null ? 0 : Number.parseInt(v, 10));

/**
 * Writers SET `<version>:<padding>` with versions 1, 2, 3 ... per key, each waiting for
 * the previous reply; readers GET random keys. Everything is timed with
 * performance.now() so linearizability.ts can check the history.
 */
export class VersionedWorkload {
  private stopped = false;
  private ops = 0;
  private readonly versions = new Map<string, number>();
  private running: Promise<unknown> | undefined;
  readonly history: VersionedHistory = { writes: [], reads: [], okAt: [], errors: new Map() };

  constructor(private readonly client: KvClient, private readonly o: VersionedWorkloadOptions) {}

  /** Writes version 1 of every key and waits for all. */
  async load(): Promise<void> {
    for (const k of this.o.keys) await this.write(k);
  }

  start(): void {
    const tasks: Array<Promise<void>> = [];
    for (let w = 0; w < this.o.writers; w++) tasks.push(this.writer(w));
    for (let r = 0; r < this.o.readers; r++) tasks.push(this.reader(r));
    this.running = Promise.all(tasks);
  }

  async stop(): Promise<VersionedHistory> {
    this.stopped = true;
    await this.running;
    return this.history;
  }

  /** The latest version of every key as read now (after stop). */
  async finals(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const k of this.o.keys) out.set(k, versionOf(await this.client.get(k)));
    return out;
  }

  private more(): boolean {
    return !this.stopped && this.ops++ < this.o.maxOps;
  }

  private async writer(index: number): Promise<void> {
    const mine = this.o.keys.filter((_, i) => i % this.o.writers === index);
    for (let i = 0; mine.length > 0 && this.more(); i++) {
      await this.write(mine[i % mine.length]!);
      if (this.o.writePauseMs > 0) await new Promise((r) => setTimeout(r, this.o.writePauseMs));
    }
  }

  private async write(key: string): Promise<void> {
    const version = (this.versions.get(key) ?? 0) + 1;
    this.versions.set(key, version);
    const op: WriteOp = { key, version, start: performance.now(), ack: Infinity };
    this.history.writes.push(op);
    try {
      await this.client.set(key, `${version}:`.padEnd(this.o.valueBytes ?? 32, 'x'));
      op.ack = performance.now();
      this.history.okAt.push(op.ack);
    } catch (e) {
      this.error(e);
    }
  }

  private async reader(seed: number): Promise<void> {
    let x = seed * 7919 + 1;
    while (this.more()) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const key = this.o.keys[x % this.o.keys.length]!;
      const start = performance.now();
      try {
        const v = await this.client.get(key);
        const end = performance.now();
        this.history.reads.push({ key, start, end, version: versionOf(v) });
        this.history.okAt.push(end);
      } catch (e) {
        this.error(e);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  private error(e: unknown): void {
    const text = (e instanceof Error ? e.message : String(e)).split(' ')[0]!;
    this.history.errors.set(text, (this.history.errors.get(text) ?? 0) + 1);
  }
}
