import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { F } from './node-flags.js';
import { type ClusterNode, SLOTS, inHandshake, isMaster, isReplica, newClusterNode, randomNodeName } from './cluster-node.js';
import type { ClusterState } from './state.js';
import { BusLink } from './bus-link.js';
import { gossipEntry, pickGossip } from './gossip.js';
import type { FailoverSettings } from './failover.js';
import { FailoverHooks } from './failover-hooks.js';
import { slotBitmapGet } from '../bus/slot-bitmap.js';
import { BUS_HEADER_LEN, BusType as MSG, busTypeName as messageTypeName } from '../bus/constants.js';
import type { BusHeader, BusMessage, GossipEntry, PingExt } from '../bus/message.js';

/** What the bus engine needs from its node (STYLE.md 9). */
export interface BusEngineDeps {
  state: ClusterState;
  /** Announced address and timeouts, read live so CONFIG SET takes effect. */
  settings(): BusSettings;
  connect(host: string, port: number): Duplex;
  /** Persist nodes.conf if the state is dirty (clusterSaveConfig); the node may defer it to the end of the turn. */
  save(): void;
  /** Persist it now, before the next send (a failover vote: clusterSaveConfigOrDie before the ack). Default: save. */
  saveNow?(): void;
  countKeysInSlot(slot: number): number;
  deleteKeysInSlot(slot: number): void;
  /** master_repl_offset, or a replica's processed offset (cluster/replication/control.ts offset()). */
  replOffset(): bigint;
  /** Replication, as failover needs it (cluster/replication/control.ts): 0 while the link is up. */
  masterLinkDownMs(nowMs: number): number;
  /** Manual failover, master side: hold client writes until `untilMs`, or until resumed. */
  pauseWrites(untilMs: number): void;
  resumeWrites(): void;
  log(line: string): void;
  now(): number;
  /**
   * Extensions for a PING/PONG/MEET to `peer` (undefined: an inbound link not yet
   * identified). Live patching's advert (cluster/patch/manager.ts); none if absent.
   */
  pingExts?(peer: string | undefined): PingExt[];
  /** The extensions of a PING/PONG/MEET from a known sender. */
  onPingExts?(sender: string, exts: PingExt[]): void;
}

export interface BusSettings extends FailoverSettings {
  announceHost: string;
  announcePort: number;
  announceBusPort: number;
  /** cluster-allow-replica-migration: a replica follows whoever took its master's slots. */
  allowReplicaMigration: boolean;
}

/** cluster.h: failure reports stay valid for node_timeout x 2; FAIL of a master is undone after node_timeout x 2. */
const FAIL_REPORT_VALIDITY_MULT = 2;
const FAIL_UNDO_TIME_MULT = 2;
/** How long a FORGET-ed node stays out of gossip (cluster.h CLUSTER_BLACKLIST_TTL, seconds). */
const BLACKLIST_TTL_MS = 60_000;

/**
 * The cluster bus: links, the 100 ms cron, and what each received message does to
 * the state. Follows Redis 7.0's cluster.c (clusterCron, clusterProcessPacket,
 * clusterProcessGossipSection) closely, because the point is to produce the same
 * traffic as Redis: same messages, same sizes, same timing.
 */
export class BusEngine {
  /** Outbound links, the ones we PING over (node->link). */
  private readonly links = new Map<ClusterNode, BusLink>();
  private readonly inbound = new Set<BusLink>();
  private readonly blacklist = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private iteration = 0;
  private pfailNodes = 0;
  readonly sent = new Map<string, number>();
  readonly received = new Map<string, number>();
  /** Hook for later issues (live patching): messages this engine does not handle itself. */
  onOtherMessage: ((link: BusLink, msg: BusMessage, sender: ClusterNode | undefined) => void) | undefined;
  /** Elections, votes and manual failovers (failover-hooks.ts). */
  readonly failover: FailoverHooks;

  constructor(private readonly deps: BusEngineDeps) {
    this.failover = new FailoverHooks({
      state: deps.state,
      settings: () => deps.settings(),
      offset: () => deps.replOffset(),
      masterLinkDownMs: (now) => deps.masterLinkDownMs(now),
      pauseWrites: (until) => deps.pauseWrites(until),
      resumeWrites: () => deps.resumeWrites(),
      sendTo: (node, type) => this.sendEmpty(node, type),
      broadcastAuthRequest: (mflags0) => this.broadcastEmpty(MSG.FAILOVER_AUTH_REQUEST, mflags0),
      broadcastPong: (target) => this.broadcastPong(target),
      bumpEpochWithoutConsensus: () => this.bumpEpochWithoutConsensus(),
      save: () => deps.save(),
      saveNow: () => (deps.saveNow ?? deps.save)(),
      log: (line) => deps.log(line),
      now: () => deps.now(),
    });
  }

  start(): void {
    this.timer = setInterval(() => this.cron(), 100);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const link of [...this.links.values(), ...this.inbound]) link.close();
  }

  hasLink(node: ClusterNode): boolean {
    return this.links.has(node);
  }

  /** A peer connected to our bus port. */
  acceptInbound(stream: Duplex): void {
    const link = new BusLink(stream, true, null, this.linkEvents, this.deps.now());
    this.inbound.add(link);
  }

  /** CLUSTER MEET / gossip: clusterStartHandshake. False when already in progress. */
  startHandshake(ip: string, port: number, cport: number): boolean {
    const { state } = this.deps;
    // IP and port sanity checks, as clusterStartHandshake does with inet_pton.
    if (!validAddress(ip, port, cport)) return false;
    for (const n of state.nodes.values()) {
      if (inHandshake(n) && n.ip === ip && n.port === port && n.cport === cport) return false;
    }
    state.add(newClusterNode({ name: randomNodeName(), flags: F.HANDSHAKE | F.MEET, ip, port, cport, ctime: this.deps.now() }));
    return true;
  }

  /** CLUSTER FORGET: remove and keep out of gossip for 60 s. */
  forget(node: ClusterNode): void {
    this.blacklist.set(node.name, this.deps.now() + BLACKLIST_TTL_MS);
    this.deleteNode(node);
  }

  deleteNode(node: ClusterNode): void {
    this.links.get(node)?.close();
    this.deps.state.remove(node);
  }

  /** Drop every link (CLUSTER RESET). */
  dropLinks(): void {
    for (const link of [...this.links.values()]) link.close();
  }

  // ---- sending -------------------------------------------------------------------

  /** clusterBuildMessageHdr: a replica advertises its master's slots and config epoch. */
  header(type: number): BusHeader {
    const { state } = this.deps;
    const me = state.myself;
    const master = state.shardMaster(me);
    const s = this.deps.settings();
    return {
      type,
      currentEpoch: state.currentEpoch,
      configEpoch: master.configEpoch,
      offset: this.deps.replOffset(),
      sender: me.name,
      myslots: state.slotBitmap(master),
      slaveof: me.flags & F.SLAVE ? me.slaveof : null,
      myip: s.announceHost,
      port: s.announcePort,
      pport: 0,
      cport: s.announceBusPort,
      flags: me.flags,
      state: state.health === 'ok' ? 0 : 1,
      mflags: [this.failover.headerFlags(), 0, 0],
    };
  }

  private send(link: BusLink, msg: BusMessage): void {
    const name = messageTypeName(msg.header.type);
    this.sent.set(name, (this.sent.get(name) ?? 0) + 1);
    link.send(msg);
  }

  /** clusterSendPing: PING, PONG or MEET with the gossip section. */
  sendPing(link: BusLink, type: number): void {
    const { state } = this.deps;
    // Only a PING on our own (outbound) link starts the failure-detection clock:
    // cluster.c `if (!link->inbound && type == CLUSTERMSG_TYPE_PING)`.
    if (!link.inbound && link.node && type === MSG.PING) link.node.pingSent = this.deps.now();
    const gossip: GossipEntry[] = pickGossip(state, (n) => this.links.has(n)).map(gossipEntry);
    const exts = this.deps.pingExts?.(link.node && !inHandshake(link.node) ? link.node.name : undefined) ?? [];
    this.send(link, { header: this.header(type), body: { kind: 'ping', gossip, exts } });
  }

  /**
   * A frame of a type Redis 7.0 does not know (live patching's PATCH / PATCH_REQUEST)
   * with `data` after the header, over our link to `peerName`. Returns the frame's
   * length, 0 when there is no usable link.
   */
  sendRaw(peerName: string, type: number, data: Buffer): number {
    const node = this.deps.state.lookup(peerName);
    const link = node ? this.links.get(node) : undefined;
    if (!node || !link || link.isClosed || inHandshake(node)) return 0;
    this.send(link, { header: this.header(type), body: { kind: 'raw', count: 0, extensions: 0, data } });
    return BUS_HEADER_LEN + data.length;
  }

  /** Names of the nodes we hold an outbound link to (handshakes excluded). */
  linkedPeers(): string[] {
    const out: string[] = [];
    for (const [node, link] of this.links) if (node !== this.deps.state.myself && !inHandshake(node) && !link.isClosed) out.push(node.name);
    return out;
  }

  /** clusterBroadcastMessage: every node we hold a link to, handshakes excluded. */
  broadcast(build: () => BusMessage): void {
    for (const [node, link] of this.links) {
      if (node === this.deps.state.myself || inHandshake(node)) continue;
      this.send(link, build());
    }
  }

  /** clusterBroadcastPong: to everyone, or to the replicas of our master (and ours) only. */
  broadcastPong(target: 'all' | 'local-replicas' = 'all'): void {
    const me = this.deps.state.myself;
    for (const [node, link] of this.links) {
      if (node === me || inHandshake(node)) continue;
      if (target === 'local-replicas' && !(isReplica(node) && node.slaveof && (node.slaveof === me.name || node.slaveof === me.slaveof))) continue;
      this.sendPing(link, MSG.PONG);
    }
  }

  /** AUTH_ACK, MFSTART: a bare header over our link to `node`; false without a link. */
  private sendEmpty(node: ClusterNode, type: number): boolean {
    const link = this.links.get(node);
    if (!link) return false;
    this.send(link, { header: this.header(type), body: { kind: 'empty' } });
    return true;
  }

  /** A bare header to every node (clusterRequestFailoverAuth: only masters answer). */
  private broadcastEmpty(type: number, mflags0: number): void {
    this.broadcast(() => {
      const header = this.header(type);
      header.mflags[0] |= mflags0;
      return { header, body: { kind: 'empty' } };
    });
  }

  private sendFail(nodename: string): void {
    this.broadcast(() => ({ header: this.header(MSG.FAIL), body: { kind: 'fail', nodename } }));
  }

  /** clusterSendUpdate: tell a node with a stale view who really owns its slots. */
  private sendUpdate(link: BusLink | undefined, owner: ClusterNode): void {
    if (!link) return;
    this.send(link, {
      header: this.header(MSG.UPDATE),
      body: { kind: 'update', configEpoch: owner.configEpoch, nodename: owner.name, slots: this.deps.state.slotBitmap(owner) },
    });
  }

  // ---- the cron --------------------------------------------------------------------

  /** clusterCron, every 100 ms. */
  cron(): void {
    const { state } = this.deps;
    const now = this.deps.now();
    const { nodeTimeout, replicaNoFailover } = this.deps.settings();
    const handshakeTimeout = Math.max(nodeTimeout, 1000);
    this.iteration++;
    // clusterUpdateMyselfFlags: NOFAILOVER follows cluster-replica-no-failover and is
    // announced, so other replicas leave us out of their rank.
    const myFlags = replicaNoFailover ? state.myself.flags | F.NOFAILOVER : state.myself.flags & ~F.NOFAILOVER;
    if (myFlags !== state.myself.flags) {
      state.myself.flags = myFlags;
      state.dirty = true;
    }
    for (const [name, until] of this.blacklist) if (until < now) this.blacklist.delete(name);

    this.pfailNodes = 0;
    for (const node of [...state.nodes.values()]) {
      if (node === state.myself || node.flags & F.NOADDR) continue;
      if (node.flags & F.PFAIL) this.pfailNodes++;
      if (inHandshake(node) && now - node.ctime > handshakeTimeout) {
        this.deleteNode(node);
        continue;
      }
      if (!this.links.has(node)) this.connect(node);
    }

    // About once a second, ping the node with the oldest pong among 5 random picks.
    if (this.iteration % 10 === 0) {
      const candidates = [...state.nodes.values()];
      let oldest: ClusterNode | undefined;
      for (let j = 0; j < 5 && candidates.length > 0; j++) {
        const n = candidates[Math.floor(Math.random() * candidates.length)];
        if (!this.links.has(n) || n.pingSent !== 0) continue;
        if (n === state.myself || inHandshake(n)) continue;
        if (!oldest || n.pongReceived < oldest.pongReceived) oldest = n;
      }
      if (oldest) this.sendPing(this.links.get(oldest)!, MSG.PING);
    }

    let changed = false;
    for (const node of state.nodes.values()) {
      if (node === state.myself || node.flags & (F.NOADDR | F.HANDSHAKE)) continue;
      const link = this.links.get(node);
      const pingDelay = now - node.pingSent;
      const dataDelay = now - node.dataReceived;
      const nodeDelay = Math.min(pingDelay, dataDelay);
      // A link that looks stuck is dropped and reopened on the next tick.
      if (link && now - link.ctime > nodeTimeout && node.pingSent && pingDelay > nodeTimeout / 2 && dataDelay > nodeTimeout / 2) {
        link.close();
      }
      if (link && !link.isClosed && node.pingSent === 0 && now - node.pongReceived > nodeTimeout / 2) {
        this.sendPing(link, MSG.PING);
        continue;
      }
      // A master paused for a manual failover PINGs the replica every cron.
      if (link && !link.isClosed && this.failover.pinging(node)) {
        this.sendPing(link, MSG.PING);
        continue;
      }
      if (node.pingSent === 0) continue;
      if (nodeDelay > nodeTimeout && !(node.flags & (F.PFAIL | F.FAIL))) {
        this.deps.log(`*** NODE ${node.name} possibly failing`);
        node.flags |= F.PFAIL;
        changed = true;
      }
    }
    if (changed) state.dirty = true;
    this.failover.cron();
    state.updateHealth();
    this.deps.save();
  }

  private connect(node: ClusterNode): void {
    let stream: Duplex;
    try {
      stream = this.deps.connect(node.ip, node.cport);
    } catch {
      // clusterNodeCronHandleReconnect: a synchronous connect error claims a PING was
      // sent now, "otherwise failure detection can't work" for a node never reached.
      if (node.pingSent === 0) node.pingSent = this.deps.now();
      return;
    }
    const link = new BusLink(stream, false, node, this.linkEvents, this.deps.now());
    this.links.set(node, link);
    const oldPingSent = node.pingSent;
    this.sendPing(link, node.flags & F.MEET ? MSG.MEET : MSG.PING);
    // Keep the failure-detection clock running across reconnects (cluster.c).
    if (oldPingSent) node.pingSent = oldPingSent;
    node.flags &= ~F.MEET;
  }

  private readonly linkEvents = {
    message: (link: BusLink, msg: BusMessage) => {
      this.process(link, msg);
      this.failover.afterPacket();
    },
    protocolError: (link: BusLink, e: Error) => this.deps.log(`bus: dropping link: ${e.message}`),
    badPacket: (link: BusLink, e: Error) => this.deps.log(`bus: ignoring packet: ${e.message}`),
    closed: (link: BusLink) => {
      this.inbound.delete(link);
      if (link.node && this.links.get(link.node) === link) this.links.delete(link.node);
    },
  };

  // ---- receiving --------------------------------------------------------------------

  /** clusterProcessPacket. */
  private process(link: BusLink, msg: BusMessage): void {
    const { state } = this.deps;
    const h = msg.header;
    const now = this.deps.now();
    const typeName = messageTypeName(h.type);
    this.received.set(typeName, (this.received.get(typeName) ?? 0) + 1);

    let sender = state.lookup(h.sender);
    if (sender && link.inbound && !link.node) link.node = sender;
    if (sender) sender.dataReceived = now;
    if (sender && !inHandshake(sender)) {
      if (h.currentEpoch > state.currentEpoch) {
        state.currentEpoch = h.currentEpoch;
        state.dirty = true;
      }
      if (h.configEpoch > sender.configEpoch) {
        sender.configEpoch = h.configEpoch;
        state.dirty = true;
      }
      sender.replOffset = h.offset;
      this.failover.onHeader(sender, h);
    }

    const isPingLike = h.type === MSG.PING || h.type === MSG.PONG || h.type === MSG.MEET;
    if (h.type === MSG.PING || h.type === MSG.MEET) {
      if (!sender && h.type === MSG.MEET) {
        const ip = h.myip || '127.0.0.1';
        state.add(newClusterNode({ name: randomNodeName(), flags: F.HANDSHAKE, ip, port: h.port, cport: h.cport, ctime: now }));
        this.processGossip(msg, undefined);
      }
      this.sendPing(link, MSG.PONG);
    }

    if (isPingLike) {
      if (!link.inbound && link.node) {
        if (inHandshake(link.node)) {
          if (sender) {
            // Already known under its real name: refresh its address, drop the handshake node.
            this.updateAddress(sender, h);
            this.deleteNode(link.node);
            return;
          }
          this.deps.log(`handshake with ${link.node.ip}:${link.node.port} completed: ${h.sender}`);
          state.rename(link.node, h.sender);
          link.node.flags &= ~F.HANDSHAKE;
          link.node.flags |= h.flags & (F.MASTER | F.SLAVE);
          // Like cluster.c, the rest of this packet is still treated as coming from an
          // unknown sender: roles, epochs and slots are learned from the next one.
        } else if (link.node.name !== h.sender) {
          // The address now answers with another name: forget the address (cluster.c).
          link.node.flags |= F.NOADDR;
          link.node.ip = '';
          link.node.port = 0;
          link.node.cport = 0;
          link.close();
          state.dirty = true;
          return;
        }
      }
      if (sender) sender.flags = (sender.flags & ~F.NOFAILOVER) | (h.flags & F.NOFAILOVER);
      // cluster.c processes ping extensions of a known sender only (clusterProcessPingExt).
      if (sender && !inHandshake(sender) && msg.body.kind === 'ping') this.deps.onPingExts?.(sender.name, msg.body.exts);
      if (sender && h.type === MSG.PING && !inHandshake(sender)) this.updateAddress(sender, h);

      if (!link.inbound && link.node && h.type === MSG.PONG) {
        const n = link.node;
        n.pongReceived = now;
        n.pingSent = 0;
        if (n.flags & F.PFAIL) {
          n.flags &= ~F.PFAIL;
          state.dirty = true;
        } else if (n.flags & F.FAIL) {
          this.clearFailureIfNeeded(n, now);
        }
      }

      if (!sender) return;
      this.updateRole(sender, h);

      const senderMaster = isMaster(sender) ? sender : state.masterOf(sender);
      const claimed = h.myslots;
      const dirtySlots = senderMaster ? !bitmapEquals(state.slotBitmap(senderMaster), claimed) : false;
      if (isMaster(sender) && dirtySlots) this.updateSlotsConfigWith(sender, h.configEpoch, claimed);
      if (dirtySlots) {
        for (let s = 0; s < SLOTS; s++) {
          if (!slotBitmapGet(claimed, s)) continue;
          const owner = state.slots[s];
          if (!owner || owner === sender) continue;
          if (owner.configEpoch > h.configEpoch) {
            this.sendUpdate(this.links.get(sender), owner);
            break;
          }
        }
      }
      if (isMaster(sender) && isMaster(state.myself) && h.configEpoch === state.myself.configEpoch) {
        this.handleEpochCollision(sender);
      }
      this.processGossip(msg, sender);
      return;
    }

    if (h.type === MSG.FAIL && msg.body.kind === 'fail') {
      if (!sender) return;
      const failing = state.lookup(msg.body.nodename);
      if (failing && !(failing.flags & (F.FAIL | F.MYSELF))) {
        this.deps.log(`FAIL message received from ${sender.name} about ${failing.name}`);
        failing.flags |= F.FAIL;
        failing.flags &= ~F.PFAIL;
        failing.failTime = now;
        state.dirty = true;
        state.updateHealth();
      }
      return;
    }

    if (h.type === MSG.UPDATE && msg.body.kind === 'update') {
      if (!sender) return;
      const n = state.lookup(msg.body.nodename);
      if (!n || n.configEpoch >= msg.body.configEpoch) return;
      if (n.flags & F.SLAVE) this.setAsMaster(n);
      n.configEpoch = msg.body.configEpoch;
      this.updateSlotsConfigWith(n, msg.body.configEpoch, msg.body.slots);
      return;
    }

    if (this.failover.onMessage(h, sender, () => this.sendPing(link, MSG.PING))) return;
    this.onOtherMessage?.(link, msg, sender);
  }

  /**
   * clusterSetMaster: myself, without slots, replicates `n` from now on (CLUSTER
   * REPLICATE, or a configuration change when `reconfigured`). Only the cluster state
   * changes; replication follows myself.slaveof (its reconcile step).
   */
  setMaster(n: ClusterNode, reconfigured = false): void {
    const { state } = this.deps;
    const me = state.myself;
    if (n === me) return;
    if (reconfigured) this.deps.log(`Configuration change detected. Reconfiguring myself as a replica of ${n.name}`);
    if (isMaster(me)) {
      me.flags = (me.flags & ~(F.MASTER | F.MIGRATE_TO)) | F.SLAVE;
      state.importing.clear();
      state.migrating.clear();
    }
    me.slaveof = n.name;
    state.dirty = true;
    this.failover.manual.reset();
  }

  /** nodeUpdateAddressIfNeeded: a node that moved keeps its name; reconnect to the new address. */
  private updateAddress(node: ClusterNode, h: BusHeader): void {
    if (node === this.deps.state.myself) return;
    const ip = h.myip || node.ip;
    if (node.ip === ip && node.port === h.port && node.cport === h.cport) return;
    node.ip = ip;
    node.port = h.port;
    node.cport = h.cport;
    this.links.get(node)?.close();
    node.flags &= ~F.NOADDR;
    this.deps.state.dirty = true;
  }

  private updateRole(sender: ClusterNode, h: BusHeader): void {
    const { state } = this.deps;
    if (!h.slaveof) {
      this.setAsMaster(sender);
      return;
    }
    if (isMaster(sender)) {
      for (let s = 0; s < SLOTS; s++) if (state.slots[s] === sender) state.unassignSlot(s);
      sender.flags &= ~(F.MASTER | F.MIGRATE_TO);
      sender.flags |= F.SLAVE;
      state.dirty = true;
    }
    if (state.lookup(h.slaveof) && sender.slaveof !== h.slaveof) {
      sender.slaveof = h.slaveof;
      state.dirty = true;
    }
  }

  private setAsMaster(n: ClusterNode): void {
    if (isMaster(n)) return;
    n.flags &= ~F.SLAVE;
    n.flags |= F.MASTER;
    n.slaveof = null;
    this.deps.state.dirty = true;
  }

  /**
   * clusterUpdateSlotsConfigWith: a master claims slots with a config epoch; it wins
   * every slot whose owner has an older epoch (or none). If we lose slots that still
   * hold keys, those keys are deleted (they belong to the new owner now).
   */
  updateSlotsConfigWith(sender: ClusterNode, senderEpoch: bigint, slots: Uint8Array): void {
    const { state } = this.deps;
    if (sender === state.myself) return;
    const me = state.myself;
    const myMaster = state.shardMaster(me);
    let newMaster: ClusterNode | undefined;
    const dirty: number[] = [];
    let senderSlots = 0;
    let migratedOurSlots = 0;
    for (let s = 0; s < SLOTS; s++) {
      if (!slotBitmapGet(slots, s)) continue;
      senderSlots++;
      const owner = state.slots[s];
      if (owner === sender) continue;
      if (state.importing.has(s)) continue;
      if (!owner || owner.configEpoch < senderEpoch) {
        if (owner === me && this.deps.countKeysInSlot(s) > 0) dirty.push(s);
        if (owner === myMaster) {
          newMaster = sender;
          migratedOurSlots++;
        }
        state.unassignSlot(s);
        state.assignSlot(s, sender);
        state.migrating.delete(s);
      }
    }
    // Our shard (ourselves as a master, or our master) lost its last slot to `sender`:
    // we were failed over, or our master was. Follow the new owner, unless replica
    // migration is off and the sender took more than our shard's slots (cluster.c 7.0).
    const { allowReplicaMigration } = this.deps.settings();
    if (newMaster && myMaster.numSlots === 0 && (allowReplicaMigration || senderSlots === migratedOurSlots)) {
      this.setMaster(newMaster, true);
    } else {
      for (const s of dirty) this.deps.deleteKeysInSlot(s);
    }
    state.dirty = true;
    state.updateHealth();
  }

  /** clusterHandleConfigEpochCollision: the node with the smaller name bumps its epoch. */
  private handleEpochCollision(sender: ClusterNode): void {
    const { state } = this.deps;
    if (sender.name <= state.myself.name) return;
    state.currentEpoch++;
    state.myself.configEpoch = state.currentEpoch;
    state.dirty = true;
    this.deps.log(`WARNING: configEpoch collision with node ${sender.name}. configEpoch set to ${state.currentEpoch}`);
  }

  /** Returns true if the epoch was bumped (CLUSTER SETSLOT NODE after an import). */
  bumpEpochWithoutConsensus(): boolean {
    const { state } = this.deps;
    // clusterGetMaxEpoch counts currentEpoch too.
    const max = state.maxConfigEpoch() > state.currentEpoch ? state.maxConfigEpoch() : state.currentEpoch;
    if (state.myself.configEpoch === 0n || state.myself.configEpoch !== max) {
      state.currentEpoch++;
      state.myself.configEpoch = state.currentEpoch;
      state.dirty = true;
      return true;
    }
    return false;
  }

  /** clusterProcessGossipSection. */
  private processGossip(msg: BusMessage, sender: ClusterNode | undefined): void {
    if (msg.body.kind !== 'ping') return;
    const { state } = this.deps;
    const now = this.deps.now();
    const { nodeTimeout } = this.deps.settings();
    for (const g of msg.body.gossip) {
      const node = state.lookup(g.nodename);
      if (node) {
        if (sender && isMaster(sender) && node !== state.myself) {
          if (g.flags & (F.FAIL | F.PFAIL)) {
            node.failReports.set(sender.name, now);
            this.markFailingIfNeeded(node, now, nodeTimeout);
          } else {
            node.failReports.delete(sender.name);
          }
        }
        // Trust a peer's newer pong time only while we have no ping in flight
        // and nobody reports the node failing (cluster.c, to avoid hiding failures).
        if (!(g.flags & (F.FAIL | F.PFAIL)) && node.pingSent === 0 && node.failReports.size === 0) {
          const pong = g.pongReceived * 1000;
          if (pong <= now + 500 && pong > node.pongReceived) node.pongReceived = pong;
        }
        // A node we cannot reach, seen at another address by a peer that can reach it
        // (the entry itself carries no PFAIL/FAIL, cluster.c 7.0): move to that address.
        if (
          node.flags & (F.FAIL | F.PFAIL) &&
          !(g.flags & (F.NOADDR | F.FAIL | F.PFAIL)) &&
          (node.ip !== g.ip || node.port !== g.port || node.cport !== g.cport)
        ) {
          this.links.get(node)?.close();
          node.ip = g.ip;
          node.port = g.port;
          node.cport = g.cport;
          node.flags &= ~F.NOADDR;
        }
      } else if (sender && !(g.flags & F.NOADDR) && !this.blacklist.has(g.nodename)) {
        // cluster.c 7.0 adds the node under its real name with the announced flags and
        // PINGs it from the next cron (no handshake, no MEET): "we cannot simply start a
        // handshake against this IP/PORT pairs, since IP/PORT can be reused already".
        // The address check is ours: never dial what a malformed entry made up.
        if (!validAddress(g.ip, g.port, g.cport)) continue;
        state.add(newClusterNode({ name: g.nodename, flags: g.flags & ~F.MYSELF, ip: g.ip, port: g.port, cport: g.cport, ctime: now }));
      }
    }
  }

  /** markNodeAsFailingIfNeeded: PFAIL -> FAIL once a majority of masters report it. */
  private markFailingIfNeeded(node: ClusterNode, now: number, nodeTimeout: number): void {
    const { state } = this.deps;
    const quorum = Math.floor(state.size / 2) + 1;
    if (!(node.flags & F.PFAIL) || node.flags & F.FAIL) return;
    for (const [reporter, at] of node.failReports) {
      if (now - at > nodeTimeout * FAIL_REPORT_VALIDITY_MULT) node.failReports.delete(reporter);
    }
    let failures = node.failReports.size;
    if (isMaster(state.myself)) failures++;
    if (failures < quorum) return;
    this.deps.log(`Marking node ${node.name} as failing (quorum reached).`);
    node.flags &= ~F.PFAIL;
    node.flags |= F.FAIL;
    node.failTime = now;
    this.sendFail(node.name);
    state.dirty = true;
    state.updateHealth();
  }

  /** clearNodeFailureIfNeeded: replicas and slot-less masters recover at once, others after a while. */
  private clearFailureIfNeeded(node: ClusterNode, now: number): void {
    const { nodeTimeout } = this.deps.settings();
    if (node.flags & F.SLAVE || node.numSlots === 0 || now - node.failTime > nodeTimeout * FAIL_UNDO_TIME_MULT) {
      this.deps.log(`Clear FAIL state for node ${node.name}: it is reachable again.`);
      node.flags &= ~F.FAIL;
      this.deps.state.dirty = true;
    }
  }
}

function validAddress(ip: string, port: number, cport: number): boolean {
  return isIP(ip) !== 0 && port > 0 && port <= 65535 && cport > 0 && cport <= 65535;
}

function bitmapEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
