import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClientState, CommandSpec } from '../commands/types.js';
import { CommandRegistry } from '../commands/registry.js';
import { ALL_COMMAND_FAMILIES } from '../commands/index.js';
import { Keyspace } from '../store/keyspace.js';
import { ClusterState } from '../topology/state.js';
import { BusEngine } from '../topology/bus-engine.js';
import { F } from '../topology/node-flags.js';
import { loadNodesConf, saveNodesConf } from '../topology/nodes-file.js';
import { type Reply, int } from '../resp/reply.js';
import type { NodeConfig } from './config.js';
import { NodeStats } from './stats.js';
import { ClientConnection } from './connection.js';
import { Dispatcher } from './dispatcher.js';
import { renderInfo } from './info.js';
import { Migrator } from './migrate.js';
import { MigrateOut } from './migrate-out.js';
import { RocksteadySource } from './rocksteady-source.js';
import { RocksteadyDest } from './rocksteady-dest.js';
import type { MigrateRequest, NodeServices, ShutdownOptions } from './services.js';
import { Saver } from '../persistence/saver.js';
import { closeServer, connectTcp, listenTcp } from './listen.js';
import { Replication } from '../replication/replication.js';
import { replicationInfo } from '../replication/info.js';
import { PatchManager } from '../patch/manager.js';
import { StageTable } from '../patch/stages.js';
import { loadTrustedKeys } from '../patch/keys.js';
import { patchInfo } from '../patch/info.js';
import { BUS_HEADER_LEN, KvBusType } from '../bus/constants.js';

export type Logger = (line: string) => void;

/**
 * One cluster node: a keyspace, a command table, the cluster state and its bus.
 *
 *   client port ──> ClientConnection ──> Dispatcher ──> command table ──> Keyspace
 *   bus port    ──> BusLink ──────────> BusEngine  ──> ClusterState ──> nodes.conf
 *
 * `handleClient` and `handleBus` take any Duplex, so tests drive a node through
 * in-memory streams; `start()` adds the TCP listeners.
 */
export class KvNode implements NodeServices {
  readonly runId = randomBytes(20).toString('hex');
  readonly stats = new NodeStats();
  readonly db = new Keyspace();
  readonly registry = new CommandRegistry(ALL_COMMAND_FAMILIES);
  readonly cluster: ClusterState;
  readonly bus: BusEngine;
  readonly replication: Replication;
  /** Stages a live patch may replace besides commands (cluster/patch/stages.ts). */
  readonly stages = new StageTable();
  /** Live patching; undefined with --no-patch-support (the paper's Baseline). */
  readonly patches: PatchManager | undefined;
  private readonly dispatcher: Dispatcher;
  private readonly migrator: Migrator;
  /** KVNETLAB.MIGRATE-OUT (source-based migration out of this node). */
  readonly migrateOut: MigrateOut;
  /** How the node dials another node for MIGRATE-OUT; in-process tests swap in a Duplex pair. */
  connectPeer: (host: string, port: number) => Duplex = connectTcp;
  /** Rocksteady migrations (kvnetlab-only): the source's retained slots, the destination's pulls. */
  readonly rocksteady: { source: RocksteadySource; dest: RocksteadyDest };
  private readonly connections = new Map<number, { client: ClientState; stream: Duplex }>();
  private nextClientId = 1;
  private servers: net.Server[] = [];
  private expireTimer: NodeJS.Timeout | undefined;
  private replTimer: NodeJS.Timeout | undefined;
  /** The client the master's stream runs as, on a replica (Redis' server.master). */
  private readonly masterClient: ClientState;
  private readonly nodesConfPath: string;
  /** A nodes.conf save is scheduled for the end of this event-loop turn (saveClusterConfig). */
  private savePending = false;
  /** SAVE/BGSAVE/LASTSAVE/shutdown save; `saver.loaded` is what the start-up load found. */
  readonly saver: Saver;
  /** Ends the process after SHUTDOWN; the CLI sets it to process.exit, in-process tests leave it. */
  onExit: (code: number) => void = () => undefined;

  constructor(
    readonly config: NodeConfig,
    private readonly log: Logger = () => undefined,
  ) {
    mkdirSync(config.dir, { recursive: true });
    this.nodesConfPath = join(config.dir, 'nodes.conf');
    this.cluster = loadNodesConf(this.nodesConfPath) ?? new ClusterState();
    const me = this.cluster.myself;
    me.ip = config.announceHost;
    me.port = config.announcePort;
    me.cport = config.announceBusPort;
    this.cluster.dirty = true;
    this.bus = new BusEngine({
      state: this.cluster,
      settings: () => this.config,
      connect: connectTcp,
      save: () => this.saveClusterConfig(),
      saveNow: () => this.flushClusterConfig(),
      countKeysInSlot: (slot) => this.db.countInSlot(slot),
      // A slot handed off by a Rocksteady migration keeps its keys for the pulls.
      deleteKeysInSlot: (slot) => {
        if (!this.rocksteady.source.retains(slot)) this.db.deleteSlot(slot);
      },
      replOffset: () => this.replication.offset(),
      // Failover's view of replication (cluster/replication/control.ts).
      masterLinkDownMs: (now) => this.replication.masterLinkDownMs(now),
      pauseWrites: (until) => this.replication.pauseWrites(until),
      resumeWrites: () => this.replication.resumeWrites(),
      log,
      now: () => Date.now(),
      pingExts: (peer) => this.patches?.pingExts(peer) ?? [],
      onPingExts: (sender, exts) => this.patches?.onPing(sender, exts),
    });
    if (config.patchSupport) {
      this.patches = new PatchManager({
        trust: loadTrustedKeys(config.patchTrust),
        codeVersion: config.codeVersion,
        target: {
          registry: this.registry,
          stages: this.stages,
          lookup: (name) => this.registry.lookup(name),
          stage: (name) => this.stages.get(name),
          hasStage: (name) => this.stages.has(name),
        },
        bus: {
          patchPeers: () => this.bus.linkedPeers().filter((n) => this.patches!.supports(n)),
          send: (peer, type, data) => this.bus.sendRaw(peer, type, data),
        },
        log,
        now: () => Date.now(),
      });
      this.bus.onOtherMessage = (_link, msg, sender) => {
        const t = msg.header.type;
        if (!sender || msg.body.kind !== 'raw' || (t !== KvBusType.PATCH && t !== KvBusType.PATCH_REQUEST)) return;
        try {
          this.patches!.onMessage(sender.name, t, msg.body.data, msg.body.data.length + BUS_HEADER_LEN);
        } catch (e) {
          log(`bus: ignoring ${t === KvBusType.PATCH ? 'patch' : 'patch-request'} from ${sender.name.slice(0, 12)}: ${(e as Error).message}`);
        }
      };
    }
    this.migrator = new Migrator(this.db, () => this.now());
    this.migrateOut = new MigrateOut({
      db: this.db,
      connect: (host, port) => this.connectPeer(host, port),
      replicateDel: (keys) => this.replication.propagate('del', [Buffer.from('DEL'), ...keys], int(keys.length)),
      now: () => this.now(),
      log,
    });
    this.rocksteady = this.newRocksteady(log);
    this.masterClient = this.newClient('master', 'master');
    this.replication = new Replication({
      db: this.db,
      cluster: this.cluster,
      settings: () => this.config,
      connect: connectTcp,
      apply: (args) => this.dispatcher.applyFromMaster(this.masterClient, args),
      streamOf: (id) => this.connections.get(id)?.stream,
      log,
      now: () => this.now(),
    });
    this.dispatcher = new Dispatcher({
      registry: this.registry,
      cluster: this.cluster,
      db: this.db,
      services: this,
      stats: this.stats,
      keyLocks: this.migrator,
      outbound: this.migrateOut,
      replication: this.replication,
      rocksteady: this.rocksteady.dest,
    });
    this.saver = new Saver({
      db: this.db,
      path: () => (this.config.dbfilename ? join(this.config.dir, this.config.dbfilename) : undefined),
      replication: () => this.replicationPosition(),
      now: () => this.now(),
      log,
    });
    // rdbLoad before serving: a damaged file throws (SnapshotError) and the node never
    // listens. Expired keys are dropped on a master and kept on a replica, as rdb.c does.
    const loaded = this.saver.load({ dropExpired: (me.flags & F.SLAVE) === 0 });
    // The snapshot's replid/offset: a replica PSYNCs from there, a master keeps them as
    // its second ID so its replicas can continue (replication.ts restore).
    if (loaded) this.replication.restore(loaded.header.replId, loaded.header.replOffset, (me.flags & F.SLAVE) !== 0);
    this.flushClusterConfig();
  }

  /** The replication id and offset a snapshot is stamped with (rdbPopulateSaveInfo). */
  replicationPosition(): { replId: string; replOffset: bigint } {
    return this.replication.position();
  }

  async start(): Promise<void> {
    const { host, port, busPort } = this.config;
    // Half-open: a client that sends its last request and FIN still gets every reply
    // (the connection ends its own side once the queue is answered).
    this.servers.push(
      await listenTcp(host, port, (s) => this.handleClient(s, `${s.remoteAddress}:${s.remotePort}`, `${s.localAddress}:${s.localPort}`), {
        allowHalfOpen: true,
      }),
    );
    this.servers.push(await listenTcp(host, busPort, (s) => this.handleBus(s)));
    this.bus.start();
    // Active expiry, like Redis' hz 10 serverCron: a bounded amount of work per tick.
    this.expireTimer = setInterval(() => this.db.activeExpireCycle(this.now(), 20), 100);
    this.expireTimer.unref?.();
    // replicationCron runs once a second in Redis; 100 ms here so that a role change from
    // the bus (failover, UPDATE) is followed quickly. Timers inside keep Redis' periods.
    this.replTimer = setInterval(() => this.replication.cron(), 100);
    this.replTimer.unref?.();
    this.replication.reconcile();
    this.log(`node ${this.cluster.myself.name} ready: client ${host}:${port}, bus ${host}:${busPort}`);
  }

  async stop(): Promise<void> {
    if (this.savePending) this.flushClusterConfig(); // before the caller may remove the directory
    await this.saver.abortBackground(); // a BGSAVE does not outlive its node (killRDBChild)
    clearInterval(this.expireTimer);
    clearInterval(this.replTimer);
    this.replication.stop();
    this.bus.stop();
    this.migrator.close();
    this.migrateOut.abort();
    this.rocksteady.dest.close();
    for (const { stream } of this.connections.values()) stream.destroy();
    await Promise.all(this.servers.map(closeServer));
    this.servers = [];
  }

  /** The ports actually bound (client, bus): differs from the config when it asked for port 0. */
  listeningPorts(): number[] {
    return this.servers.map((s) => (s.address() as net.AddressInfo).port);
  }

  private newRocksteady(log: Logger): { source: RocksteadySource; dest: RocksteadyDest } {
    const cluster = this.cluster;
    const propagate = (args: Buffer[]) => this.replication.propagate(args[0].toString('latin1').toLowerCase(), args, int(1));
    const settle = () => {
      cluster.updateHealth();
      this.saveClusterConfig();
    };
    const source = new RocksteadySource({
      db: this.db, cluster, now: () => this.now(), propagate, log,
      saveClusterConfig: () => this.saveClusterConfig(),
      claim: () => {
        this.bus.bumpEpochWithoutConsensus();
        this.bus.broadcastPong();
      },
    });
    const dest = new RocksteadyDest({
      db: this.db, cluster, now: () => this.now(), propagate, log, timeoutMs: 5000,
      claim: (slots) => {
        // CLUSTER SETSLOT NODE myself after an import: a fresh epoch, so this claim wins, and a PONG to all.
        this.bus.bumpEpochWithoutConsensus();
        for (const s of slots) {
          cluster.unassignSlot(s);
          cluster.assignSlot(s, cluster.myself);
        }
        settle();
        this.bus.broadcastPong();
      },
      giveBack: (slots, owner) => {
        const n = cluster.lookup(owner);
        if (!n) return;
        for (const s of slots) {
          cluster.unassignSlot(s);
          cluster.assignSlot(s, n);
        }
        settle();
      },
    });
    return { source, dest };
  }

  private newClient(addr: string, laddr: string): ClientState {
    return {
      id: this.nextClientId++,
      name: '',
      resp: 2,
      asking: false,
      readonly: false,
      addr,
      laddr,
      createdAt: Date.now(),
      lastCommand: '',
      closeAfterReply: false,
    };
  }

  handleClient(stream: Duplex, addr = 'memory:0', laddr = 'memory:0'): ClientState {
    const client = this.newClient(addr, laddr);
    this.stats.totalConnectionsReceived++;
    this.connections.set(client.id, { client, stream });
    new ClientConnection(stream, client, {
      dispatch: (c, args) => this.dispatcher.dispatch(c, args),
      stats: this.stats,
      maxBulkLen: this.config.protoMaxBulkLen,
      beforeReply: () => {
        if (this.savePending) this.flushClusterConfig();
      },
      onClose: (c) => {
        this.connections.delete(c.id);
        this.replication.clientClosed(c.id);
      },
    });
    return client;
  }

  handleBus(stream: Duplex): void {
    this.bus.acceptInbound(stream);
  }

  // ---- NodeServices ----------------------------------------------------------------

  now(): number {
    return Date.now();
  }

  /**
   * nodes.conf is written once per batch of work, however many commands and bus
   * messages changed the topology in it, and before any reply to them is written: Redis
   * 7.0 does the same (SETSLOT and the bus set CLUSTER_TODO_SAVE_CONFIG; beforeSleep
   * saves and fsyncs once, then writes the clients' pending replies). Here the save runs
   * before a connection writes a batch's replies (beforeReply), else at the end of the
   * event-loop turn (bus messages). Saving per call cost an fsync (about 5 ms) per
   * CLUSTER SETSLOT: most of a 100-slot migration's time, pipelined or not. Startup and
   * SHUTDOWN save at once (flushClusterConfig).
   */
  saveClusterConfig(): void {
    if (!this.savePending) {
      this.savePending = true;
      setImmediate(() => this.flushClusterConfig());
    }
    // The topology may have changed our role (REPLICATE, failover, UPDATE): follow it
    // once the command or bus message that changed it is done.
    if (this.replication) queueMicrotask(() => this.replication.reconcile());
  }

  /** Writes nodes.conf now if the topology changed since the last save. */
  flushClusterConfig(): void {
    this.savePending = false;
    if (this.cluster.dirty) saveNodesConf(this.nodesConfPath, this.cluster);
  }

  clients(): ClientState[] {
    return [...this.connections.values()].map((c) => c.client);
  }

  killClient(id: number): boolean {
    const conn = this.connections.get(id);
    conn?.stream.destroy();
    return conn !== undefined;
  }

  commandTable(): CommandSpec[] {
    return this.registry.all();
  }

  info(sections: string[]): string {
    return renderInfo(sections, {
      runId: this.runId,
      config: this.config,
      stats: this.stats,
      cluster: this.cluster,
      connectedClients: this.connections.size,
      keys: this.db.size(),
      expires: this.db.keysWithExpire,
      usedMemory: this.db.usedMemoryBytes(),
      replication: () => replicationInfo(this.replication, this.cluster, this.now()),
      repl: this.replication,
      persistence: () => this.saver.info(),
      patches: () => patchInfo(this.patches, this.config.codeVersion),
    });
  }

  /** server.c prepareForShutdown: stop a BGSAVE, save if asked, write nodes.conf, close, exit. */
  async shutdown(opts: ShutdownOptions): Promise<string | undefined> {
    const save = opts.save ?? this.config.dbfilename !== '';
    await this.saver.abortBackground(); // killRDBChild
    if (save) {
      try {
        this.saver.save();
      } catch (e) {
        this.log(`Error trying to save the DB, can't exit: ${(e as Error).message}`);
        if (!opts.force) return 'ERR Errors trying to SHUTDOWN. Check logs.';
      }
    }
    this.flushClusterConfig();
    await this.stop();
    this.log('ready to exit, bye bye');
    this.onExit(0);
    return undefined;
  }

  migrate(req: MigrateRequest): Promise<Reply> {
    return this.migrator.migrate(req);
  }

  get isReplica(): boolean {
    return (this.cluster.myself.flags & F.SLAVE) !== 0;
  }
}
