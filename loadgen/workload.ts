import { type Arg, type KvClient, type OpTally } from './connect.js';
import { javaStringHash, ycsbKey } from './fnv.js';
import {
  AcknowledgedCounterGenerator, DiscreteGenerator, HotspotGenerator, type NumberGenerator, ParetoGenerator,
  ScrambledZipfianGenerator, SkewedLatestGenerator, UniformGenerator, ZipfianGenerator,
} from './generators.js';
import type { WorkloadSpec } from './presets.js';
import { STRING_FIELD, type WriteWatcher } from './verify.js';
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


export class Workload {
  readonly ops: OpName[];
  private readonly chooser: DiscreteGenerator<OpName>;
  private readonly keychooser: NumberGenerator;
  readonly insertSequence: AcknowledgedCounterGenerator;
  private readonly scanLength: UniformGenerator;
  private readonly pool: Buffer;

  constructor(readonly spec: WorkloadSpec, private readonly random: Random, private readonly watcher?: WriteWatcher) {
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
    if (spec.preset === 'cache-aside' && !this.ops.includes('SET')) this.ops.push('SET');
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

  /** One write command, reported to --verify before and after (acknowledged or not). */
  private async write(client: KvClient, name: string, key: string, pairs: Array<[string, Buffer]>, tally: OpTally): Promise<void> {
    const w = this.watcher;
    for (const [f] of pairs) w?.begin(key, f);
    let acked = false;
    try {
      const args: Arg[] = [key];
      for (const [f, v] of pairs) (f === STRING_FIELD ? args.push(v) : args.push(f, v));
      await client.call(name, args, tally);
      acked = true;
    } finally {
      for (const [f, v] of pairs) w?.end(key, f, v, acked);
    }
  }

  /** Writes record n (the load phase and INSERT). */
  async writeRecord(client: KvClient, n: number, tally: OpTally): Promise<void> {
    const key = this.keyName(n);
    if (this.spec.kind === 'string') return this.write(client, 'set', key, [[STRING_FIELD, this.value(this.spec.valueSize)]], tally);
    const pairs: Array<[string, Buffer]> = [];
    for (let f = 0; f < this.spec.fieldCount; f++) pairs.push([`field${f}`, this.value(this.spec.fieldLength)]);
    await this.write(client, 'hmset', key, pairs, tally);
    await client.call('zadd', [INDEX_KEY, javaStringHash(key), key], tally);
  }

  private async read(client: KvClient, key: string, tally: OpTally): Promise<Outcome> {
    const reply = (await client.call('hgetall', [key], tally)) as unknown[] | Record<string, unknown>;
    const n = Array.isArray(reply) ? reply.length : Object.keys(reply).length;
    return { hit: n > 0 };
  }

  private async updateOneField(client: KvClient, key: string, tally: OpTally): Promise<void> {
    const field = `field${nextIndex(this.random, this.spec.fieldCount)}`;
    await this.write(client, 'hmset', key, [[field, this.value(this.spec.fieldLength)]], tally);
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
        await this.write(client, 'set', this.keyName(this.nextKeynum()), [[STRING_FIELD, this.value(this.spec.valueSize)]], tally);
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
    await this.write(client, 'set', key, [[STRING_FIELD, this.value(this.spec.valueSize)]], tally);
  }
}
