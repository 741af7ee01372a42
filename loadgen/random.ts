/**
 * The load generator's one source of chance. YCSB seeds java.util.Random per thread; we
 * need the same property (a fixed seed repeats the run exactly) in one JS thread, so every
 * generator takes a `Random` and nothing calls Math.random().
 */
export interface Random {
  /** Uniform in [0, 1) with 53 bits of resolution (like java.util.Random.nextDouble). */
  nextDouble(): number;
}

/**
 * sfc32 (Chris Doty-Humphrey's small fast counter), two 32-bit outputs per double. 53 bits
 * matter: the scrambled zipfian draws ranks up to 1e16 and a 32-bit u would leave gaps.
 */
export function seededRandom(seed: number): Random {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next32 = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return r >>> 0;
  };
  // Seeds that differ in one bit must not start correlated: discard the warm-up outputs.
  for (let i = 0; i < 15; i++) next32();
  return {
    nextDouble: () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992,
  };
}

/** A uniform integer in [0, n). */
export function nextIndex(random: Random, n: number): number {
  return Math.floor(random.nextDouble() * n);
}
