import type { Duplex } from 'node:stream';
import type { CommandSpec } from '../commands/types.js';
import type { Reply } from '../resp/reply.js';
import { propagatedForm } from '../replication/rewrite.js';
import { dumpValue } from '../store/dump.js';
import type { Keyspace } from '../store/keyspace.js';
import { bufferHashSlot } from '../store/slot.js';
import { OutboundLink } from './outbound-link.js';
import { commandKeys } from './routing.js';
export { parseSlotTokens } from '../store/slot-tokens.js';

/**
 * Source-based migration, the source's side (DESIGN.md "Migration protocols";
 * KVNETLAB.MIGRATE-OUT in commands/migrate-out.ts, driven by migration/source-protocol.ts).
 * The source keeps serving every key; one connection to the destination carries, in
 * this node's execution order,
 *
 *   the copy of a group    KVNETLAB.RESTORE-MANY REPLACE k expire-at <DUMP> ...   (GROUP, one a batch)
 *   the writes after it    ASKING, then the write as replication propagates it
 *
 * so the destination applies copy and forwards in the order the source did, and a
 * partial update (HSET of one field) lands on the copied record. During the handover
 * (PAUSE .. END) commands on the moving slots are held, not refused; END releases them
 * and they meet -MOVED.
 *
 *   idle ──START──> copying ──PAUSE──> paused ──END──> idle
 *                      │                  │
 *                      └──link fails──> failed ──ABORT──> idle   (ABORT from any state)
 */
export type MigrateOutState = 'idle' | 'copying' | 'paused' | 'failed';

const LEGAL: Record<MigrateOutState, readonly MigrateOutState[]> = {
  idle: ['copying'],
  copying: ['paused', 'failed', 'idle'],
  paused: ['failed', 'idle'],
  failed: ['idle'],
};

/** A group (slot) of the move, as the source sees it. */
type GroupCopy = 'waiting' | 'copying' | 'copied';

/** CLIENT SETNAME of the forward link: the proxy files it under channel `migration` (proxy/session.ts MIGRATION_CLIENT_NAME). */
export const MIGRATION_LINK_NAME = 'kvnetlab-migration';

export class MigrateOutError extends Error {}

export interface MigrateOutDeps {
  db: Keyspace;
  connect(host: string, port: number): Duplex;
  /** A DEL of the handed-over keys into the replication stream (cluster.c delKeysInSlot propagates too). */
  replicateDel(keys: Buffer[]): void;
  now(): number;
  log(line: string): void;
}

export interface StartOptions {
  host: string;
  port: number;
  slots: number[];
  timeoutMs: number;
  batchKeys: number;
  /**
   * The copy never overwrites (RESTORE-MANY KEEP; a lone key's RESTORE-ASKING without REPLACE, BUSYKEY no error):
   * for proxy-tracked migration, where clients' writes of a group being copied go to
   * the destination directly, so a value there is newer than the source's.
   */
  keep?: boolean;
}

export class MigrateOut {
  state: MigrateOutState = 'idle';
  private link: OutboundLink | undefined;
  private readonly groups = new Map<number, GroupCopy>();
  /** Keys of a group being copied that are not sent yet (a write to one sends its value instead). */
  private readonly pending = new Map<number, Set<string>>();
  private batchKeys = 100;
  private keep = false;
  private held: { promise: Promise<void>; release(): void; timer: NodeJS.Timeout | undefined } | undefined;
  private failure: string | undefined;
  forwarded = 0;
  keysCopied = 0;

  constructor(private readonly deps: MigrateOutDeps) {}

  /** Forwarding (copying, paused) or holding: the dispatcher looks only at this when idle. */
  get active(): boolean {
    return this.state !== 'idle';
  }

  private transition(to: MigrateOutState): void {
    if (!LEGAL[this.state].includes(to)) throw new MigrateOutError(`illegal transition ${this.state} -> ${to}`);
    this.deps.log(`migrate-out: ${this.state} -> ${to}`);
    this.state = to;
  }

  start(o: StartOptions): void {
    this.transition('copying');
    for (const s of o.slots) this.groups.set(s, 'waiting');
    this.batchKeys = o.batchKeys;
    this.keep = o.keep ?? false;
    this.forwarded = this.keysCopied = 0;
    this.failure = undefined;
    this.link = new OutboundLink(this.deps.connect(o.host, o.port), o.timeoutMs, (e) => this.linkFailed(e), (e) => this.keep && e.startsWith('BUSYKEY'));
    this.link.send(['CLIENT', 'SETNAME', MIGRATION_LINK_NAME]);
  }

  /**
   * Copies one group: its keys as they are now, `batchKeys` per event-loop turn, then
   * waits until the destination acknowledged everything sent so far. Returns the keys sent.
   */
  async copyGroup(slot: number): Promise<number> {
    const st = this.groups.get(slot);
    if (this.state === 'failed') throw new MigrateOutError(`the link to the destination failed: ${this.failure}`);
    if (this.state !== 'copying') throw new MigrateOutError(`no copy in progress (state ${this.state})`);
    if (st === undefined) throw new MigrateOutError(`slot ${slot} is not part of this migration`);
    if (st !== 'waiting') throw new MigrateOutError(`slot ${slot} is ${st} already`);
    const link = this.link!;
    const pending = new Set(this.deps.db.keysInSlot(slot, Number.MAX_SAFE_INTEGER));
    this.groups.set(slot, 'copying');
    this.pending.set(slot, pending);
    let sent = 0;
    while (pending.size > 0 && this.link === link && !link.failure) {
      // One KVNETLAB.RESTORE-MANY per batch (commands/restore-many.ts): the keys as they are now.
      const batch: Array<Buffer | string | number> = ['KVNETLAB.RESTORE-MANY', this.keep ? 'KEEP' : 'REPLACE'];
      const now = this.deps.now();
      let n = 0;
      for (const key of pending) {
        pending.delete(key);
        const value = this.deps.db.get(key, now);
        if (value) {
          const ttl = this.deps.db.ttlMs(key, now);
          batch.push(Buffer.from(key, 'latin1'), ttl > 0 ? now + ttl : 0, dumpValue(value));
          sent++;
        }
        if (++n >= this.batchKeys) break;
      }
      if (batch.length > 2) link.send(batch);
      // Let clients in between batches; their writes to keys not sent yet travel as values (afterWrite).
      if (pending.size > 0) await new Promise((r) => setImmediate(r));
    }
    if (this.link !== link) throw new MigrateOutError('the migration was aborted');
    this.pending.delete(slot);
    if (link.failure) throw new MigrateOutError(`the link to the destination failed: ${link.failure.message}`);
    this.groups.set(slot, 'copied');
    this.keysCopied += sent;
    await this.acked(link);
    return sent;
  }

  /**
   * Commands on keys of the moving slots wait while the handover runs (PAUSE .. END or
   * ABORT). Undefined: run it now.
   */
  hold(spec: CommandSpec, args: Buffer[]): Promise<void> | undefined {
    if (!this.held) return undefined;
    const keys = commandKeys(spec, args);
    return keys.length > 0 && this.groups.has(bufferHashSlot(keys[0]!)) ? this.held.promise : undefined;
  }

  /**
   * After a write command succeeded here: on a key of a group copied (or being copied),
   * the same write goes to the destination, ASKING first (it is importing the slot), in
   * the form replication propagates (replication/rewrite.ts: absolute expiry times, no
   * no-ops), so replaying it there gives the same record. A key of a group being copied
   * that was not sent yet, or the keys of a multi-key write, are sent now as their values
   * after this write.
   */
  afterWrite(spec: CommandSpec, args: Buffer[], reply: Reply): void {
    if (reply.t === 'error' || !this.link || this.link.failure || spec.name === 'kvnetlab.migrate-out') return;
    if (this.state !== 'copying' && this.state !== 'paused') return;
    const keys = commandKeys(spec, args);
    if (keys.length === 0) return;
    const slot = bufferHashSlot(keys[0]!);
    const st = this.groups.get(slot);
    if (st === undefined || st === 'waiting') return;
    const forms = propagatedForm(spec.name, args, reply, this.deps.now());
    if (forms.length === 0) return; // it changed nothing
    const pending = this.pending.get(slot);
    const names = [...new Set(keys.map((k) => k.toString('latin1')))];
    // Values, not the command, when it touched a key not sent yet, or several keys: the
    // destination answers a multi-key command on an importing slot with -TRYAGAIN when
    // one of its keys is missing there (cluster.c getNodeByQuery), e.g. MSET of new keys.
    if (names.length > 1 || (pending && pending.has(names[0]!))) {
      for (const k of names) {
        // KEEP never overwrites what the copy has not sent yet (a client may have written
        // it at the destination); a key the copy sent already gets this newer value.
        const unsent = pending?.delete(k) ?? false;
        this.sendValue(k, true, !this.keep || !unsent);
      }
      this.forwarded++;
      return;
    }
    for (const f of forms) {
      this.link.send(['ASKING']);
      this.link.send(f);
    }
    this.forwarded++;
  }

  /** PAUSE: hold the moving slots' commands, then wait until every forward is acknowledged. */
  async pause(maxMs: number): Promise<void> {
    if (this.state !== 'copying') throw new MigrateOutError(`no copy in progress (state ${this.state})`);
    const left = [...this.groups].filter(([, st]) => st !== 'copied');
    if (left.length > 0) throw new MigrateOutError(`slot ${left[0]![0]} is not copied yet`);
    this.transition('paused');
    let release = () => undefined as void;
    const promise = new Promise<void>((r) => (release = r));
    // A coordinator that disappears must not hold clients for ever.
    const timer = setTimeout(() => {
      this.deps.log(`migrate-out: pause longer than ${maxMs} ms, aborting`);
      this.abort();
    }, maxMs);
    timer.unref?.();
    this.held = { promise, release, timer };
    await this.acked(this.link!);
  }

  /**
   * HANDOVER (after PAUSE): a slot's keys are deleted here (and on the replicas) in the
   * same turn as the caller reassigns the slot, so no command sees the slot empty and
   * still served here.
   */
  dropSlots(slots: number[]): number {
    // Also after the link failed during the pause: PAUSE had every forward acknowledged
    // and nothing was forwarded since (the slots' commands are held), so the destination is complete.
    if (!this.held) throw new MigrateOutError(`HANDOVER needs PAUSE first (state ${this.state})`);
    const foreign = slots.find((s) => !this.groups.has(s));
    if (foreign !== undefined) throw new MigrateOutError(`slot ${foreign} is not part of this migration`);
    let dropped = 0;
    for (const slot of slots) {
      const keys = this.deps.db.keysInSlot(slot, Number.MAX_SAFE_INTEGER).map((k) => Buffer.from(k, 'latin1'));
      for (const k of keys) this.deps.db.delete(k.toString('latin1'));
      for (let i = 0; i < keys.length; i += 1000) this.deps.replicateDel(keys.slice(i, i + 1000));
      dropped += keys.length;
    }
    return dropped;
  }

  /** END (paused, every slot handed over): the link closes, held commands run (and meet -MOVED). */
  end(stillMine: (slot: number) => boolean): void {
    if (this.state !== 'paused') throw new MigrateOutError(`END needs PAUSE first (state ${this.state})`);
    const kept = [...this.groups.keys()].find(stillMine);
    if (kept !== undefined) throw new MigrateOutError(`slot ${kept} is still served here: HANDOVER every slot first, or ABORT`);
    this.reset('idle');
  }

  /** ABORT: stop forwarding, release held commands; the slots never left this node. */
  abort(): void {
    if (this.state !== 'idle') this.reset('idle');
  }

  status(): string {
    const count = (st: GroupCopy) => [...this.groups.values()].filter((s) => s === st).length;
    const l = this.link;
    const lines = {
      state: this.state, slots: this.groups.size, waiting: count('waiting'), copying: count('copying'), copied: count('copied'),
      keys_copied: this.keysCopied, forwarded: this.forwarded, sent: l?.sent ?? 0, acked: l?.acked ?? 0, errors: l?.errors ?? 0, kept: l?.benignErrors ?? 0,
      first_error: l?.firstError ?? '', link_failure: this.failure ?? '',
    };
    return Object.entries(lines).map(([k, v]) => `${k}:${v}\r\n`).join('');
  }

  /** RESTORE-ASKING of a key's current value (REPLACE if `replace`), or ASKING DEL when it is gone (only `orDelete`). */
  private sendValue(key: string, orDelete: boolean, replace: boolean): boolean {
    const now = this.deps.now();
    const value = this.deps.db.get(key, now);
    if (!value) {
      if (orDelete) {
        this.link!.send(['ASKING']);
        this.link!.send(['DEL', Buffer.from(key, 'latin1')]);
      }
      return false;
    }
    const ttl = this.deps.db.ttlMs(key, now);
    const restore = ['RESTORE-ASKING', Buffer.from(key, 'latin1'), ttl > 0 ? ttl : 0, dumpValue(value)];
    this.link!.send(replace ? [...restore, 'REPLACE'] : restore);
    return true;
  }

  private async acked(link: OutboundLink): Promise<void> {
    await link.whenAcked();
    if (link.errors > 0) throw new MigrateOutError(`the destination refused ${link.errors} command(s): ${link.firstError}`);
  }

  private linkFailed(e: Error): void {
    this.failure = e.message;
    this.deps.log(`migrate-out: link to the destination failed: ${e.message}`);
    if (this.state === 'copying' || this.state === 'paused') this.transition('failed');
  }

  private reset(to: 'idle'): void {
    this.transition(to);
    const link = this.link;
    this.link = undefined;
    link?.close();
    this.groups.clear();
    this.pending.clear();
    if (this.held) {
      clearTimeout(this.held.timer);
      this.held.release();
      this.held = undefined;
    }
  }
}
