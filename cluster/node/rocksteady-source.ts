import { type Reply, NIL, array, bulk, err, int } from '../resp/reply.js';
import { dumpValue } from '../store/dump.js';
import type { Keyspace } from '../store/keyspace.js';
import type { ClusterNode } from '../topology/cluster-node.js';
import { isMaster } from '../topology/cluster-node.js';
import type { ClusterState } from '../topology/state.js';

/**
 * The source side of a Rocksteady migration (kvnetlab-only; Redis has no equivalent).
 *
 * Ownership moves first: HANDOFF assigns the slots to the destination in this node's
 * own table, so from that instant every client command on them gets -MOVED dest, and
 * no write can be acknowledged here after the destination has pulled its key. Redis'
 * CLUSTER SETSLOT NODE refuses this while the slot holds keys (cluster.c "Can't assign
 * hashslot ... while I still hold keys"), and clusterUpdateSlotsConfigWith would delete
 * them once the destination's claim arrives on the bus ("dirty slots"). Here the keys
 * are *retained*: kept, unserved, for the destination's pulls, and the bus leaves them
 * alone (`retains()`, asked by the node's deleteKeysInSlot) until
 *   RELEASE  the migration is complete: the copies go (DELs to the replicas), or
 *   RECLAIM  it was aborted: the slots come back here with a fresh config epoch
 *            (clusterBumpConfigEpochWithoutConsensus, as SETSLOT NODE after an import)
 *            and a PONG to everyone, so this claim beats the destination's.
 *
 *   owned ──HANDOFF──> retained ──RELEASE──> gone
 *                          └─────RECLAIM──> owned
 */
export interface SourceDeps {
  db: Keyspace;
  cluster: ClusterState;
  now(): number;
  /** nodes.conf after an ownership change (clusterSaveConfigOrDie). */
  saveClusterConfig(): void;
  /** Claim with a fresh epoch and tell every node (SETSLOT NODE after an import does both). */
  claim(): void;
  /** One command into the replication stream (the DELs of RELEASE). */
  propagate(args: Buffer[]): void;
  log(line: string): void;
}

/** Entries of a pull: `key, pttl, DUMP payload` per key; pttl -1 without expiry, -2 (and nil) when the key is gone. */
export function pulledEntries(db: Keyspace, keys: string[], now: number): Reply[] {
  const out: Reply[] = [];
  for (const key of keys) {
    const value = db.get(key, now);
    out.push(bulk(Buffer.from(key, 'latin1')));
    if (!value) {
      out.push(int(-2), NIL);
      continue;
    }
    out.push(int(db.ttlMs(key, now)), bulk(dumpValue(value)));
  }
  return out;
}

export class RocksteadySource {
  /** slot -> the destination it was handed to. */
  private readonly retained = new Map<number, string>();
  /** slot -> its key names when the first pull of it began (cursor = index into it). */
  private readonly frozen = new Map<number, string[]>();

  constructor(private readonly deps: SourceDeps) {}

  retains(slot: number): boolean {
    return this.retained.has(slot);
  }

  get retainedSlots(): number {
    return this.retained.size;
  }

  handOff(dest: ClusterNode | undefined, slots: number[]): Reply {
    const { cluster } = this.deps;
    const me = cluster.myself;
    if (!isMaster(me)) return err('ERR Please use KVNETLAB.PULL-SOURCE only with masters.');
    if (!dest) return err('ERR Unknown node');
    if (dest === me || !isMaster(dest)) return err('ERR Target node is not another master');
    for (const s of slots) {
      if (cluster.slots[s] !== me) return err(`ERR I'm not the owner of hash slot ${s}`);
      if (cluster.migrating.has(s) || cluster.importing.has(s)) return err(`ERR Hash slot ${s} is migrating or importing`);
    }
    for (const s of slots) {
      this.retained.set(s, dest.name);
      cluster.unassignSlot(s);
      cluster.assignSlot(s, dest);
    }
    cluster.updateHealth();
    this.deps.saveClusterConfig();
    this.deps.log(`rocksteady: ${slots.length} slot(s) handed off to ${dest.name.slice(0, 12)}, keys retained for pulls`);
    return int(slots.reduce((n, s) => n + this.deps.db.countInSlot(s), 0));
  }

  /** Aborted: the slots are ours again (the keys never left). */
  reclaim(slots: number[]): Reply {
    const { cluster } = this.deps;
    const me = cluster.myself;
    for (const s of slots) if (!this.retained.has(s) && cluster.slots[s] !== me) return err(`ERR Hash slot ${s} is not retained here`);
    for (const s of slots) {
      this.retained.delete(s);
      this.frozen.delete(s);
      cluster.unassignSlot(s);
      cluster.assignSlot(s, me);
    }
    this.deps.claim();
    cluster.updateHealth();
    this.deps.saveClusterConfig();
    this.deps.log(`rocksteady: ${slots.length} slot(s) reclaimed`);
    return int(slots.length);
  }

  /** Complete: the retained copies are deleted here and at the replicas. */
  release(slots: number[]): Reply {
    let deleted = 0;
    for (const s of slots) {
      if (!this.retained.has(s)) continue;
      const keys = this.deps.db.keysInSlot(s, Number.MAX_SAFE_INTEGER);
      for (const k of keys) this.deps.db.delete(k);
      if (keys.length) this.deps.propagate([Buffer.from('DEL'), ...keys.map((k) => Buffer.from(k, 'latin1'))]);
      deleted += keys.length;
      this.retained.delete(s);
      this.frozen.delete(s);
    }
    return int(deleted);
  }

  /**
   * Up to `count` keys of `slot` from `cursor` on: [next cursor (0 at the end), entries].
   * The key list is frozen at cursor 0: a retained slot gets no new keys (nobody is
   * served here), and an index into a fixed list skips nothing when one expires.
   */
  pull(slot: number, cursor: number, count: number): Reply {
    let keys = this.frozen.get(slot);
    if (cursor === 0 || !keys) {
      keys = this.deps.db.keysInSlot(slot, Number.MAX_SAFE_INTEGER);
      this.frozen.set(slot, keys);
    }
    const page = keys.slice(cursor, cursor + count);
    const next = cursor + page.length >= keys.length ? 0 : cursor + page.length;
    if (next === 0) this.frozen.delete(slot);
    return array([int(next), array(pulledEntries(this.deps.db, page, this.deps.now()))]);
  }

  pullKeys(keys: string[]): Reply {
    return array(pulledEntries(this.deps.db, keys, this.deps.now()));
  }
}
