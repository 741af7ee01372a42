/**
 * YCSB's key hashing (site.ycsb.Utils.fnvhash64): FNV-1a over the 8 little-end bytes of a
 * Java long, then Math.abs. Java's arithmetic is 64-bit two's complement, so this works in
 * BigInt.asIntN(64, ...) to get the same wrap-around and the same Math.abs(Long.MIN_VALUE)
 * quirk (it stays negative).
 */
const OFFSET_BASIS_64 = BigInt.asIntN(64, 0xcbf29ce484222325n);
const PRIME_64 = 1099511628211n;

export function fnvhash64(value: number | bigint): bigint {
  let val = BigInt.asIntN(64, BigInt(value));
  let hash = OFFSET_BASIS_64;
  for (let i = 0; i < 8; i++) {
    const octet = val & 0xffn;
    val >>= 8n; // arithmetic shift, like Java's >>
    hash = BigInt.asIntN(64, (hash ^ octet) * PRIME_64);
  }
  return hash < 0n && hash !== -(1n << 63n) ? -hash : hash;
}

/** CoreWorkload.buildKeyName with orderedinserts=false and zeropadding=1: `user<fnv64(n)>`. */
export function ycsbKey(keynum: number): string {
  return `user${fnvhash64(keynum)}`;
}

/** Java's String.hashCode: the score the Redis binding gives a key in its `_indices` zset. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
