import { type Cluster, Command, type Redis } from 'ioredis';
import { keyHashSlot } from '../cluster/store/slot.js';
import type { GroupTable } from './group-state.js';
import type { KvClient } from './versioned-workload.js';

/**
 * Fulva's client side (DESIGN.md "Migration protocols": "writes go to the destination;
 * the client tracks migrated ranges; reads of keys not yet migrated go to both, the
 * higher version wins"). The other protocols run on the cluster alone: `source` in the
 * source node, `rocksteady` in the destination node, `proxy` in the source's proxy.
 *
 * "The destination's value wins" is Fulva's higher version: the copy never overwrites
 * (RESTORE without REPLACE), so a value at the destination is at least as new as the
 * source's. Deletes are not routed (the workloads here only SET and GET).
 */
export interface RouterCounters {
  /** Reads sent to both nodes (the second one is extra client traffic). */
  duplicateReads: number;
}

export class MigrationRouter {
  active = false;
  readonly counters: RouterCounters = { duplicateReads: 0 };
  /** Slots the destination owns already (SETSLOT NODE done): plain commands, no ASKING. */
  readonly handedOver = new Set<number>();
  /** Operations sent to the source for a moving slot and not answered yet. */
  private readonly inflight = new Set<{ slot: number; done: Promise<unknown> }>();

  constructor(
    readonly groups: GroupTable,
    /** The destination, for ASKING reads/writes (client traffic). */
    private readonly dest: Redis,
  ) {}

  /**
   * Resolves once every operation sent to the source for `slot` (or any moving slot)
   * before this call has been answered; later ones are not waited for, so a busy slot
   * cannot starve the migration.
   */
  async drain(slot?: number): Promise<void> {
    await Promise.allSettled([...this.inflight].filter((o) => slot === undefined || o.slot === slot).map((o) => o.done));
  }

  /** A KvClient that routes through this router, else through `base` (ioredis Cluster). */
  client(base: Cluster | KvClient): KvClient {
    return {
      get: (key) => this.read(key, () => base.get(key), (asking) => this.destCall('get', [key], asking) as Promise<string | null>),
      set: (key, value) => this.write(key, () => base.set(key, value), (asking) => this.destCall('set', [key, value], asking)),
    };
  }

  /**
   * A read of `key`: through `viaBase` (the cluster client) when the key is not moving;
   * of a migrated group at the destination only; else at both, the destination's value
   * winning unless missing (null, or an empty array for HGETALL). `atDest(asking)` runs
   * the same command on the destination (ASKING first while the group is not handed over).
   */
  async read<T>(key: string, viaBase: () => Promise<T>, atDest: (asking: boolean) => Promise<T>): Promise<T> {
    const slot = keyHashSlot(key);
    if (!this.active || this.groups.stateOf(slot) === undefined) return viaBase();
    if (this.groups.stateOf(slot) === 'migrated') return atDest(this.asking(slot));
    this.counters.duplicateReads++;
    const [atSource, atDestination] = await Promise.all([this.viaSource(slot, viaBase), atDest(true)]);
    return isMissing(atDestination) ? atSource : atDestination;
  }

  /**
   * A write of `key` that replaces its whole value (SET), at the destination: a partial
   * update (HSET of one field) there before the copy would make the copy skip the key and
   * lose the other fields, so only whole-value writes may be routed.
   */
  async write<T>(key: string, viaBase: () => Promise<T>, atDest: (asking: boolean) => Promise<T>): Promise<T> {
    const slot = keyHashSlot(key);
    if (!this.active || this.groups.stateOf(slot) === undefined) return viaBase();
    return atDest(this.asking(slot));
  }

  /** ASKING until the destination owns the slot (an importing node serves only ASKING clients). */
  private asking(slot: number): boolean {
    return !this.handedOver.has(slot);
  }

  /** One command on the destination, raw replies; ASKING first when the group is not handed over yet. */
  destCall(name: string, args: Array<string | Buffer | number>, asking: boolean, raw = false): Promise<unknown> {
    return sendOn(this.dest, name, args, asking, raw);
  }

  private async viaSource<T>(slot: number, fn: () => Promise<T>): Promise<T> {
    const done = fn();
    const op = { slot, done };
    this.inflight.add(op);
    try {
      return await done;
    } finally {
      this.inflight.delete(op);
    }
  }
}

/** A Fulva client with its own connection to the destination (its reads and writes there are client traffic). */
export async function connectRouter(groups: GroupTable, dest: { host: string; port: number }): Promise<{ router: MigrationRouter; close(): void }> {
  const { Redis } = await import('ioredis');
  const direct = new Redis({ host: dest.host, port: dest.port, enableReadyCheck: false, maxRetriesPerRequest: 2, connectTimeout: 2000 });
  // A destination that dies fails the operations routed to it; the connection's own error events are not news.
  direct.on('error', () => undefined);
  return {
    router: new MigrationRouter(groups, direct),
    close: () => direct.disconnect(),
  };
}

/** null or an empty array (HGETALL of a missing key): the key is not there. */
export function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (Array.isArray(v) && v.length === 0);
}

/** ASKING (when asked) and the command back to back on one connection: ASKING applies to the next command only. */
function sendOn(conn: Redis, name: string, args: Array<string | Buffer | number>, asking: boolean, raw: boolean): Promise<unknown> {
  if (asking) {
    const a = new Command('asking', []);
    a.promise.catch(() => undefined);
    conn.sendCommand(a);
  }
  const cmd = new Command(name, args, raw ? { replyEncoding: null } : { replyEncoding: 'utf8' });
  conn.sendCommand(cmd);
  return cmd.promise;
}
