import { type Cluster, Command, type Redis } from 'ioredis';
import { keyHashSlot } from '../cluster/store/slot.js';
import type { GroupTable } from './group-state.js';
import type { KvClient } from './versioned-workload.js';
import { MIGRATION_CLIENT_NAME } from '../proxy/session.js';

/**
 * Routing of one migration's keys, for the protocols that need an element between
 * clients and nodes (DESIGN.md "Migration protocols"). Which element plays it:
 *
 *   source      the source's write forwarding (writes of copied groups go on to the destination)
 *   rocksteady  the client: everything to the destination; a miss there pulls the key first (PriorityPull), then retries
 *   fulva       the client: writes to the destination; reads of groups not migrated go to both, the destination's value wins
 *   proxy       the network element (NetMigrate's switch): per group, not-migrated -> source,
 *               ongoing -> writes to the destination, reads to both; migrated -> destination
 *
 * "The destination's value wins" is Fulva's higher version: the copy never overwrites
 * (RESTORE without REPLACE), so a value at the destination is at least as new as the
 * source's. Deletes are not routed (the workloads here only SET and GET).
 */
export type RouterRules = 'source' | 'rocksteady' | 'fulva' | 'proxy';

export interface RouterCounters {
  /** Reads sent to both nodes (the second one is extra client traffic). */
  duplicateReads: number;
  /** Reads sent again after a priority pull (Rocksteady). */
  retries: number;
  /** Writes forwarded to the destination (source-based; migration traffic). */
  forwards: number;
}

export class MigrationRouter {
  active = false;
  readonly counters: RouterCounters = { duplicateReads: 0, retries: 0, forwards: 0 };
  forwardFailures = 0;
  /** Slots the destination owns already (SETSLOT NODE done): plain commands, no ASKING. */
  readonly handedOver = new Set<number>();
  /** Source-based handover: operations on the moving groups wait while it is set. */
  paused: Promise<void> | undefined;
  /** Rocksteady's priority pull of one key, set by the protocol. */
  pull: (slot: number, key: string) => Promise<void> = async () => undefined;
  /** Operations sent to the source for a moving slot and not answered yet. */
  private readonly inflight = new Set<{ slot: number; done: Promise<unknown> }>();
  private readonly forwarding = new Set<Promise<unknown>>();

  constructor(
    readonly rules: RouterRules,
    readonly groups: GroupTable,
    /** The destination, for ASKING reads/writes (client traffic). */
    private readonly dest: Redis,
    /** The destination, named kvnetlab-migration: source-based forwards (migration traffic). */
    private readonly forwardLink?: Redis,
  ) {}

  /**
   * Resolves once every operation sent to the source for `slot` (or any moving slot)
   * before this call has been answered; later ones are not waited for, so a busy slot
   * cannot starve the migration.
   */
  async drain(slot?: number): Promise<void> {
    await Promise.allSettled([...this.inflight].filter((o) => slot === undefined || o.slot === slot).map((o) => o.done));
  }

  /** Resolves once every forward sent so far has been acknowledged. */
  async flushForwards(): Promise<void> {
    while (this.forwarding.size > 0) await Promise.allSettled([...this.forwarding]);
  }

  /** A KvClient that routes through this router, else through `base` (ioredis Cluster). */
  client(base: Cluster | KvClient): KvClient {
    return {
      get: (key) => this.read(key, () => base.get(key), (asking) => this.destCall('get', [key], asking) as Promise<string | null>),
      set: (key, value) => this.write(key, () => base.set(key, value), (asking) => this.destCall('set', [key, value], asking), ['set', key, value]),
    };
  }

  /**
   * A read of `key`: through `viaBase` (the cluster client) when the key is not moving,
   * else by the rules. `atDest(asking)` runs the same command on the destination
   * (ASKING first while the group is not handed over). A value counts as missing when
   * null or an empty array (HGETALL).
   */
  async read<T>(key: string, viaBase: () => Promise<T>, atDest: (asking: boolean) => Promise<T>): Promise<T> {
    const slot = keyHashSlot(key);
    if (!this.active || this.groups.stateOf(slot) === undefined) return viaBase();
    if (this.paused) await this.paused;
    if (!this.active) return viaBase();
    const st = this.groups.stateOf(slot)!;
    switch (this.rules) {
      case 'source':
        return this.viaSource(slot, viaBase);
      case 'rocksteady': {
        if (st === 'migrated') return atDest(this.asking(slot));
        const v = await atDest(true);
        if (!isMissing(v)) return v;
        this.counters.retries++;
        await this.pull(slot, key);
        return atDest(this.asking(slot));
      }
      case 'fulva':
      case 'proxy': {
        if (st === 'migrated') return atDest(this.asking(slot));
        if (this.rules === 'proxy' && st === 'not-migrated') return this.viaSource(slot, viaBase);
        this.counters.duplicateReads++;
        const [atSource, atDestination] = await Promise.all([this.viaSource(slot, viaBase), atDest(true)]);
        return isMissing(atDestination) ? atSource : atDestination;
      }
    }
  }

  /**
   * A write of `key` that replaces its whole value (SET): a partial update (HSET of one
   * field) at the destination before the copy would make the copy skip the key and lose
   * the other fields, so only whole-value writes may be routed. `command` is what a
   * source-based forward sends again.
   */
  async write<T>(key: string, viaBase: () => Promise<T>, atDest: (asking: boolean) => Promise<T>, command: Array<string | Buffer | number>): Promise<T> {
    const slot = keyHashSlot(key);
    if (!this.active || this.groups.stateOf(slot) === undefined) return viaBase();
    if (this.paused) await this.paused;
    if (!this.active) return viaBase();
    const st = this.groups.stateOf(slot)!;
    if (this.rules === 'source') {
      const r = await this.viaSource(slot, viaBase);
      // The group's state when the write is done: a write that lands after its group
      // was (or began to be) copied must follow it to the destination.
      if (this.groups.stateOf(slot) !== 'not-migrated') this.forward(command);
      return r;
    }
    if (this.rules === 'proxy' && st === 'not-migrated') return this.viaSource(slot, viaBase);
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

  private forward(command: Array<string | Buffer | number>): void {
    this.counters.forwards++;
    const [name, ...args] = command;
    // A failed forward is counted: the handover refuses to complete after one (the
    // destination would miss a write); the source still has the value.
    const p = sendOn(this.forwardLink ?? this.dest, String(name), args, true, true).then(
      () => undefined,
      () => void this.forwardFailures++,
    );
    this.forwarding.add(p);
    void p.finally(() => this.forwarding.delete(p));
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

/** A router with its own two connections to the destination (client traffic, and forwards named kvnetlab-migration). */
export async function connectRouter(rules: RouterRules, groups: GroupTable, dest: { host: string; port: number }): Promise<{ router: MigrationRouter; close(): void }> {
  const { Redis } = await import('ioredis');
  const opts = { host: dest.host, port: dest.port, enableReadyCheck: false, maxRetriesPerRequest: 2, connectTimeout: 2000 };
  const direct = new Redis(opts);
  const forwards = rules === 'source' ? new Redis({ ...opts, connectionName: MIGRATION_CLIENT_NAME }) : undefined;
  // A destination that dies fails the operations routed to it; the connection's own error events are not news.
  for (const r of [direct, forwards]) r?.on('error', () => undefined);
  return {
    router: new MigrationRouter(rules, groups, direct, forwards),
    close() {
      direct.disconnect();
      forwards?.disconnect();
    },
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
