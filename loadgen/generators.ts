import { fnvhash64 } from './fnv.js';
import { type Random, nextIndex } from './random.js';

/**
 * YCSB's number generators (core/src/main/java/site/ycsb/generator/*.java), same formulas,
 * same constants, same order of random draws, with an explicit Random instead of a
 * ThreadLocal one. Java longs become JS numbers: every value here stays below 2^53 except
 * the scrambled zipfian's internal rank (up to 1e16), which is an integer-valued double in
 * Java too ((long) of a double product) and is hashed through BigInt.
 */
export interface NumberGenerator {
  next(): number;
  /** The value most recently returned (or, for the acknowledged counter, the highest acknowledged). */
  last(): number;
}

/** CounterGenerator: countstart, countstart+1, ... */
export class CounterGenerator implements NumberGenerator {
  protected counter: number;
  constructor(countstart: number) {
    this.counter = countstart;
  }
  next(): number {
    return this.counter++;
  }
  last(): number {
    return this.counter - 1;
  }
}

/**
 * AcknowledgedCounterGenerator: last() is the highest value below which every generated
 * value has been acknowledged, so readers never pick a key whose insert is still in flight.
 * The window is YCSB's 2^20 ring of flags.
 */
export class AcknowledgedCounterGenerator extends CounterGenerator {
  static readonly WINDOW_SIZE = 1 << 20;
  private readonly window = new Uint8Array(AcknowledgedCounterGenerator.WINDOW_SIZE);
  private limit: number;
  constructor(countstart: number) {
    super(countstart);
    this.limit = countstart - 1;
  }
  override last(): number {
    return this.limit;
  }
  acknowledge(value: number): void {
    const mask = AcknowledgedCounterGenerator.WINDOW_SIZE - 1;
    const slot = value & mask;
    if (this.window[slot]) throw new Error('Too many unacknowledged insertion keys.');
    this.window[slot] = 1;
    const beforeFirstSlot = this.limit & mask;
    let index: number;
    for (index = this.limit + 1; (index & mask) !== beforeFirstSlot; ++index) {
      const s = index & mask;
      if (!this.window[s]) break;
      this.window[s] = 0;
    }
    this.limit = index - 1;
  }
}

/** UniformLongGenerator: lb + |nextLong| % interval, i.e. uniform over [lb, ub]. */
export class UniformGenerator implements NumberGenerator {
  private value = 0;
  constructor(private readonly random: Random, private readonly lb: number, private readonly ub: number) {}
  next(): number {
    this.value = this.lb + nextIndex(this.random, this.ub - this.lb + 1);
    return this.value;
  }
  last(): number {
    return this.value;
  }
}

export const ZIPFIAN_CONSTANT = 0.99;

export function zetastatic(st: number, n: number, theta: number, initialsum: number): number {
  let sum = initialsum;
  for (let i = st; i < n; i++) sum += 1 / Math.pow(i + 1, theta);
  return sum;
}

/**
 * ZipfianGenerator, Gray et al., "Quickly Generating Billion-Record Synthetic Databases"
 * (SIGMOD 1994). Item `min` is the most popular, min+1 the next, ... Growing the item
 * count recomputes zeta incrementally; like YCSB, eta keeps using the constructor's item
 * count (ZipfianGenerator.nextLong), a quirk kept so sequences match.
 */
export class ZipfianGenerator implements NumberGenerator {
  private readonly items: number;
  private readonly base: number;
  private readonly theta: number;
  private readonly zeta2theta: number;
  private readonly alpha: number;
  private zetan: number;
  private eta: number;
  private countforzeta: number;
  private value = 0;

  constructor(private readonly random: Random, min: number, max: number, theta = ZIPFIAN_CONSTANT, zetan?: number) {
    this.items = max - min + 1;
    this.base = min;
    this.theta = theta;
    this.zeta2theta = zetastatic(0, 2, theta, 0);
    this.alpha = 1 / (1 - theta);
    this.zetan = zetan ?? zetastatic(0, this.items, theta, 0);
    this.countforzeta = this.items;
    this.eta = (1 - Math.pow(2 / this.items, 1 - theta)) / (1 - this.zeta2theta / this.zetan);
    this.next();
  }

  nextLong(itemcount: number): number {
    if (itemcount > this.countforzeta) {
      this.zetan = zetastatic(this.countforzeta, itemcount, this.theta, this.zetan);
      this.countforzeta = itemcount;
      this.eta = (1 - Math.pow(2 / this.items, 1 - this.theta)) / (1 - this.zeta2theta / this.zetan);
    }
    const u = this.random.nextDouble();
    const uz = u * this.zetan;
    if (uz < 1) return this.base;
    if (uz < 1 + Math.pow(0.5, this.theta)) return this.base + 1;
    this.value = this.base + Math.floor(itemcount * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    return this.value;
  }
  next(): number {
    return this.nextLong(this.items);
  }
  last(): number {
    return this.value;
  }
}

/**
 * ScrambledZipfianGenerator: a zipfian over 1e16 ranks (zeta precomputed by YCSB as
 * 26.46902820178302 for theta 0.99), each rank hashed with fnv64 into [min, max], so the
 * popular items are scattered over the key space instead of clustered at `min`.
 */
export class ScrambledZipfianGenerator implements NumberGenerator {
  static readonly ZETAN = 26.46902820178302;
  static readonly ITEM_COUNT = 10_000_000_000_000_000;
  private readonly gen: ZipfianGenerator;
  private readonly itemcount: bigint;
  private value = 0;
  constructor(random: Random, private readonly min: number, max: number) {
    this.itemcount = BigInt(max - min + 1);
    this.gen = new ZipfianGenerator(random, 0, ScrambledZipfianGenerator.ITEM_COUNT, ZIPFIAN_CONSTANT, ScrambledZipfianGenerator.ZETAN);
  }
  next(): number {
    const rank = this.gen.next();
    // Java's % keeps the dividend's sign; fnvhash64 is >= 0 except for Long.MIN_VALUE.
    this.value = this.min + Number(fnvhash64(rank) % this.itemcount);
    return this.value;
  }
  last(): number {
    return this.value;
  }
}

/** SkewedLatestGenerator: zipfian distance back from the latest acknowledged insert. */
export class SkewedLatestGenerator implements NumberGenerator {
  private readonly zipfian: ZipfianGenerator;
  private value = 0;
  constructor(random: Random, private readonly basis: NumberGenerator) {
    this.zipfian = new ZipfianGenerator(random, 0, basis.last() - 1);
    this.next();
  }
  next(): number {
    const max = this.basis.last();
    this.value = max - this.zipfian.nextLong(max);
    return this.value;
  }
  last(): number {
    return this.value;
  }
}

/** HotspotIntegerGenerator: hotOpnFraction of draws go uniformly to the lowest hotsetFraction of [lb, ub]. */
export class HotspotGenerator implements NumberGenerator {
  private readonly hotInterval: number;
  private readonly coldInterval: number;
  private value = 0;
  constructor(private readonly random: Random, private readonly lb: number, ub: number, hotsetFraction: number, private readonly hotOpnFraction: number) {
    const interval = ub - lb + 1;
    this.hotInterval = Math.trunc(interval * hotsetFraction);
    this.coldInterval = interval - this.hotInterval;
  }
  next(): number {
    if (this.random.nextDouble() < this.hotOpnFraction) this.value = this.lb + nextIndex(this.random, this.hotInterval);
    else this.value = this.lb + this.hotInterval + nextIndex(this.random, this.coldInterval);
    return this.value;
  }
  last(): number {
    return this.value;
  }
}

/**
 * Pareto 80/20 over ranks 0..n-1 (not a YCSB generator: the cache-aside preset's access
 * pattern). Key r gets the weight ((r + 0.5) / n)^-e, the Pareto quantile at its rank
 * (Lorenz-curve reading of the 80/20 rule: the hottest 20 % of the keys draw 80 % of the
 * accesses). For an infinite population e = 1/alpha with alpha = log4(5); for a finite
 * one e is solved so that the hot share is exactly `hotOpn`. Draws invert the cumulative
 * weights by binary search.
 */
export class ParetoGenerator implements NumberGenerator {
  readonly exponent: number;
  private readonly cumulative: Float64Array;
  private value = 0;
  constructor(private readonly random: Random, n: number, hotSet = 0.2, hotOpn = 0.8) {
    this.exponent = solveExponent(n, hotSet, hotOpn);
    this.cumulative = paretoCumulative(n, this.exponent);
  }
  next(): number {
    const c = this.cumulative;
    const target = this.random.nextDouble() * c[c.length - 1]!;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    this.value = lo;
    return lo;
  }
  last(): number {
    return this.value;
  }
}

function paretoCumulative(n: number, e: number): Float64Array {
  const c = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) c[r] = sum += Math.pow((r + 0.5) / n, -e);
  return c;
}

/** The share of all weight held by the lowest `hotSet` fraction of the ranks. */
export function paretoHotShare(n: number, e: number, hotSet: number): number {
  const c = paretoCumulative(n, e);
  const edge = Math.max(1, Math.round(hotSet * n));
  return c[edge - 1]! / c[n - 1]!;
}

function solveExponent(n: number, hotSet: number, hotOpn: number): number {
  let lo = 0;
  let hi = 0.999;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (paretoHotShare(n, mid, hotSet) < hotOpn) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** DiscreteGenerator: picks one of several values with the given weights (YCSB's operation chooser). */
export class DiscreteGenerator<T> {
  private readonly values: Array<{ weight: number; value: T }>;
  private readonly sum: number;
  constructor(private readonly random: Random, values: Array<{ weight: number; value: T }>) {
    this.values = values.filter((v) => v.weight > 0);
    this.sum = this.values.reduce((s, v) => s + v.weight, 0);
  }
  next(): T {
    let val = this.random.nextDouble();
    for (const { weight, value } of this.values) {
      if (val < weight / this.sum) return value;
      val -= weight / this.sum;
    }
    return this.values[this.values.length - 1]!.value;
  }
}
