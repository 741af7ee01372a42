import { BusFrameScanner } from '../cluster/bus/scanner.js';
import type { Channel } from '../telemetry/rows.js';
import type { Link } from './link.js';
import { busMsgName, type DirIndex, type ListenerKind, RECEIVED, SENT } from './names.js';
import { RespSniffer } from './resp-sniffer.js';
import { Tally } from './tally.js';

/**
 * One proxied connection and what the proxy knows about it. Client-port connections
 * start `undecided` and become `replication` at the first REPLCONF / PSYNC / SYNC, or
 * `client` at the first other command (replication.c syncWithMaster sends only PING and
 * AUTH before REPLCONF). Bytes counted while undecided are held, not flushed, so they
 * end up under the channel decided later. Bus-port connections are `bus` from the start.
 * Slot migration between nodes is `migration`: MIGRATE's own connection (cluster.c
 * migrateCommand opens it with RESTORE-ASKING, after AUTH if any), the migration
 * coordinator's (migration/node-link.ts: CLIENT SETNAME kvnetlab-migration first) and its
 * control connection to the proxy itself (KVNETLAB.PROXY first, route/control.ts).
 *
 *   undecided ──REPLCONF/PSYNC/SYNC──> replication
 *       ├──RESTORE-ASKING, CLIENT SETNAME kvnetlab-migration──> migration
 *       └──────other command, close, timeout──> client
 */
export type SessionState = 'undecided' | 'client' | 'replication' | 'bus' | 'migration';

const LEGAL: Record<SessionState, readonly SessionState[]> = {
  undecided: ['client', 'replication', 'migration'],
  client: [],
  replication: [],
  bus: [],
  migration: [],
};

/** CLIENT SETNAME value of the migration coordinator's connections (migration/node-link.ts). */
export const MIGRATION_CLIENT_NAME = 'kvnetlab-migration';

/** The proxy's own command (route/control.ts): a connection opened with it talks to the proxy, never the node. */
export const PROXY_COMMAND = 'KVNETLAB.PROXY';

/** What a session needs from its proxy (narrow, STYLE.md 9). */
export interface SessionEnv {
  now(): number;
  bucketOf(ms: number): number;
  /** A peer's bus header said: sender `name` announces client port `port`. */
  learnPeer(ip: string, port: number, name: string): void;
  /** The node's own bus header said its name. */
  learnNode(name: string): void;
  log(line: string): void;
}

// HELLO: ioredis 6 opens every connection with HELLO 3, before CLIENT SETNAME.
const HANDSHAKE_PREFIX = new Set(['PING', 'AUTH', 'HELLO']);
const REPLICATION_COMMANDS = new Set(['REPLCONF', 'PSYNC', 'SYNC']);

export class Session {
  state: SessionState;
  readonly tally = new Tally();
  readonly openedAt: number;
  closed = false;
  link?: Link;
  /** Bus: the sender name in the peer's frames. */
  peerName?: string;
  /** Replication: REPLCONF listening-port / ip-address. */
  replicaPort?: number;
  replicaIp?: string;
  /** The name of the first command seen (the proxy answers a connection opened with KVNETLAB.PROXY itself). */
  firstCommand?: string;
  private sniffer?: RespSniffer;
  private downScanner?: BusFrameScanner;
  private upScanner?: BusFrameScanner;
  /**
   * The bucket of the chunk a scanner is reading: taken once per chunk, so a frame's
   * bytes and its count land in the same bucket (two clock reads a few µs apart could
   * straddle a 100 ms boundary and leave a row with 1 message and 0 bytes).
   */
  private chunkBucket = 0;

  constructor(
    readonly kind: ListenerKind,
    /** The downstream's ip and port. */
    readonly peerIp: string,
    readonly peerPort: number,
    private readonly env: SessionEnv,
  ) {
    this.openedAt = env.now();
    this.state = kind === 'bus' ? 'bus' : 'undecided';
    if (kind === 'bus') {
      this.downScanner = this.scanner(RECEIVED, (name, port) => {
        if (this.peerName === undefined) {
          this.peerName = name;
          env.learnPeer(peerIp, port, name);
        }
      });
      this.upScanner = this.scanner(SENT, (name) => env.learnNode(name));
    } else {
      this.sniffer = new RespSniffer({
        onCommand: (args) => this.onCommand(args),
        onMalformed: () => {
          this.firstCommand ??= '';
          this.decide('client');
        },
      });
    }
  }

  get peerAddress(): string {
    return `${this.peerIp}:${this.peerPort}`;
  }

  get channel(): Channel {
    return this.state === 'undecided' || this.state === 'client' ? 'client' : this.state;
  }

  /** Bytes read from downstream (the node receives them). */
  fromDown(chunk: Buffer): void {
    if (this.downScanner) return this.scan(this.downScanner, chunk);
    this.countDown(chunk);
    this.sniff(chunk);
  }

  /** Counts bytes the node receives, without classifying (a routed connection re-encodes what it sends). */
  countDown(chunk: Buffer): void {
    this.tally.add(this.env.bucketOf(this.env.now()), RECEIVED, '', chunk.length, 0);
  }

  /** Classifies by the commands in `chunk`, without counting (bytes held at the gate, route/client-switch.ts). */
  sniff(chunk: Buffer): void {
    if (this.sniffer) this.sniffer.write(chunk);
  }

  /** Classifies by one decoded command (a routed connection sees commands, not the node's bytes). */
  observe(args: Buffer[]): void {
    if (!this.sniffer) return;
    if (!this.onCommand(args.slice(0, 3).map((a) => a.toString('latin1', 0, 32)))) this.sniffer = undefined;
  }

  /** Bytes read from upstream (the node sent them). */
  fromUp(chunk: Buffer): void {
    if (this.upScanner) return this.scan(this.upScanner, chunk);
    this.tally.add(this.env.bucketOf(this.env.now()), SENT, '', chunk.length, 0);
  }

  /** Both sides closed: bytes a scanner still held (a frame cut short) count as unknown. */
  close(): void {
    this.chunkBucket = this.env.bucketOf(this.env.now());
    this.downScanner?.end();
    this.upScanner?.end();
    this.closed = true;
    if (this.state === 'undecided') this.decide('client');
  }

  transition(to: SessionState): void {
    if (!LEGAL[this.state].includes(to)) throw new Error(`session ${this.peerAddress}: illegal transition ${this.state} -> ${to}`);
    this.env.log(`${this.kind} connection ${this.peerAddress}: ${this.state} -> ${to}`);
    this.state = to;
  }

  decide(to: 'client' | 'replication' | 'migration'): void {
    if (this.state === 'undecided') this.transition(to);
    if (to !== 'replication') this.sniffer = undefined;
  }

  private onCommand(args: string[]): boolean {
    const name = (args[0] ?? '').toUpperCase();
    this.firstCommand ??= name;
    if (this.state === 'undecided' && HANDSHAKE_PREFIX.has(name)) return true;
    const migration = name === 'RESTORE-ASKING' || name === PROXY_COMMAND || (name === 'CLIENT' && (args[1] ?? '').toUpperCase() === 'SETNAME' && args[2] === MIGRATION_CLIENT_NAME);
    if (this.state === 'undecided' && migration) {
      this.decide('migration');
      return false;
    }
    if (!REPLICATION_COMMANDS.has(name)) {
      if (this.state === 'undecided') this.decide('client');
      this.sniffer = undefined;
      return false;
    }
    this.decide('replication');
    const opt = (args[1] ?? '').toLowerCase();
    if (name === 'REPLCONF' && opt === 'listening-port') this.replicaPort = Number(args[2]);
    if (name === 'REPLCONF' && opt === 'ip-address') this.replicaIp = args[2];
    // PSYNC ends the handshake; what follows is the replica's REPLCONF ACKs only.
    if (name !== 'REPLCONF') this.sniffer = undefined;
    return name === 'REPLCONF';
  }

  private scan(scanner: BusFrameScanner, chunk: Buffer): void {
    this.chunkBucket = this.env.bucketOf(this.env.now());
    scanner.write(chunk);
  }

  private scanner(dir: DirIndex, onSender: (name: string, port: number) => void): BusFrameScanner {
    return new BusFrameScanner({
      onSegment: (type, bytes) => this.tally.add(this.chunkBucket, dir, busMsgName(type), bytes, 0),
      onFrame: (type) => this.tally.add(this.chunkBucket, dir, busMsgName(type), 0, 1),
      onSender,
    });
  }
}
