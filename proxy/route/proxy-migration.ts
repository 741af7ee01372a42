import { type GroupState, GroupTable } from '../../migration/group-state.js';

/**
 * What the proxy in front of a migration's source knows about it (NetMigrate's switch
 * table): the destination's public address, every group's state (migration/group-state.ts,
 * the one state machine of a group), which groups the destination owns already, and the
 * commands each routed connection has sent to the node for a moving slot and not seen
 * answered (the coordinator's GROUP steps wait for them, `drain`).
 */
export interface Dest {
  host: string;
  port: number;
}

interface InFlight {
  read: boolean;
  done: Promise<void>;
  settle(): void;
}

export class ProxyMigration {
  readonly groups: GroupTable;
  /** Slots the destination owns (SETSLOT NODE done): no ASKING needed there. */
  readonly handedOver = new Set<number>();
  closed = false;
  private readonly inflight = new Map<number, Set<InFlight>>();
  private readonly listeners = new Set<() => void>();

  constructor(readonly dest: Dest, slots: number[], private readonly log: (line: string) => void) {
    this.groups = new GroupTable(slots, log);
  }

  stateOf(slot: number): GroupState | undefined {
    return this.closed ? undefined : this.groups.stateOf(slot);
  }

  set(slot: number, to: GroupState): void {
    this.groups.set(slot, to);
    this.changed();
  }

  handOver(slot: number): void {
    this.handedOver.add(slot);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log(`migration to ${this.dest.host}:${this.dest.port} closed: ${JSON.stringify(this.groups.counts())}`);
    this.changed();
  }

  /** Called (by each routed connection) on every group change and on close. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A command of a moving slot sent to the node; `settle()` it when its reply is in. */
  track(slot: number, read: boolean): () => void {
    let settle!: () => void;
    const done = new Promise<void>((r) => (settle = r));
    const f: InFlight = { read, done, settle };
    let set = this.inflight.get(slot);
    if (!set) this.inflight.set(slot, (set = new Set()));
    set.add(f);
    return () => {
      set.delete(f);
      f.settle();
    };
  }

  /** Resolves once the commands (or only the reads) of `slot` sent to the node so far are answered. */
  async drain(slot: number, readsOnly: boolean): Promise<void> {
    const now = [...(this.inflight.get(slot) ?? [])].filter((f) => !readsOnly || f.read);
    await Promise.all(now.map((f) => f.done));
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
