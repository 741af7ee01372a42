import type { Duplex } from 'node:stream';
import { encodeCommand } from '../resp/encode.js';
import type { Reply } from '../resp/reply.js';
import type { Keyspace } from '../store/keyspace.js';
import type { ClusterState } from '../topology/state.js';
import { F } from '../topology/node-flags.js';
import type { ReplicationControl } from './control.js';
import { ReplHistory } from './history.js';
import { MasterLink } from './master-link.js';
import { ReplicaFeeds, type ReplconfSettings } from './replica-feeds.js';
import { propagatedForm } from './rewrite.js';
import { WritePause } from './write-pause.js';

/** The settings replication reads, under NodeConfig's names (config.ts). */
export interface ReplicationSettings {
  announcePort: number;
  replBacklogSize: number;
  /** repl-ping-replica-period, seconds. */
  replPingReplicaPeriod: number;
  /** repl-timeout, seconds. */
  replTimeout: number;
}

export interface ReplicationDeps {
  db: Keyspace;
  cluster: ClusterState;
  settings(): ReplicationSettings;
  connect(host: string, port: number): Duplex;
  /** Runs a command of the master's stream through the command table (no reply, no redirection). */
  apply(args: Buffer[]): void;
  /** The connection of a client, for PSYNC to stream into. */
  streamOf(clientId: number): Duplex | undefined;
  log(line: string): void;
  now(): number;
}

/** CONFIG_REPL_BACKLOG_MIN_SIZE (server.h). */
const MIN_BACKLOG = 16 * 1024;
const SELECT_0 = encodeCommand(['SELECT', '0']);
const PING = encodeCommand(['PING']);
const GETACK = encodeCommand(['REPLCONF', 'GETACK', '*']);

/**
 * A node's replication: its history (replid, offsets, backlog), the replicas it feeds
 * (replica-feeds.ts), and its link to its own master when it is a replica
 * (master-link.ts). The role is not decided here: `reconcile()` follows the cluster
 * topology (myself.slaveof), so failover code changes only the topology.
 */
export class Replication implements ReplicationControl {
  readonly history = new ReplHistory();
  readonly feeds: ReplicaFeeds;
  readonly pause: WritePause;
  link: MasterLink | undefined;
  /** Bytes of replication traffic: INFO total_net_repl_input_bytes / _output_bytes. */
  inputBytes = 0;
  outputBytes = 0;
  private readonly replconf = new Map<number, ReplconfSettings>();
  /** Per client: the stream offset after its last propagated write (Redis' c->woff), for WAIT. */
  private readonly writeOffsets = new Map<number, number>();
  /** repl_down_since: 0 until the first link came up, as in replicationSetMaster. */
  private downSinceMs = 0;
  private linkWasUp = false;
  private historyValid = true;
  private fullSync: { replid: string; offset: number } | undefined;
  private lastAckMs = 0;
  private lastPingMs = 0;
  private lastConnectMs = 0;

  constructor(private readonly deps: ReplicationDeps) {
    this.pause = new WritePause(deps.now);
    this.feeds = new ReplicaFeeds({
      history: this.history,
      db: deps.db,
      backlogSize: () => this.backlogSize(),
      now: deps.now,
      log: deps.log,
      countOutput: (n) => (this.outputBytes += n),
    });
    deps.db.observe((key, e) => {
      if (e.expireAt !== undefined && e.expireAt <= deps.now()) this.expired(key);
    });
  }

  // ---- ReplicationControl ------------------------------------------------------

  offset(): bigint {
    return BigInt(this.history.offset);
  }

  masterLinkDownMs(nowMs: number): number {
    if (this.link?.state === 'connected') return 0;
    return nowMs - this.downSinceMs;
  }

  pauseWrites(untilMs: number): void {
    this.pause.pause(untilMs);
  }

  resumeWrites(): void {
    this.pause.resume();
  }

  /** A replica loading its master's snapshot: clients get -LOADING meanwhile. */
  get loading(): boolean {
    return this.link?.loading ?? false;
  }

  /** What a snapshot of this node is stamped with (rdbPopulateSaveInfo). */
  position(): { replId: string; replOffset: bigint } {
    return { replId: this.history.replid, replOffset: BigInt(this.history.offset) };
  }

  /**
   * A node started from its snapshot continues that history (server.c loadDataFromDisk).
   * A replica takes the snapshot's repl-id / repl-offset as its own (the cached master),
   * so it can PSYNC partially. A master keeps them as its second ID, valid up to
   * offset + 1, with a backlog starting there, so its replicas can continue with it.
   */
  restore(replId: string, replOffset: bigint, asReplica = true): void {
    const h = this.history;
    if (asReplica) {
      h.replid = replId;
      h.offset = Number(replOffset);
    } else {
      h.replid2 = replId;
      h.secondReplOffset = Number(replOffset) + 1;
      h.offset = Number(replOffset);
      h.createBacklog(this.backlogSize());
    }
    this.historyValid = true;
  }

  // ---- the stream --------------------------------------------------------------

  /** After a write command succeeded on this master: its propagated form into the stream. */
  propagate(name: string, args: Buffer[], reply: Reply, clientId?: number): void {
    if (this.link) return; // a replica's stream comes from its master only
    const h = this.history;
    if (!h.backlog && this.feeds.replicas.size === 0) return; // replicationFeedSlaves: nobody to feed
    const forms = propagatedForm(name, args, reply, this.deps.now());
    if (forms.length === 0) return;
    this.syncBacklogSize();
    for (const f of forms) this.feedCommand(f);
    if (clientId !== undefined) this.writeOffsets.set(clientId, h.offset);
  }

  /**
   * A key found expired is about to be removed (lazily by a command, or by the active
   * expire cycle): the replicas get a DEL, before the command that found it, as
   * db.c expireIfNeeded -> propagateDeletion does. Replicas never expire on their own
   * account in Redis; here they also expire by the same absolute deadlines.
   */
  private expired(key: string): void {
    if (this.link || (!this.history.backlog && this.feeds.replicas.size === 0)) return;
    this.feedCommand([Buffer.from('DEL'), Buffer.from(key, 'latin1')]);
  }

  private feedCommand(args: Buffer[]): void {
    if (this.history.needSelect) {
      this.history.needSelect = false;
      this.feeds.feed(SELECT_0);
    }
    this.feeds.feed(encodeCommand(args));
  }

  /** Holds a normal client's write while a manual failover pauses writes. */
  writesPaused(): Promise<void> | undefined {
    return this.pause.wait();
  }

  // ---- role ----------------------------------------------------------------------

  /**
   * Makes the replication state follow the topology: connect to myself.slaveof's
   * announced address, or, promoted to master, stop replicating and shift the history
   * (replication.c replicationSetMaster / replicationUnsetMaster).
   */
  reconcile(): void {
    const me = this.deps.cluster.myself;
    const master = me.flags & F.SLAVE && me.slaveof ? this.deps.cluster.lookup(me.slaveof) : undefined;
    if (me.flags & F.SLAVE) {
      if (!master || !master.ip || !master.port) return; // not known yet: next cron
      const target = `${master.ip}:${master.port}`;
      if (this.link && this.link.target === target) return;
      if (this.link) this.link.close('Master changed');
      else this.deps.log(`Connecting to MASTER ${target}`);
      this.connect(master.ip, master.port);
      return;
    }
    if (this.link) {
      this.link.close('Became master: stopped replicating');
      this.link = undefined;
      if (this.historyValid) {
        this.history.shift();
        this.deps.log(`Setting secondary replication ID to ${this.history.replid2}, valid up to offset: ${this.history.secondReplOffset}. New replication ID is ${this.history.replid}`);
      } else this.history.restart();
      this.history.needSelect = true;
      this.feeds.dropAll();
    }
  }

  private connect(host: string, port: number): void {
    this.lastConnectMs = this.deps.now();
    const db = this.deps.db;
    this.link = new MasterLink(host, port, {
      connect: this.deps.connect,
      listeningPort: this.deps.settings().announcePort,
      psyncFrom: () => (this.historyValid ? { replid: this.history.replid, offset: this.history.offset + 1 } : { replid: '?', offset: -1 }),
      onFullSync: (replid, offset) => {
        this.historyValid = false;
        this.fullSync = { replid, offset };
        this.feeds.dropAll(); // replicationAttachToNewMaster: our replicas must resync too
        db.flush();
      },
      // onFullSync flushed db: every key is new, unless the master sent one twice (then the last wins, as set() did).
      loadEntry: (key, value, expireAt) => db.load(key, value, expireAt) || db.set(key, value, { expireAt }),
      onLoaded: () => {
        const { replid, offset } = this.fullSync!;
        this.history.adopt(replid, offset, this.backlogSize());
        this.historyValid = true;
        this.deps.log(`MASTER <-> REPLICA sync: Finished with success: ${db.size()} keys`);
      },
      // Like Redis' diskless load on an empty db (readSyncBulkPayload): a transfer that
      // fails half way leaves no half-loaded keyspace behind to be served; the next
      // attempt is a full sync again (historyValid is false since onFullSync).
      onLoadFailed: (why) => {
        db.flush();
        this.deps.log(`MASTER <-> REPLICA sync: Failed trying to load the MASTER synchronization DB from socket (${why}): keyspace emptied`);
      },
      onContinue: (replid) => {
        if (replid && replid !== this.history.replid) {
          this.history.shift(replid);
          this.feeds.dropAll();
        }
        if (!this.history.backlog) this.history.createBacklog(this.backlogSize());
      },
      apply: (args, raw) => {
        this.deps.apply(args);
        this.feeds.feed(raw);
      },
      processedOffset: () => this.history.offset,
      countInput: (n) => (this.inputBytes += n),
      log: this.deps.log,
      now: this.deps.now,
    });
  }

  // ---- timers (the node's 100 ms cron calls this; replication.c replicationCron) ----

  cron(): void {
    const now = this.deps.now();
    const s = this.deps.settings();
    this.reconcile();
    const link = this.link;
    if (link) {
      if (link.state === 'connected') this.linkWasUp = true;
      else if (this.linkWasUp) {
        this.linkWasUp = false;
        this.downSinceMs = now;
      }
      if (link.state !== 'connected' && link.state !== 'closed' && now - link.lastIoMs > s.replTimeout * 1000) link.close('Timeout connecting to the MASTER...');
      if (link.state === 'closed') {
        if (now - this.lastConnectMs >= 1000) this.connect(link.host, link.port);
      } else if (now - this.lastAckMs >= 1000) {
        this.lastAckMs = now;
        link.sendAck();
      }
    }
    // A PING every repl-ping-replica-period, unless writes are paused for a failover:
    // the offsets must stay still while the replica catches up.
    if (this.feeds.replicas.size > 0 && now - this.lastPingMs >= s.replPingReplicaPeriod * 1000 && !this.pause.paused) {
      this.lastPingMs = now;
      this.feeds.feed(PING);
    }
    for (const r of [...this.feeds.replicas.values()]) {
      if (r.state === 'online' && now - r.ackTimeMs > s.replTimeout * 1000) this.feeds.drop(r.clientId);
    }
  }

  stop(): void {
    this.link?.close('node stopping');
    this.link = undefined;
    this.feeds.dropAll();
    this.pause.resume();
  }

  // ---- commands (commands.ts) ------------------------------------------------------

  replconfSet(clientId: number, update: Partial<ReplconfSettings>): void {
    const cur = this.replconf.get(clientId) ?? { listeningPort: 0, capaEof: false, capaPsync2: false };
    this.replconf.set(clientId, { ...cur, ...update });
  }

  psync(clientId: number, addr: string, replid: string, from: number): { reply: string; after: () => void } | string {
    if (this.link && this.link.state !== 'connected') return "NOMASTERLINK Can't SYNC while not connected with my master";
    const stream = this.deps.streamOf(clientId);
    if (!stream) return 'ERR no connection';
    const conf = this.replconf.get(clientId) ?? { listeningPort: 0, capaEof: false, capaPsync2: false };
    this.syncBacklogSize();
    const ip = addr.slice(0, addr.lastIndexOf(':'));
    return this.feeds.psync(clientId, stream, ip, conf, replid, from);
  }

  ack(clientId: number, offset: number): void {
    this.feeds.ack(clientId, offset);
  }

  clientClosed(clientId: number): void {
    this.replconf.delete(clientId);
    this.writeOffsets.delete(clientId);
    if (this.feeds.replicas.has(clientId)) this.feeds.drop(clientId);
  }

  /** WAIT numreplicas timeout (replication.c waitCommand): replicas that have this client's writes. */
  wait(clientId: number, numReplicas: number, timeoutMs: number): Reply | Promise<Reply> {
    const target = this.writeOffsets.get(clientId) ?? 0;
    const acked = this.feeds.countAcked(target);
    if (acked >= numReplicas || this.feeds.replicas.size === 0) return { t: 'int', v: acked };
    this.feeds.feed(GETACK); // replicationRequestAckFromSlaves, once per event loop in Redis
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        off();
        clearTimeout(timer);
        resolve({ t: 'int', v: this.feeds.countAcked(target) });
      };
      const off = this.feeds.onAck(() => {
        if (this.feeds.countAcked(target) >= numReplicas) finish();
      });
      if (timeoutMs > 0) timer = setTimeout(finish, timeoutMs);
    });
  }

  configuredBacklogSize(): number {
    return this.backlogSize();
  }

  private backlogSize(): number {
    return Math.max(MIN_BACKLOG, this.deps.settings().replBacklogSize);
  }

  /** CONFIG SET repl-backlog-size takes effect on the next write (resizeReplicationBacklog). */
  private syncBacklogSize(): void {
    const b = this.history.backlog;
    if (b && b.size !== this.backlogSize()) b.resize(this.backlogSize());
  }
}
