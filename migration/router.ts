import type { Cluster, Redis } from 'ioredis';
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
      get: (key) => this.get(base, key),
      set: (key, value) => this.set(base, key, value),
    };
  }

  private async get(base: KvClient, key: string): Promise<string | null> {
    const slot = keyHashSlot(key);
    if (!this.active || this.groups.stateOf(slot) === undefined) return base.get(key);
    if (this.paused) await this.paused;
    if (!this.active) return base.get(key);
    const st = this.groups.stateOf(slot)!;
    switch (this.rules) {
      case 'source':
        return this.viaSource(slot, () => base.get(key));
      case 'rocksteady': {
        if (st === 'migrated') return this.destGet(key, false);
        const v = await this.destGet(key);
        if (v !== null) return v;
        this.counters.retries++;
        await this.pull(slot, key);
        return this.destGet(key, this.groups.stateOf(slot) !== 'migrated');
      }
      case 'fulva':
      case 'proxy': {
        if (st === 'migrated') return this.destGet(key, false);
        if (this.rules === 'proxy' && st === 'not-migrated') return this.viaSource(slot, () => base.get(key));
        this.counters.duplicateReads++;
        const [atSource, atDest] = await Promise.all([this.viaSource(slot, () => base.get(key)), this.destGet(key)]);
        return atDest ?? atSource;
      }
    }
  }

  private async set(base: KvClient, key: string, value: string): Promise<unknown> {
    const slot = keyHashSlot(key);
    if (!this.active || this.groups.stateOf(slot) === undefined) return base.set(key, value);
    if (this.paused) await this.paused;
    if (!this.active) return base.set(key, value);
    const st = this.groups.stateOf(slot)!;
    if (this.rules === 'source') {
      const r = await this.viaSource(slot, () => base.set(key, value));
      // The group's state when the write is done: a write that lands after its group
      // was (or began to be) copied must follow it to the destination.
      if (this.groups.stateOf(slot) !== 'not-migrated') this.forward(key, value);
      return r;
    }
    if (this.rules === 'proxy' && st === 'not-migrated') return this.viaSource(slot, () => base.set(key, value));
    return this.destSet(key, value, st !== 'migrated');
  }

  /** A migrated group belongs to the destination already (handed over): no ASKING needed. */
  private async destGet(key: string, asking = true): Promise<string | null> {
    if (!asking) return this.dest.get(key);
    const [[e1], [e2, v]] = (await this.dest.pipeline().asking().get(key).exec())!;
    if (e1 || e2) throw e1 ?? e2;
    return v as string | null;
  }

  private async destSet(key: string, value: string, asking: boolean): Promise<unknown> {
    if (!asking) return this.dest.set(key, value);
    const [[e1], [e2, v]] = (await this.dest.pipeline().asking().set(key, value).exec())!;
    if (e1 || e2) throw e1 ?? e2;
    return v;
  }

  private forward(key: string, value: string): void {
    this.counters.forwards++;
    const link = this.forwardLink ?? this.dest;
    // A failed forward is counted: the handover refuses to complete after one (the
    // destination would miss a write); the source still has the value.
    const p = link.pipeline().asking().set(key, value).exec().then(
      (res) => {
        if (!res || res.some(([e]) => e)) this.forwardFailures++;
      },
      () => this.forwardFailures++,
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
