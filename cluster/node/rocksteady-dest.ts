import { type Reply, OK, array, bulk, err, int } from '../resp/reply.js';
import { formatSlotTokens } from '../store/slot-tokens.js';
import { restoreValue } from '../store/dump.js';
import type { Keyspace } from '../store/keyspace.js';
import { bufferHashSlot } from '../store/slot.js';
import { isMaster } from '../topology/cluster-node.js';
import type { ClusterState } from '../topology/state.js';
import { transition } from '../topology/transition.js';
import { IncomingGroups } from './rocksteady-groups.js';
import { MigrationLink } from './migration-link.js';

/**
 * The destination of a Rocksteady migration drives it (kvnetlab-only commands):
 *
 *   KVNETLAB.MIGRATE-IN START <source-id> <host> <port> <slots> [BATCH n] [PAUSE ms]
 *     opening   dest -> source: KVNETLAB.PULL-SOURCE HANDOFF <me> <slots>  (the source stops serving)
 *               then the slots are claimed here (fresh epoch + PONG, like SETSLOT NODE after an import)
 *     pulling   background: KVNETLAB.PULL <slot> <cursor> <n>, group by group;
 *               a command on a key not resolved yet: KVNETLAB.PULL-KEYS k (priority pull) and -TRYAGAIN
 *     done      every group pulled; the coordinator tells the source to RELEASE its copies
 *
 *   idle ──> opening ──> pulling ──> done          failed: the source stopped answering pulls
 *             └──> idle    └──> failed               ABORT from any state: idle, slots given back
 *
 * Both connections to the source (its announced address: its proxy under `up`) name
 * themselves `kvnetlab-migration` first, so the proxy counts them as migration traffic;
 * the retries the clients send after -TRYAGAIN stay client traffic.
 */
export type MigrateInState = 'idle' | 'opening' | 'pulling' | 'done' | 'failed';

const LEGAL: Record<MigrateInState, readonly MigrateInState[]> = {
  idle: ['opening'],
  opening: ['pulling', 'idle'],
  pulling: ['done', 'failed', 'idle'],
  done: ['opening', 'idle'],
  failed: ['idle'],
};

export interface DestDeps {
  db: Keyspace;
  cluster: ClusterState;
  now(): number;
  /** Assign `slots` to myself with a fresh epoch and tell everyone (SETSLOT NODE after an import). */
  claim(slots: number[]): void;
  /** Assign `slots` to `owner` in my table (abort) and save nodes.conf. */
  giveBack(slots: number[], owner: string): void;
  /** One command into the replication stream (RESTORE of a pulled key, DEL on abort). */
  propagate(args: Buffer[]): void;
  log(line: string): void;
  timeoutMs: number;
}

export interface StartRequest {
  sourceId: string;
  host: string;
  port: number;
  slots: number[];
  batch: number;
  pauseMs: number;
}

const TRYAGAIN = err('TRYAGAIN Key not pulled yet by a Rocksteady migration, retry');

export class RocksteadyDest {
  state: MigrateInState = 'idle';
  private groups = new IncomingGroups([]);
  private req: StartRequest | undefined;
  /** Bumped by ABORT and every START: a loop of an older generation stops at its next step. */
  private gen = 0;
  private bg: MigrationLink | undefined;
  private prio: MigrationLink | undefined;
  private readonly queued = new Set<string>();
  private readonly inPull = new Set<string>();
  private flushing = false;
  private error = '';
  readonly counters = { pulled: 0, keys: 0, batches: 0, priorityPulls: 0, priorityKeys: 0, tryagain: 0 };

  constructor(private readonly deps: DestDeps) {}

  private to(next: MigrateInState): void {
    this.state = transition('rocksteady migrate-in', LEGAL, this.state, next, this.deps.log);
  }

  /** True while commands on the moving slots need `gate` (cheap check for the dispatcher). */
  get active(): boolean {
    return this.state === 'opening' || this.state === 'pulling' || this.state === 'failed';
  }

  async start(req: StartRequest): Promise<Reply> {
    const { cluster } = this.deps;
    if (this.active) return err('ERR a Rocksteady migration is in progress here');
    const source = cluster.lookup(req.sourceId);
    if (!isMaster(cluster.myself)) return err('ERR Please use KVNETLAB.MIGRATE-IN only with masters.');
    if (!source || source === cluster.myself || !isMaster(source)) return err(`ERR Unknown source master ${req.sourceId}`);
    for (const s of req.slots) if (cluster.slots[s] !== source) return err(`ERR Hash slot ${s} is not served by the source`);
    const gen = ++this.gen;
    this.req = req;
    this.groups = new IncomingGroups(req.slots);
    Object.assign(this.counters, { pulled: 0, keys: 0, batches: 0, priorityPulls: 0, priorityKeys: 0, tryagain: 0 });
    this.error = '';
    this.to('opening');
    this.bg = new MigrationLink(req.host, req.port, this.deps.timeoutMs);
    this.prio = new MigrationLink(req.host, req.port, this.deps.timeoutMs);
    try {
      const r = await this.bg.call(['KVNETLAB.PULL-SOURCE', 'HANDOFF', cluster.myself.name, ...formatSlotTokens(req.slots)]);
      if (r.t === 'error') throw new Error(`the source refused HANDOFF: ${r.v}`);
    } catch (e) {
      if (gen === this.gen) {
        this.closeLinks();
        this.to('idle');
      }
      return err(`ERR ${(e as Error).message}`);
    }
    if (gen !== this.gen) return err('ERR aborted while opening');
    this.deps.claim(req.slots);
    this.to('pulling');
    void this.background(gen);
    return OK;
  }

  status(): Reply {
    const c = this.counters;
    const fields: Array<[string, Reply]> = [
      ['state', bulk(this.state)], ['slots', int(this.req?.slots.length ?? 0)], ['pulled', int(c.pulled)],
      ['keys', int(c.keys)], ['batches', int(c.batches)], ['priority-pulls', int(c.priorityPulls)],
      ['priority-keys', int(c.priorityKeys)], ['tryagain', int(c.tryagain)], ['error', bulk(this.error)],
    ];
    return array(fields.flatMap(([k, v]) => [bulk(k), v]));
  }

  /** Stops pulling; every slot of the move goes back to the source in my table, and my copies of them go. */
  abort(): Reply {
    if (this.state === 'idle' || !this.req) return int(0);
    this.gen++;
    this.closeLinks();
    const { slots, sourceId } = this.req;
    const mine = slots.filter((s) => this.deps.cluster.slots[s] === this.deps.cluster.myself);
    this.deps.giveBack(mine, sourceId);
    let deleted = 0;
    for (const s of slots) {
      const keys = this.deps.db.keysInSlot(s, Number.MAX_SAFE_INTEGER);
      for (const k of keys) this.deps.db.delete(k);
      if (keys.length) this.deps.propagate([Buffer.from('DEL'), ...keys.map((k) => Buffer.from(k, 'latin1'))]);
      deleted += keys.length;
    }
    this.groups = new IncomingGroups([]);
    this.queued.clear();
    this.to('idle');
    return int(deleted);
  }

  /**
   * Before routing: null to go on as usual, or -TRYAGAIN for a command on keys of a
   * group not pulled yet that are not resolved (after starting their priority pull).
   */
  gate(name: string, args: Buffer[], keys: Buffer[]): Reply | null {
    if (keys.length === 0 || !this.groups.notPulled(bufferHashSlot(keys[0]))) return null;
    if (this.state === 'opening') {
      this.counters.tryagain++;
      return TRYAGAIN;
    }
    const d = this.groups.decide(name, args, keys.map((k) => k.toString('latin1')));
    if (d.serve) return null;
    this.counters.tryagain++;
    this.requestPull(d.pull);
    return TRYAGAIN;
  }

  /** A write ran here: its keys are resolved (a pull never overwrites them). */
  wrote(keys: Buffer[]): void {
    this.groups.wrote(keys.map((k) => k.toString('latin1')));
  }

  private async background(gen: number): Promise<void> {
    const { batch, pauseMs, slots } = this.req!;
    try {
      for (const slot of slots) {
        let cursor = 0;
        do {
          if (gen !== this.gen) return;
          const r = await this.retrying(gen, () => this.bg!.call(['KVNETLAB.PULL', slot, cursor, batch]));
          if (gen !== this.gen) return;
          if (r.t !== 'array' || !r.v || r.v[0]?.t !== 'int' || r.v[1]?.t !== 'array') throw new Error(`bad PULL reply: ${r.t === 'error' ? r.v : r.t}`);
          cursor = r.v[0].v;
          this.install(r.v[1].v ?? []);
          this.counters.batches++;
        } while (cursor !== 0);
        this.groups.markPulled(slot);
        this.counters.pulled++;
        if (pauseMs > 0) await new Promise((res) => setTimeout(res, pauseMs));
      }
      if (gen !== this.gen) return;
      this.closeLinks();
      this.to('done');
    } catch (e) {
      if (gen !== this.gen) return;
      this.error = (e as Error).message;
      this.deps.log(`rocksteady: pulling failed: ${this.error}`);
      this.to('failed');
    }
  }

  /** A pull that failed on I/O is sent again on a fresh connection, three times at most. */
  private async retrying(gen: number, call: () => Promise<Reply>): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        if (attempt >= 2 || gen !== this.gen) throw e;
        await new Promise((res) => setTimeout(res, 100 * (attempt + 1)));
      }
    }
  }

  /** Priority pulls asked for in one event-loop turn travel together in one PULL-KEYS. */
  private requestPull(keys: string[]): void {
    for (const k of keys) if (!this.inPull.has(k)) this.queued.add(k);
    if (this.flushing || this.queued.size === 0) return;
    this.flushing = true;
    setImmediate(() => void this.flushPriority(this.gen));
  }

  private async flushPriority(gen: number): Promise<void> {
    this.flushing = false;
    const keys = [...this.queued];
    this.queued.clear();
    if (keys.length === 0 || gen !== this.gen || !this.prio) return;
    for (const k of keys) this.inPull.add(k);
    this.counters.priorityPulls++;
    this.counters.priorityKeys += keys.length;
    try {
      const r = await this.prio.call(['KVNETLAB.PULL-KEYS', ...keys.map((k) => Buffer.from(k, 'latin1'))]);
      if (gen === this.gen && r.t === 'array') this.install(r.v ?? []);
    } catch (e) {
      // The client retries and asks again; the background loop reports a dead source.
      this.deps.log(`rocksteady: priority pull failed: ${(e as Error).message}`);
    } finally {
      for (const k of keys) this.inPull.delete(k);
    }
  }

  /** `key, pttl, payload` triples; an entry of a resolved key is dropped (a client wrote it here). */
  private install(entries: Reply[]): void {
    const now = this.deps.now();
    for (let i = 0; i + 2 < entries.length; i += 3) {
      const [k, t, p] = [entries[i], entries[i + 1], entries[i + 2]];
      if (k.t !== 'bulk' || !k.v || t.t !== 'int') continue;
      const key = k.v.toString('latin1');
      if (!this.groups.accept(key) || p.t !== 'bulk' || !p.v || t.v === -2) continue;
      const expireAt = t.v > 0 ? now + t.v : undefined;
      this.deps.db.set(key, restoreValue(p.v), { expireAt });
      this.counters.keys++;
      // rdb.c RESTORE semantics on the replicas: absolute TTL, so their copy expires when ours does.
      this.deps.propagate(['RESTORE', k.v, String(expireAt ?? 0), p.v, 'REPLACE', 'ABSTTL'].map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(x))));
    }
  }

  private closeLinks(): void {
    this.bg?.close();
    this.prio?.close();
    this.bg = this.prio = undefined;
  }

  close(): void {
    this.gen++;
    this.closeLinks();
  }
}

