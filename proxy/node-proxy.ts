import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { RowSink, TrafficRow } from '../telemetry/rows.js';
import { link } from './link.js';
import { BUCKET_MS, DIRECTIONS, type ListenerKind, bucketOf } from './names.js';
import { ClientSwitch } from './route/client-switch.js';
import type { Dest } from './route/proxy-migration.js';
import { RouteHub } from './route/route-hub.js';
import { Session } from './session.js';

/**
 * The proxy core for one node: listener -> link -> counters -> sink (STYLE.md 7).
 * It takes accepted downstream Duplexes and a function that opens the upstream one, so
 * unit tests run it on in-memory pairs and listen.ts is the only part that knows TCP.
 *
 * Every `flushEveryMs` the buckets that have ended are merged per (peer, channel,
 * direction, msg_type) and written to the sink; a closed connection's last buckets go
 * out on the next tick. Nothing waits for a close.
 */
export interface ProxyMetricsHook {
  rows(rows: TrafficRow[]): void;
  connections(kind: ListenerKind, delta: 1 | -1): void;
}

export interface NodeProxyOptions {
  runId: string;
  /** The node's name if known up front; otherwise learned from its bus frames. */
  nodeName?: string;
  /** The address clients use for this node (host:port): the row label until a name is known. */
  publicAddress: string;
  connectUpstream(kind: ListenerKind): Duplex;
  sink: RowSink;
  metrics?: ProxyMetricsHook;
  now?: () => number;
  /** Timer period; 0 = no timer (tests call tick()). */
  flushEveryMs?: number;
  /** A client connection that sent only PING/AUTH this long counts as `client`; a bus peer that sent no header is labelled by address. */
  undecidedMs?: number;
  log?: (line: string) => void;
  /** A migration's destination (its public address, i.e. its proxy); default TCP. */
  connectDest?(dest: Dest): Duplex;
}

export class NodeProxy {
  private readonly sessions = new Set<Session>();
  /** `${ip}:${announced client port}` -> node name, from peers' bus headers. */
  private readonly peers = new Map<string, string>();
  private learnedName?: string;
  private readonly timer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly undecidedMs: number;
  accepted = 0;
  /** Routing while this node is a migration's source (route/, driven by KVNETLAB.PROXY). */
  readonly routes: RouteHub;

  constructor(private readonly o: NodeProxyOptions) {
    this.now = o.now ?? Date.now;
    this.undecidedMs = o.undecidedMs ?? 2000;
    this.routes = new RouteHub(o.log ?? (() => undefined));
    const every = o.flushEveryMs ?? BUCKET_MS;
    if (every > 0) {
      this.timer = setInterval(() => this.tick(), every);
      this.timer.unref();
    }
  }

  get nodeLabel(): string {
    return this.o.nodeName ?? this.learnedName ?? this.o.publicAddress;
  }

  /** Relay one accepted downstream connection to a new upstream connection. */
  handle(kind: ListenerKind, downstream: Duplex, peerIp: string, peerPort: number): Session {
    const log = this.o.log ?? (() => undefined);
    const s = new Session(kind, peerIp, peerPort, {
      now: this.now,
      bucketOf,
      learnPeer: (ip, port, name) => this.peers.set(`${ip}:${port}`, name),
      learnNode: (name) => {
        if (this.learnedName === undefined) this.learnedName = name;
      },
      log,
    });
    this.sessions.add(s);
    this.accepted++;
    this.o.metrics?.connections(kind, 1);
    const closed = () => {
      s.close();
      s.link = undefined;
      this.o.metrics?.connections(kind, -1);
    };
    if (kind === 'bus') {
      const upstream = this.o.connectUpstream(kind);
      s.link = link(downstream, upstream, { fromDown: (c) => s.fromDown(c), fromUp: (c) => s.fromUp(c), closed });
      return s;
    }
    const sw: ClientSwitch = new ClientSwitch(s, downstream, {
      hub: this.routes,
      openUp: () => this.o.connectUpstream(kind),
      linkUp: (up) => link(downstream, up, {
        fromDown: (c) => sw.fromDown(c),
        fromUp: (c) => sw.fromUp(c),
        closed: () => {
          sw.closed();
          this.routes.switches.delete(sw);
          closed();
        },
      }),
      connectDest: this.o.connectDest ?? ((d) => net.connect({ host: d.host, port: d.port, noDelay: true })),
      log,
    });
    this.routes.switches.add(sw);
    return s;
  }

  /** Open connections and bytes held in this process for them. */
  stats(): { sessions: number; open: number; bufferedBytes: number } {
    let open = 0;
    let buffered = 0;
    for (const s of this.sessions) {
      if (s.link) {
        open++;
        buffered += s.link.bufferedBytes();
      }
    }
    return { sessions: this.sessions.size, open, bufferedBytes: buffered };
  }

  /** Emit every ended bucket (all buckets with `final`) of every session that is ready. */
  tick(final = false): TrafficRow[] {
    const now = this.now();
    const current = final ? Infinity : bucketOf(now);
    const merged = new Map<string, TrafficRow>();
    for (const s of this.sessions) {
      const overdue = now - s.openedAt >= this.undecidedMs;
      if (s.state === 'undecided') {
        if (!overdue && !final) continue;
        s.decide('client');
      }
      if (s.kind === 'bus' && s.peerName === undefined && !overdue && !s.closed && !final) continue;
      const buckets = s.tally.takeBefore(s.closed ? Infinity : current);
      if (s.closed && s.tally.empty) this.sessions.delete(s);
      if (buckets.length === 0) continue;
      const peer = this.peerOf(s);
      for (const b of buckets) {
        for (const [msgType, cell] of b.cells) {
          for (const dir of [0, 1] as const) {
            if (cell[dir] === 0 && cell[dir + 2] === 0) continue;
            const key = `${b.ts}\0${peer}\0${s.channel}\0${dir}\0${msgType}`;
            const row = merged.get(key);
            if (row) {
              row.bytes += cell[dir];
              row.messages += cell[dir + 2];
            } else {
              merged.set(key, {
                run_id: this.o.runId,
                ts_ms: b.ts,
                source: 'proxy',
                node: this.nodeLabel,
                peer,
                channel: s.channel,
                direction: DIRECTIONS[dir],
                msg_type: msgType,
                bytes: cell[dir],
                messages: cell[dir + 2],
                wire_bytes: 0,
                retransmits: 0,
              });
            }
          }
        }
      }
    }
    const rows = [...merged.values()];
    if (rows.length > 0) {
      this.o.sink.write('traffic', rows);
      this.o.metrics?.rows(rows);
    }
    return rows;
  }

  /**
   * Stop relaying: destroy every connection and hand every count to the sink. The
   * sink's owner closes it after this (with its own bounded wait): a flush here would
   * wait without limit while the store is away.
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.sessions) s.link?.destroy();
    // 'close' events of destroyed streams come on the next ticks of the event loop.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    for (const s of this.sessions) if (!s.closed) s.close();
    this.tick(true);
  }

  private peerOf(s: Session): string {
    if (s.kind === 'bus') return s.peerName ?? s.peerAddress;
    if (s.state === 'replication' && s.replicaPort !== undefined) {
      const addr = `${s.replicaIp ?? s.peerIp}:${s.replicaPort}`;
      return this.peers.get(addr) ?? addr;
    }
    return s.peerAddress;
  }
}
