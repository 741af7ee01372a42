/**
 * The in-memory cluster bus simulation shared by the topology tests (bus-engine,
 * failover): N BusEngines wired through in-memory duplex pairs, a fake clock advanced
 * 100 ms per clusterCron, no TCP and no processes (STYLE.md 2, 10).
 *
 *   engine A --connect(host, cport)--> SimNet --acceptInbound(server end)--> engine B
 *      ^                                 |  one write = one frame: recorded (type, count,
 *      |                                 |  bytes), then pushed to the peer on the next
 *      +--------- client end <-----------+  setImmediate, or held while blackholed
 *
 * Delivery is asynchronous on purpose: a real socket never calls back into the sender
 * inside write(), and clusterLinkConnectHandler's ping_sent bookkeeping relies on that.
 *
 * Replication is faked per node by what failover reads and calls
 * (cluster/replication/control.ts): a settable offset, a settable master-link-down
 * time, and a record of write pauses.
 */
import { Duplex } from 'node:stream';
import { expect } from 'vitest';
import { BusEngine, type BusEngineDeps } from '../../cluster/topology/bus-engine.js';
import { ClusterState } from '../../cluster/topology/state.js';
import { F } from '../../cluster/topology/node-flags.js';
import { type ClusterNode, SLOTS, newClusterNode } from '../../cluster/topology/cluster-node.js';
import { HDR } from '../../cluster/bus/constants.js';

export const START = Date.UTC(2024, 0, 1);
export const HOST = '127.0.0.1';
const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

// ---- the simulated network ------------------------------------------------------------

export interface WireFrame {
  /** Bus ports of the writer and the reader. */
  from: number;
  to: number;
  /** Header fields read from the bytes (the codec is not trusted to count itself). */
  type: number;
  count: number;
  /** mflags[0]: CLUSTERMSG_FLAG0_PAUSED, FORCEACK, EXT_DATA. */
  mflags0: number;
  /** currentEpoch of the header. */
  currentEpoch: bigint;
  bytes: number;
  at: number;
  /** Written while the path was blackholed: arrives after the heal, or never. */
  heldBack: boolean;
}

/** One connection: bytes written to one end arrive at the other (null = FIN). */
export interface SimLink {
  from: number;
  to: number;
  /** When connect() was called. */
  at: number;
  /** The connecting engine's end. */
  client: Duplex;
  /** The accepting engine's end; null until the SYN gets through. */
  server: Duplex | null;
  /** What a blackholed path holds back, in order: TCP retransmits it after the heal. */
  held: Array<{ toServer: boolean; chunk: Buffer | null }>;
}

/**
 * Blackholing works at the TCP level, not the frame level: nothing crosses a blocked
 * path, and when it heals what TCP would have retransmitted arrives in order (data, then
 * FIN; a pending SYN completes unless its socket was closed meanwhile). Nothing is lost
 * half-way, so a link is never out of sync; it may only be late.
 */
export class SimNet {
  readonly frames: WireFrame[] = [];
  readonly links: SimLink[] = [];
  private readonly listeners = new Map<number, (s: Duplex) => void>();
  /** Bus ports whose connect() throws at once (BusEngineDeps.connect may throw). */
  readonly throwing = new Set<number>();
  private readonly isolated = new Set<number>();
  private readonly cuts = new Set<string>();
  private pending = 0;

  constructor(private readonly now: () => number) {}

  listen(cport: number, accept: (s: Duplex) => void): void {
    this.listeners.set(cport, accept);
  }

  unlisten(cport: number): void {
    this.listeners.delete(cport);
  }

  /** Blackhole a node: nothing it sends or is sent gets through until heal(). */
  isolate(cport: number): void {
    this.isolated.add(cport);
  }

  heal(cport: number): void {
    this.isolated.delete(cport);
    this.release();
  }

  /** Blackhole the path between two nodes only, both directions. */
  cut(a: number, b: number): void {
    this.cuts.add(`${a}-${b}`).add(`${b}-${a}`);
  }

  blocked(a: number, b: number): boolean {
    return this.isolated.has(a) || this.isolated.has(b) || this.cuts.has(`${a}-${b}`);
  }

  /** The fake `connect(host, port)`: the target accepts at once, like a local TCP accept. */
  connect(from: number, to: number): Duplex {
    if (this.throwing.has(to)) throw new Error(`EADDRNOTAVAIL ${HOST}:${to}`);
    if (!this.listeners.has(to)) {
      // Connection refused: an asynchronous error, as net.connect reports it.
      const lone = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
      setImmediate(() => lone.destroy(new Error(`ECONNREFUSED ${HOST}:${to}`)));
      return lone;
    }
    const link: SimLink = { from, to, at: this.now(), client: null as unknown as Duplex, server: null, held: [] };
    link.client = this.end(link, true);
    link.client.on('close', () => this.send(link, true, null));
    this.links.push(link);
    if (!this.blocked(from, to)) this.establish(link);
    return link.client;
  }

  /** The newest live, established link `from` opened to `to`. */
  outbound(from: number, to: number): SimLink | undefined {
    const live = this.links.filter((l) => l.from === from && l.to === to && l.server !== null && !l.client.destroyed);
    return live[live.length - 1];
  }

  /** Resolves once every frame written so far, and every reply to it, has been delivered. */
  async settle(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      await immediate();
      if (this.pending === 0) return;
    }
    throw new Error('the simulated network did not settle');
  }

  private establish(link: SimLink): void {
    link.server = this.end(link, false);
    link.server.on('close', () => this.send(link, false, null));
    this.listeners.get(link.to)!(link.server);
  }

  private end(link: SimLink, isClient: boolean): Duplex {
    return new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        this.send(link, isClient, chunk);
        cb();
      },
    });
  }

  /** `toServer`: written by the client end. A null chunk is the FIN of a closed end. */
  private send(link: SimLink, toServer: boolean, chunk: Buffer | null): void {
    const [src, dst] = toServer ? [link.from, link.to] : [link.to, link.from];
    const through = !this.blocked(src, dst) && link.server !== null;
    if (chunk) {
      this.frames.push({
        from: src,
        to: dst,
        type: chunk.length >= HDR.type + 2 ? chunk.readUInt16BE(HDR.type) : -1,
        count: chunk.length >= HDR.count + 2 ? chunk.readUInt16BE(HDR.count) : -1,
        mflags0: chunk.length > HDR.mflags ? chunk[HDR.mflags] : -1,
        currentEpoch: chunk.length >= HDR.currentEpoch + 8 ? chunk.readBigUInt64BE(HDR.currentEpoch) : -1n,
        bytes: chunk.length,
        at: this.now(),
        heldBack: !through,
      });
    }
    if (through) this.deliver(link, toServer, chunk);
    else link.held.push({ toServer, chunk });
  }

  private deliver(link: SimLink, toServer: boolean, chunk: Buffer | null): void {
    const peer = toServer ? link.server! : link.client;
    this.pending++;
    setImmediate(() => {
      this.pending--;
      if (peer.destroyed) return;
      if (chunk) peer.push(chunk);
      else peer.destroy();
    });
  }

  /** After a heal: complete pending SYNs of live sockets, then flush what was held. */
  private release(): void {
    for (const link of this.links) {
      if (this.blocked(link.from, link.to)) continue;
      if (!link.server) {
        if (link.client.destroyed) {
          link.held = []; // closed before it ever connected
          continue;
        }
        this.establish(link);
      }
      const held = link.held;
      link.held = [];
      for (const h of held) this.deliver(link, h.toServer, h.chunk);
    }
  }
}

// ---- the simulated cluster ------------------------------------------------------------

export interface SimNode {
  index: number;
  name: string;
  port: number;
  cport: number;
  state: ClusterState;
  engine: BusEngine;
  nodeTimeout: number;
  logs: string[];
  /** slot -> keys, for countKeysInSlot / deleteKeysInSlot. */
  keys: Map<number, number>;
  deletedSlots: number[];
  /** Process gone: no more crons. */
  down?: boolean;
  /** Failover settings, read live like CONFIG SET values. */
  settings: { replicaValidityFactor: number; replicaNoFailover: boolean; allowReplicaMigration: boolean; replPingReplicaPeriod: number };
  /** Fake replication (control.ts): offset(), masterLinkDownMs(), write pauses. */
  repl: SimReplication;
}

export interface SimReplication {
  offset: bigint;
  /** When the master link went down; 0 = up. */
  linkDownSince: number;
  /** Every pauseWrites(until) call, and how many resumeWrites() calls. */
  pauses: number[];
  resumes: number;
  /** Writes are paused now (until a resume or the deadline). */
  pausedUntil: number;
}

/** Node i is named "0i0i...": names sort in index order (epoch collisions compare them). */
export const nodeName = (i: number): string => (i + 1).toString(16).padStart(2, '0').repeat(20);

export class SimCluster {
  now = START;
  readonly net = new SimNet(() => this.now);
  readonly nodes: SimNode[] = [];

  add(opts: { nodeTimeout?: number; configEpoch?: bigint } = {}): SimNode {
    const index = this.nodes.length;
    const port = 7000 + index;
    const cport = port + 10000;
    const name = nodeName(index);
    const state = new ClusterState(newClusterNode({ name, flags: F.MYSELF | F.MASTER, ip: HOST, port, cport, ctime: this.now }));
    if (opts.configEpoch !== undefined) {
      state.myself.configEpoch = opts.configEpoch;
      state.currentEpoch = opts.configEpoch;
    }
    const nodeTimeout = opts.nodeTimeout ?? 15_000;
    // `engine` is set below: its deps close over `sim`.
    const repl: SimReplication = { offset: 0n, linkDownSince: 0, pauses: [], resumes: 0, pausedUntil: 0 };
    const settings = { replicaValidityFactor: 10, replicaNoFailover: false, allowReplicaMigration: true, replPingReplicaPeriod: 10 };
    const sim = { index, name, port, cport, state, nodeTimeout, logs: [], keys: new Map(), deletedSlots: [], settings, repl } as unknown as SimNode;
    const deps: BusEngineDeps = {
      state,
      settings: () => ({ announceHost: HOST, announcePort: port, announceBusPort: cport, nodeTimeout: sim.nodeTimeout, ...sim.settings }),
      connect: (_host, busPort) => this.net.connect(cport, busPort),
      save: () => {
        state.dirty = false;
      },
      countKeysInSlot: (slot) => sim.keys.get(slot) ?? 0,
      deleteKeysInSlot: (slot) => {
        sim.deletedSlots.push(slot);
        sim.keys.delete(slot);
      },
      replOffset: () => repl.offset,
      masterLinkDownMs: (now) => (repl.linkDownSince ? now - repl.linkDownSince : 0),
      pauseWrites: (until) => {
        repl.pauses.push(until);
        repl.pausedUntil = until;
      },
      resumeWrites: () => {
        repl.resumes++;
        repl.pausedUntil = 0;
      },
      log: (line) => sim.logs.push(`+${this.now - START} ${line}`),
      now: () => this.now,
    };
    sim.engine = new BusEngine(deps);
    this.net.listen(cport, (s) => sim.engine.acceptInbound(s));
    this.nodes.push(sim);
    return sim;
  }

  /** Advance the clock in 100 ms steps, one clusterCron per node per step. */
  async tick(ms = 100, after?: () => void): Promise<void> {
    for (let t = 0; t < ms; t += 100) {
      this.now += 100;
      for (const n of this.nodes) if (!n.down) n.engine.cron();
      await this.net.settle();
      after?.();
    }
  }

  /** Tick until `cond` holds; the time it first held. */
  async until(cond: () => boolean, limitMs: number, what: string, after?: () => void): Promise<number> {
    const t0 = this.now;
    while (!cond()) {
      if (this.now - t0 > limitMs) throw new Error(`not within ${limitMs} ms: ${what}`);
      await this.tick(100, after);
    }
    return this.now;
  }

  /** CLUSTER MEET <seed> on every other node, then wait for full mesh by real names. */
  async join(limitMs = 10_000): Promise<number> {
    const seed = this.nodes[0];
    for (const n of this.nodes.slice(1)) expect(n.engine.startHandshake(HOST, seed.port, seed.cport)).toBe(true);
    return this.until(() => this.converged(), limitMs, 'every node knows every node');
  }

  converged(): boolean {
    return this.nodes.every(
      (n) =>
        n.state.nodes.size === this.nodes.length &&
        [...n.state.nodes.values()].every((v) => !(v.flags & (F.HANDSHAKE | F.NOADDR))) &&
        this.nodes.every((o) => o === n || (n.state.lookup(o.name) !== undefined && n.engine.hasLink(n.state.lookup(o.name)!))),
    );
  }

  /** The process dies: its links close (peers see a FIN), its port stops listening. */
  kill(n: SimNode, connect: 'refused' | 'throws'): void {
    n.down = true;
    n.engine.stop();
    this.net.unlisten(n.cport);
    if (connect === 'throws') this.net.throwing.add(n.cport);
  }

  /** What `observer` knows about `subject`. */
  view(observer: SimNode, subject: SimNode): ClusterNode {
    const v = observer.state.lookup(subject.name);
    if (!v) throw new Error(`${observer.index} does not know ${subject.index}`);
    return v;
  }

  /** CLUSTER ADDSLOTSRANGE on `n` itself; PINGs carry the claim to the others. */
  addSlots(n: SimNode, from: number, to: number): void {
    for (let s = from; s <= to; s++) n.state.assignSlot(s, n.state.myself);
    n.state.updateHealth();
  }

  /** Three masters with the whole slot space and epochs 1..3 (what redis-cli --cluster create sets). */
  addThreeMasters(opts: { nodeTimeout?: number } = {}): SimNode[] {
    return threeMasterRanges().map(([from, to], i) => {
      const m = this.add({ ...opts, configEpoch: BigInt(i + 1) });
      this.addSlots(m, from, to);
      return m;
    });
  }

  /** CLUSTER REPLICATE on `replica`. */
  replicate(replica: SimNode, master: SimNode): void {
    const me = replica.state.myself;
    me.flags = (me.flags & ~F.MASTER) | F.SLAVE;
    me.slaveof = master.name;
  }

  sent(n: SimNode, type: number): WireFrame[] {
    return this.net.frames.filter((f) => f.from === n.cport && f.type === type);
  }

  clearCounters(): void {
    this.net.frames.length = 0;
    for (const n of this.nodes) {
      n.engine.sent.clear();
      n.engine.received.clear();
    }
  }
}

/** Three masters with the whole slot space, epochs 1..3 (what redis-cli --cluster create sets). */
export function threeMasterRanges(): Array<[number, number]> {
  return [
    [0, 5460],
    [5461, 10922],
    [10923, SLOTS - 1],
  ];
}

