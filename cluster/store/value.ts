import type { SortedSet } from './sorted-set.js';

/**
 * The values a key can hold. Strings are raw bytes; hash fields and zset members are
 * latin1 JS strings (one char per byte, so binary safe and ordered like memcmp).
 */
export type Value =
  | { type: 'string'; value: Buffer }
  | { type: 'hash'; value: Map<string, Buffer> }
  | { type: 'zset'; value: SortedSet };

export type ValueType = Value['type'];

interface ValueMap {
  string: Buffer;
  hash: Map<string, Buffer>;
  zset: SortedSet;
}

/** The payload type for a given type name: ValueOf<'hash'> is Map<string, Buffer>. */
export type ValueOf<T extends ValueType> = ValueMap[T];

/**
 * Memory estimate, in bytes. Not a measurement of the V8 heap: a stable, documented
 * formula in the spirit of Redis' used_memory, cheap enough to keep up to date on every
 * write (Keyspace keeps the running total; see Keyspace.usedMemoryBytes).
 *
 *   key       = KEY_OVERHEAD + key length (+ EXPIRE_OVERHEAD when it has a TTL)
 *   string    = STRING_OVERHEAD + byte length
 *   hash      = HASH_OVERHEAD + sum over fields of (FIELD_OVERHEAD + field length + value length)
 *   zset      = ZSET_OVERHEAD + card * MEMBER_OVERHEAD + sum of member lengths
 *
 * The overheads approximate Redis on 64-bit: a dict entry (24) + robj (16) + sds header
 * and allocator rounding for a key; a skiplist node plus dict entry plus score per member.
 */
export const MEMORY = {
  KEY_OVERHEAD: 56,
  EXPIRE_OVERHEAD: 32,
  STRING_OVERHEAD: 16,
  HASH_OVERHEAD: 48,
  FIELD_OVERHEAD: 40,
  ZSET_OVERHEAD: 64,
  MEMBER_OVERHEAD: 64,
} as const;

export function hashFieldBytes(field: string, value: Buffer): number {
  return MEMORY.FIELD_OVERHEAD + field.length + value.length;
}

/** O(1) for strings and zsets, O(fields) for hashes. */
export function valueBytes(v: Value): number {
  switch (v.type) {
    case 'string':
      return MEMORY.STRING_OVERHEAD + v.value.length;
    case 'hash': {
      let n = MEMORY.HASH_OVERHEAD;
      for (const [f, val] of v.value) n += hashFieldBytes(f, val);
      return n;
    }
    case 'zset':
      return zsetBytes(v.value);
  }
}

export function zsetBytes(z: SortedSet): number {
  return MEMORY.ZSET_OVERHEAD + z.card * MEMORY.MEMBER_OVERHEAD + z.memberBytes;
}

export function keyBytes(key: string, hasTtl: boolean): number {
  return MEMORY.KEY_OVERHEAD + key.length + (hasTtl ? MEMORY.EXPIRE_OVERHEAD : 0);
}
