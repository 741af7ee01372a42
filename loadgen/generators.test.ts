import { describe, expect, it } from 'vitest';
import { fnvhash64, javaStringHash, ycsbKey } from './fnv.js';
import {
  AcknowledgedCounterGenerator, CounterGenerator, HotspotGenerator, ParetoGenerator, ScrambledZipfianGenerator,
  SkewedLatestGenerator, UniformGenerator, ZipfianGenerator, zetastatic,
} from './generators.js';
import { seededRandom } from './random.js';

/*
 * Tolerances, stated once:
 *  - chi-square against the distribution the generator defines (Gray et al.'s method
 *    inverted exactly, below), rejected at p = 0.001 (Wilson-Hilferty critical value);
 *  - Kolmogorov-Smirnov distance to the pure Zipf(0.99) law <= 0.03: Gray's method is an
 *    approximation of Zipf (exact for items 0 and 1, close in the tail), so we bound it.
 * Seeds are fixed, so these tests repeat exactly.
 */
const THETA = 0.99;
const N = 200_000;

function chiSquareCritical(df: number, z = 3.0902): number {
  const a = 2 / (9 * df);
  return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
}

/** P(X <= k) for ZipfianGenerator.nextLong(items) as YCSB computes it (u uniform in [0,1)). */
function grayCdf(items: number, k: number): number {
  const zetan = zetastatic(0, items, THETA, 0);
  const eta = (1 - Math.pow(2 / items, 1 - THETA)) / (1 - zetastatic(0, 2, THETA, 0) / zetan);
  const p0 = 1 / zetan;
  const p01 = (1 + Math.pow(0.5, THETA)) / zetan;
  if (k === 0) return p0;
  const formula = 1 + (Math.pow((k + 1) / items, 1 - THETA) - 1) / eta;
  return Math.min(1, Math.max(p01, formula));
}

function chiSquare(counts: number[], draws: number, cdf: (k: number) => number): { chi: number; df: number } {
  let chi = 0;
  let df = -1;
  let prev = 0;
  for (let k = 0; k < counts.length; k++) {
    const p = cdf(k) - prev;
    prev = cdf(k);
    const e = p * draws;
    if (e < 5) continue; // the usual validity rule for a chi-square cell
    chi += (counts[k]! - e) ** 2 / e;
    df++;
  }
  return { chi, df };
}

describe('loadgen generators', () => {
  it('fnv64 keys match YCSB (user6284781860667377211 is keynum 0) and keep Java long semantics', () => {
    expect(ycsbKey(0)).toBe('user6284781860667377211');
    expect(fnvhash64(-1) >= 0n).toBe(true);
    expect(fnvhash64(10_000_000_000_000_000) < 1n << 63n).toBe(true);
    // "user1".hashCode() = ((((117*31+115)*31+101)*31+114)*31+49) = 111578566, no overflow yet;
    // a long key must wrap like Java's int: compare with BigInt arithmetic mod 2^32.
    expect(javaStringHash('user1')).toBe(111578566);
    const long = ycsbKey(12345);
    let ref = 0n;
    for (const ch of long) ref = BigInt.asIntN(32, ref * 31n + BigInt(ch.charCodeAt(0)));
    expect(javaStringHash(long)).toBe(Number(ref));
  });

  it('every generator repeats its sequence exactly for the same seed and differs for another', () => {
    const draw = (seed: number) => {
      const r = seededRandom(seed);
      const basis = new CounterGenerator(0);
      for (let i = 0; i < 1000; i++) basis.next();
      const gens = [
        new ZipfianGenerator(r, 0, 999), new ScrambledZipfianGenerator(r, 0, 999), new SkewedLatestGenerator(r, basis),
        new UniformGenerator(r, 0, 999), new HotspotGenerator(r, 0, 999, 0.2, 0.8), new ParetoGenerator(r, 1000),
      ];
      const out: number[] = [];
      for (let i = 0; i < 500; i++) for (const g of gens) out.push(g.next());
      return out;
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('zipfian frequencies fit Gray et al. (chi-square, p=0.001) and Zipf(0.99) within KS 0.03', () => {
    const items = 100;
    const z = new ZipfianGenerator(seededRandom(7), 0, items - 1);
    const counts = new Array<number>(items).fill(0);
    for (let i = 0; i < N; i++) counts[z.next()]!++;
    const { chi, df } = chiSquare(counts, N, (k) => grayCdf(items, k));
    expect(chi).toBeLessThan(chiSquareCritical(df));
    const zeta = zetastatic(0, items, THETA, 0);
    let ks = 0, fe = 0, ft = 0;
    for (let k = 0; k < items; k++) {
      fe += counts[k]! / N;
      ft += 1 / Math.pow(k + 1, THETA) / zeta;
      ks = Math.max(ks, Math.abs(fe - ft));
    }
    expect(ks).toBeLessThan(0.03);
    expect(counts[0]! / N).toBeCloseTo(1 / zeta, 2); // item 0 is exact in Gray's method
  });

  it('skewed latest favours the newest records with the zipfian distance law (chi-square, p=0.001)', () => {
    const basis = new CounterGenerator(0);
    for (let i = 0; i < 100; i++) basis.next(); // last() = 99
    const latest = new SkewedLatestGenerator(seededRandom(5), basis);
    const items = basis.last();
    const counts = new Array<number>(items + 1).fill(0);
    for (let i = 0; i < N; i++) counts[basis.last() - latest.next()]!++;
    const { chi, df } = chiSquare(counts, N, (k) => grayCdf(items, k));
    expect(chi).toBeLessThan(chiSquareCritical(df));
    expect(counts[0]).toBeGreaterThan(counts[50]! * 20); // newest >> middle-aged
  });

  it('scrambled zipfian covers the whole key space and scatters the head', () => {
    const s = new ScrambledZipfianGenerator(seededRandom(3), 0, 999);
    const counts = new Array<number>(1000).fill(0);
    for (let i = 0; i < 100_000; i++) counts[s.next()]!++;
    expect(counts.every((c) => c > 0)).toBe(true);
    const top = counts.map((c, k) => [c, k] as const).sort((a, b) => b[0] - a[0]).slice(0, 10).map(([, k]) => k);
    expect(Math.max(...top) - Math.min(...top)).toBeGreaterThan(100); // not clustered at 0..9
  });

  it('hotspot sends the stated fraction of draws to the hot set', () => {
    const h = new HotspotGenerator(seededRandom(11), 0, 999, 0.2, 0.8);
    let hot = 0;
    for (let i = 0; i < N; i++) if (h.next() < 200) hot++;
    expect(Math.abs(hot / N - 0.8)).toBeLessThan(0.005); // binomial sd is 0.0009
  });

  it('pareto 80/20: the hottest 20 % of 200,000 keys get 80 % of the draws', () => {
    const p = new ParetoGenerator(seededRandom(9), 200_000);
    let hot = 0;
    for (let i = 0; i < N; i++) if (p.next() < 40_000) hot++;
    expect(Math.abs(hot / N - 0.8)).toBeLessThan(0.005);
  });

  it('acknowledged counter exposes only a contiguous acknowledged prefix', () => {
    const c = new AcknowledgedCounterGenerator(10);
    expect(c.last()).toBe(9);
    const a = c.next();
    const b = c.next();
    c.acknowledge(b);
    expect(c.last()).toBe(9); // 10 still in flight
    c.acknowledge(a);
    expect(c.last()).toBe(11);
  });
});
