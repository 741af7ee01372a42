import { globMatch } from './glob.js';
import { InsertionIndex } from './insertion-index.js';
import { keyHashSlot, SLOT_COUNT } from './slot.js';
import { keyBytes, valueBytes, type Value, type ValueType } from './value.js';

export type { Value, ValueType } from './value.js';

/**
 * One database of a cluster node (cluster mode has only db 0).
 *
 * Keys are JS strings holding the key's bytes in latin1 (one char per byte), as the
 * dispatcher makes them with `buf.toString('latin1')`. Beside the main map we keep:
 *
 *   entries  key -> Entry { value, expireAt, slot, seq, bytes, expireIdx }
 *   bySlot   slot -> Set of keys       GETKEYSINSLOT / COUNTKEYSINSLOT / slot deletion in O(keys in slot)
 *   order    seq -> key                SCAN with cursors that survive writes (insertion-index.ts)
 *   expiring dense array of keys with a TTL, for activeExpireCycle's bounded sampling
 *   memory   running total of the estimate in value.ts
 *
 * Expiry is lazy (any read with `now` drops an expired key, like expireIfNeeded) plus
 * activeExpireCycle. Time is always passed in; the keyspace never reads a clock.
 */

interface Entry {
  value: Value;
  /** Absolute ms since the epoch, or undefined for no TTL. */
  expireAt: number | undefined;
  readonly slot: number;
  readonly seq: number;
  /** This key's share of `memory`, kept so deletion subtracts exactly what was added. */
  bytes: number;
  /** Position in `expiring`, -1 without a TTL. */
  expireIdx: number;
}

/** What a write observer sees of an entry: read-only, and never kept past the call. */
export interface EntryView {
  readonly value: Value;
  readonly expireAt: number | undefined;
  /** The key's insertion sequence number: map order is seq order (see snapshotView). */
  readonly seq: number;
}

/**
 * Told before an existing key changes in any way: value replaced, TTL changed, deleted
 * (DEL, expiry, slot deletion), or handed out by get() for a hash or zset, which commands
 * then mutate in place (HashWrite / ZsetWrite). A snapshot in progress uses it to
 * serialise the old value first: copy-on-write at key granularity, where Redis relies
 * on fork() and the kernel's page-level copy-on-write (rdb.c rdbSaveBackground).
 */
export type BeforeWrite = (key: string, e: EntryView) => void;

export interface SetOptions {
  /** Absolute expiry in ms. */
  expireAt?: number;
  /** Keep the key's current TTL (SET KEEPTTL, and in-place updates like INCR or APPEND). */
  keepTtl?: boolean;
}

export interface ExpireCycleResult {
  sampled: number;
  expired: number;
}

/** Keys sampled per round; a round finding at most 10% expired ends the cycle (expire.c). */
const EXPIRE_ROUND = 20;
const ACCEPTABLE_STALE_PERCENT = 10;

export class Keyspace {
  /** Replaced (not cleared) by flush(), so a snapshot walking the old map keeps it intact. */
  private entries = new Map<string, Entry>();
  private readonly observers: BeforeWrite[] = [];
  private changes = 0;
  private readonly bySlot: Array<Set<string> | undefined> = new Array(SLOT_COUNT);
  private readonly order = new InsertionIndex();
  private readonly expiring: string[] = [];
  private expireCursor = 0;
  private memory = 0;

  /** The value, or undefined when missing or expired (an expired key is deleted here). */
  get(key: string, now: number): Value | undefined {
    const e = this.live(key, now);
    // Hashes and zsets are changed in place by whoever gets them; strings are immutable Buffers.
    if (e && this.observers.length > 0 && e.value.type !== 'string') this.notify(key, e);
    return e?.value;
  }

  /**
   * Registers a BeforeWrite; returns the function that removes it. Costs one length check
   * per write while nobody observes.
   */
  observe(fn: BeforeWrite): () => void {
    this.observers.push(fn);
    return () => {
      const i = this.observers.indexOf(fn);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  /**
   * For a snapshot writer: the seq the next new key will get, and a live iterator over
   * the entries in seq order (a Map iterates in insertion order; a key keeps its place and
   * seq while it exists). Entries with seq >= horizon were created after this call. After
   * flush() the iterator goes on over the old, now unreachable, map.
   */
  snapshotView(): { horizon: number; entries: IterableIterator<[string, EntryView]> } {
    return { horizon: this.order.horizon, entries: this.entries.entries() };
  }

  /**
   * Stores a value. The TTL is cleared unless `expireAt` or `keepTtl` says otherwise, as
   * Redis' setKey does. A key that already exists keeps its scan position.
   */
  set(key: string, value: Value, opts: SetOptions = {}): void {
    this.changes++;
    let e = this.entries.get(key);
    if (e && this.observers.length > 0) this.notify(key, e);
    if (!e) {
      const slot = keyHashSlot(key);
      e = { value, expireAt: undefined, slot, seq: this.order.add(key), bytes: 0, expireIdx: -1 };
      this.entries.set(key, e);
      let set = this.bySlot[slot];
      if (!set) this.bySlot[slot] = set = new Set();
      set.add(key);
    }
    e.value = value;
    if (opts.expireAt !== undefined) this.setExpire(key, e, opts.expireAt);
    else if (!opts.keepTtl) this.setExpire(key, e, undefined);
    this.remeasure(key, e);
  }

  /**
   * Loading a snapshot (a replica's full sync, a node's start): adds a key that is not
   * there yet, as set() would, minus what only an existing key needs (observers, the old
   * TTL and size). False, changing nothing, when the key exists: a duplicate in the snapshot.
   */
  load(key: string, value: Value, expireAt: number | undefined): boolean {
    if (this.entries.has(key)) return false;
    this.changes++;
    const slot = keyHashSlot(key);
    const bytes = keyBytes(key, expireAt !== undefined) + valueBytes(value);
    const e: Entry = { value, expireAt: undefined, slot, seq: this.order.add(key), bytes, expireIdx: -1 };
    this.entries.set(key, e);
    let set = this.bySlot[slot];
    if (!set) this.bySlot[slot] = set = new Set();
    set.add(key);
    if (expireAt !== undefined) this.setExpire(key, e, expireAt);
    this.memory += bytes;
    return true;
  }

  /**
   * Removes a key; true when it existed. With `now`, a key that had already expired counts
   * as missing (DEL on an expired key answers 0 in Redis) but is removed all the same.
   */
  delete(key: string, now?: number): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    const expired = now !== undefined && e.expireAt !== undefined && e.expireAt <= now;
    this.remove(key, e);
    return !expired;
  }

  exists(key: string, now: number): boolean {
    return this.live(key, now) !== undefined;
  }

  type(key: string, now: number): ValueType | 'none' {
    return this.live(key, now)?.value.type ?? 'none';
  }

  /** Sets (ms since the epoch) or clears (undefined) a TTL; false if the key is missing. */
  expireAt(key: string, at: number | undefined): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    if (this.observers.length > 0) this.notify(key, e);
    this.changes++;
    this.setExpire(key, e, at);
    this.remeasure(key, e);
    return true;
  }

  /** Absolute expiry in ms: -2 when the key is missing, -1 without a TTL (PEXPIRETIME). */
  expireTimeMs(key: string, now: number): number {
    const e = this.live(key, now);
    if (!e) return -2;
    return e.expireAt ?? -1;
  }

  /** Remaining ms: -2 missing, -1 no TTL, else >= 0 (PTTL). */
  ttlMs(key: string, now: number): number {
    const at = this.expireTimeMs(key, now);
    return at < 0 ? at : Math.max(0, at - now);
  }

  /** Keys stored, including expired ones not yet reclaimed (like DBSIZE). */
  size(): number {
    return this.entries.size;
  }

  get keysWithExpire(): number {
    return this.expiring.length;
  }

  flush(): void {
    this.changes += this.entries.size;
    this.entries = new Map();
    this.bySlot.fill(undefined);
    this.order.clear();
    this.expiring.length = 0;
    this.expireCursor = 0;
    this.memory = 0;
  }

  /**
   * SCAN. `cursor` is "0" to start, then whatever the previous call returned; the scan is
   * over when "0" comes back. Examines up to `count` keys (COUNT is work, not results,
   * as in Redis), then filters by `match` (glob) and `type`. With `now`, expired keys are
   * skipped and reclaimed. Guarantee: a key present for the whole scan is returned exactly
   * once (see insertion-index.ts). A cursor that is not a decimal integer is an error.
   */
  scan(cursor: string, count: number, match?: string, type?: string, now?: number): [string, string[]] {
    if (!/^[0-9]+$/.test(cursor)) throw new RangeError(`invalid scan cursor ${JSON.stringify(cursor)}`);
    const { next, keys } = this.order.walk(Number(cursor), Math.max(1, count));
    const out: string[] = [];
    const expired: string[] = [];
    for (const k of keys) {
      const e = this.entries.get(k)!;
      if (now !== undefined && e.expireAt !== undefined && e.expireAt <= now) {
        expired.push(k);
        continue;
      }
      if (match !== undefined && !globMatch(match, k)) continue;
      if (type !== undefined && e.value.type !== type) continue;
      out.push(k);
    }
    for (const k of expired) this.delete(k); // after walking: the walk must not see the index change
    return [String(next), out];
  }

  /** KEYS: every live key matching the glob. O(n) like Redis. */
  keys(pattern: string, now: number): string[] {
    const out: string[] = [];
    const expired: string[] = [];
    const all = pattern === '*';
    for (const [k, e] of this.entries) {
      if (e.expireAt !== undefined && e.expireAt <= now) expired.push(k);
      else if (all || globMatch(pattern, k)) out.push(k);
    }
    for (const k of expired) this.delete(k);
    return out;
  }

  /** RANDOMKEY: a random live key (expired picks are reclaimed and retried, db.c dbRandomKey). */
  randomKey(now: number): string | undefined {
    for (let tries = 0; tries < 100; tries++) {
      const k = this.order.random();
      if (k === undefined) return undefined;
      if (this.live(k, now)) return k;
    }
    // Mostly expired keys: fall back to a linear pass, which also reclaims them.
    return this.keys('*', now)[0];
  }

  /** Up to `count` keys hashing to `slot`, expired or not (CLUSTER GETKEYSINSLOT). */
  keysInSlot(slot: number, count: number): string[] {
    const out: string[] = [];
    const set = this.bySlot[slot];
    if (!set || count <= 0) return out;
    for (const k of set) {
      out.push(k);
      if (out.length >= count) break;
    }
    return out;
  }

  /** CLUSTER COUNTKEYSINSLOT. */
  countInSlot(slot: number): number {
    return this.bySlot[slot]?.size ?? 0;
  }

  /** Drops every key of a slot (cluster.c delKeysInSlot); returns how many. */
  deleteSlot(slot: number): number {
    const set = this.bySlot[slot];
    if (!set) return 0;
    const keys = [...set];
    for (const k of keys) this.remove(k, this.entries.get(k)!);
    return keys.length;
  }

  /**
   * expire.c activeExpireCycle, bounded: looks at up to `budget` keys that have a TTL,
   * in rounds of 20, resuming where the previous call stopped (Redis 6+ walks the expires
   * dict with a cursor too). Stops early after a round where at most 10% had expired.
   */
  activeExpireCycle(now: number, budget = 200): ExpireCycleResult {
    let sampled = 0;
    let expired = 0;
    while (sampled < budget && this.expiring.length > 0) {
      const round = Math.min(EXPIRE_ROUND, budget - sampled, this.expiring.length);
      let roundExpired = 0;
      for (let i = 0; i < round && this.expiring.length > 0; i++) {
        if (this.expireCursor >= this.expiring.length) this.expireCursor = 0;
        const key = this.expiring[this.expireCursor];
        const e = this.entries.get(key)!;
        sampled++;
        if (e.expireAt! <= now) {
          this.remove(key, e); // the last key moves into this position: look at it next
          roundExpired++;
        } else {
          this.expireCursor++;
        }
      }
      expired += roundExpired;
      if (roundExpired * 100 <= round * ACCEPTABLE_STALE_PERCENT) break;
    }
    return { sampled, expired };
  }

  /**
   * Key changes since this keyspace was made (Redis' server.dirty): sets, TTL changes,
   * in-place hash/zset changes reported through adjustMemory, deletions and expiries.
   * INFO's rdb_changes_since_last_save is this minus its value when the last save began.
   */
  get dirty(): number {
    return this.changes;
  }

  /** The estimate of value.ts, summed over all keys; O(1). */
  usedMemoryBytes(): number {
    return this.memory;
  }

  /**
   * For commands that change a hash or a sorted set in place: the value's size changed by
   * `delta` bytes (value.ts hashFieldBytes / zsetBytes). Strings are always replaced via set().
   */
  adjustMemory(key: string, delta: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.changes++; // an in-place change, even one that keeps the size
    if (delta === 0) return;
    e.bytes += delta;
    this.memory += delta;
  }

  /** The estimate recomputed from scratch, O(data); tests compare it with usedMemoryBytes(). */
  recomputeMemoryBytes(): number {
    let n = 0;
    for (const [k, e] of this.entries) n += keyBytes(k, e.expireAt !== undefined) + valueBytes(e.value);
    return n;
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expireAt !== undefined && e.expireAt <= now) {
      this.remove(key, e);
      return undefined;
    }
    return e;
  }

  private remeasure(key: string, e: Entry): void {
    const bytes = keyBytes(key, e.expireAt !== undefined) + valueBytes(e.value);
    this.memory += bytes - e.bytes;
    e.bytes = bytes;
  }

  private setExpire(key: string, e: Entry, at: number | undefined): void {
    e.expireAt = at;
    if (at !== undefined && e.expireIdx < 0) {
      e.expireIdx = this.expiring.length;
      this.expiring.push(key);
    } else if (at === undefined && e.expireIdx >= 0) {
      this.dropExpiring(e);
    }
  }

  /** Swap-remove from the dense `expiring` array. */
  private dropExpiring(e: Entry): void {
    const idx = e.expireIdx;
    const last = this.expiring.pop()!;
    if (idx < this.expiring.length) {
      this.expiring[idx] = last;
      this.entries.get(last)!.expireIdx = idx;
    }
    e.expireIdx = -1;
  }

  private notify(key: string, e: Entry): void {
    for (const fn of this.observers) fn(key, e);
  }

  private remove(key: string, e: Entry): void {
    if (this.observers.length > 0) this.notify(key, e);
    this.changes++;
    if (e.expireIdx >= 0) this.dropExpiring(e);
    this.entries.delete(key);
    const set = this.bySlot[e.slot]!;
    set.delete(key);
    if (set.size === 0) this.bySlot[e.slot] = undefined;
    this.order.remove(e.seq);
    this.memory -= e.bytes;
  }
}
