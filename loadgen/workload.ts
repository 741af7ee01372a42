import { type Arg, type KvClient, type OpTally } from './connect.js';
import { javaStringHash, ycsbKey } from './fnv.js';
import {
  AcknowledgedCounterGenerator, DiscreteGenerator, HotspotGenerator, type NumberGenerator, ParetoGenerator,
  ScrambledZipfianGenerator, SkewedLatestGenerator, UniformGenerator, ZipfianGenerator,
} from './generators.js';
import type { WorkloadSpec } from './presets.js';
import { type Random, nextIndex } from './random.js';

/**
 * CoreWorkload (site.ycsb.workloads.CoreWorkload) over the Redis binding
 * (site.ycsb.db.RedisClient): records are hashes `field0..field9`; inserts also ZADD the
 * key into the `_indices` sorted set with Java's String.hashCode as score; scans are
 * ZRANGEBYSCORE _indices <hash(startkey)> +inf LIMIT 0 <len>, then HGETALL per key.
 *
 * Cluster note: `_indices` is one key, so it lives in one slot on one master: every insert
 * and every scan hits that master (a hot spot YCSB's binding has with JedisCluster too).
 * No command names two keys, so there is no CROSSSLOT error; the price is that HMSET and
 * ZADD are two commands, not one atomic MULTI (which CROSSSLOT would forbid in a cluster).
 */
export type OpName = 'READ' | 'UPDATE' | 'INSERT' | 'SCAN' | 'READ-MODIFY-WRITE' | 'GET' | 'SET';
export const INDEX_KEY = '_indices';

export interface Outcome {
  /** true = found, false = not found, undefined = not a lookup. */
  hit?: boolean;
  /** The key looked up (GET): the cache-aside fill SETs it after a miss. */
  key?: string;
}

/** A write acknowledged by the server: what --verify reads back at the end. */
export type AckedWrite = (key: string, field: string | null, value: Buffer) => void;

export class Workload {
  readonly ops: OpName[];
  private readonly chooser: DiscreteGenerator<OpName>;
  private readonly keychooser: NumberGenerator;
  readonly insertSequence: AcknowledgedCounterGenerator;
  private readonly scanLength: UniformGenerator;
  private readonly pool: Buffer;

  constructor(readonly spec: WorkloadSpec, private readonly random: Random, private readonly onAck?: AckedWrite) {
    const p = spec.proportions;
    const str = spec.kind === 'string';
    const mix: Array<{ weight: number; value: OpName }> = [
      { weight: p.read, value: str ? 'GET' : 'READ' },
      { weight: p.update, value: str ? 'SET' : 'UPDATE' },
      { weight: p.insert, value: 'INSERT' },
      { weight: p.scan, value: 'SCAN' },
      { weight: p.rmw, value: 'READ-MODIFY-WRITE' },
    ];
    this.chooser = new DiscreteGenerator(random, mix);
    this.ops = mix.filter((m) => m.weight > 0).map((m) => m.value);
    if (spec.missDelayMs >= 0 && spec.preset === 'cache-aside' && !this.ops.includes('SET')) this.ops.push('SET');
    this.insertSequence = new AcknowledgedCounterGenerator(spec.recordCount);
    this.keychooser = this.makeKeychooser();
    this.scanLength = new UniformGenerator(random, 1, spec.maxScanLength);
    // RandomByteIterator's printable bytes, drawn once; values are slices at random offsets.
    const size = Math.max(65536, 2 * Math.max(spec.valueSize, spec.fieldLength));
    this.pool = Buffer.alloc(size);
    for (let i = 0; i < size; i++) this.pool[i] = 32 + nextIndex(random, 95);
  }

  private makeKeychooser(): NumberGenerator {
    const s = this.spec;
    const expectedNewKeys = Math.trunc(s.operationCount * s.proportions.insert * 2); // YCSB's fudge factor 2
    switch (s.distribution) {
      case 'uniform': return new UniformGenerator(this.random, 0, s.recordCount - 1);
      case 'zipfian': return new ZipfianGenerator(this.random, 0, s.recordCount + expectedNewKeys);
      case 'scrambled-zipfian': return new ScrambledZipfianGenerator(this.random, 0, s.recordCount + expectedNewKeys);
      case 'latest': return new SkewedLatestGenerator(this.random, this.insertSequence);
      case 'hotspot': return new HotspotGenerator(this.random, 0, s.recordCount - 1, s.hotsetFraction, s.hotOpnFraction);
      case 'pareto': return new ParetoGenerator(this.random, s.recordCount);
    }
  }

  nextOp(): OpName {
    return this.chooser.next();
  }

  /** CoreWorkload.nextKeynum: redraw until the key's insert has been acknowledged. */
  nextKeynum(): number {
    let k: number;
    do k = this.keychooser.next();
    while (k > this.insertSequence.last());
    return k;
  }

  keyName(n: number): string {
    const s = this.spec;
    if (s.kind === 'hash') return ycsbKey(n);
    const key = `${s.keyPrefix}${n}`;
    return s.keySize > key.length ? key + 'x'.repeat(s.keySize - key.length) : key;
  }

  private value(len: number): Buffer {
    const off = nextIndex(this.random, this.pool.length - len);
    return this.pool.subarray(off, off + len);
  }

  /** Writes record n (the load phase and INSERT). */
  async writeRecord(client: KvClient, n: number, tally: OpTally): Promise<void> {
    const key = this.keyName(n);
    if (this.spec.kind === 'string') {
      const v = this.value(this.spec.valueSize);
      await client.call('set', [key, v], tally);
      this.onAck?.(key, null, v);
      return;
    }
    const args: Arg[] = [key];
    for (let f = 0; f < this.spec.fieldCount; f++) args.push(`field${f}`, this.value(this.spec.fieldLength));
    await client.call('hmset', args, tally);
    for (let i = 1; i < args.length; i += 2) this.onAck?.(key, args[i] as string, args[i + 1] as Buffer);
    await client.call('zadd', [INDEX_KEY, javaStringHash(key), key], tally);
  }

  private async read(client: KvClient, key: string, tally: OpTally): Promise<Outcome> {
    const reply = (await client.call('hgetall', [key], tally)) as unknown[] | Record<string, unknown>;
    const n = Array.isArray(reply) ? reply.length : Object.keys(reply).length;
    return { hit: n > 0 };
  }

  private async updateOneField(client: KvClient, key: string, tally: OpTally): Promise<void> {
    const field = `field${nextIndex(this.random, this.spec.fieldCount)}`;
    const v = this.value(this.spec.fieldLength);
    await client.call('hmset', [key, field, v], tally);
    this.onAck?.(key, field, v);
  }

  /** Runs one operation; `fill` is called for the cache-aside SET after a miss. */
  async execute(op: OpName, client: KvClient, tally: OpTally): Promise<Outcome> {
    switch (op) {
      case 'READ': return this.read(client, this.keyName(this.nextKeynum()), tally);
      case 'UPDATE': await this.updateOneField(client, this.keyName(this.nextKeynum()), tally); return {};
      case 'INSERT': {
        const n = this.insertSequence.next();
        try {
          await this.writeRecord(client, n, tally);
        } finally {
          this.insertSequence.acknowledge(n); // CoreWorkload acknowledges in `finally` too
        }
        return {};
      }
      case 'SCAN': {
        const start = this.keyName(this.nextKeynum());
        const len = this.scanLength.next();
        const keys = (await client.call('zrangebyscore', [INDEX_KEY, javaStringHash(start), '+inf', 'LIMIT', 0, len], tally)) as Buffer[];
        for (const k of keys) await this.read(client, k.toString(), tally);
        return {};
      }
      case 'READ-MODIFY-WRITE': {
        const key = this.keyName(this.nextKeynum());
        const r = await this.read(client, key, tally);
        await this.updateOneField(client, key, tally);
        return r;
      }
      case 'GET': return this.get(client, this.keyName(this.nextKeynum()), tally);
      case 'SET': {
        const key = this.keyName(this.nextKeynum());
        const v = this.value(this.spec.valueSize);
        await client.call('set', [key, v], tally);
        this.onAck?.(key, null, v);
        return {};
      }
    }
  }

  private async get(client: KvClient, key: string, tally: OpTally): Promise<Outcome> {
    const reply = await client.call('get', [key], tally);
    return { hit: reply !== null, key };
  }

  /** cache-aside: the SET that fills the key of the last miss (the "computed" value). */
  async fill(client: KvClient, key: string, tally: OpTally): Promise<void> {
    const v = this.value(this.spec.valueSize);
    await client.call('set', [key, v], tally);
    this.onAck?.(key, null, v);
  }
}
