import type { Duplex } from 'node:stream';
import type { Keyspace } from '../store/keyspace.js';
import type { ReplHistory } from './history.js';
import { startSnapshot } from '../persistence/index.js';
import { sendSnapshot } from './snapshot-sender.js';

/** replication.c SLAVE_STATE_*: what the master is doing for one replica. */
export type ReplicaState = 'wait_bgsave_end' | 'send_bulk' | 'wait_ack' | 'online';

export interface ReplicaHandle {
  clientId: number;
  stream: Duplex;
  ip: string;
  listeningPort: number;
  capaEof: boolean;
  capaPsync2: boolean;
  state: ReplicaState;
  /** The stream from the snapshot's offset on, held until the replica has loaded it. */
  pending: Buffer[];
  ackOffset: number;
  ackTimeMs: number;
}

/** Replica settings a connection sets with REPLCONF before PSYNC. */
export interface ReplconfSettings {
  listeningPort: number;
  capaEof: boolean;
  capaPsync2: boolean;
}

export interface FeedDeps {
  history: ReplHistory;
  db: Keyspace;
  backlogSize(): number;
  now(): number;
  log(line: string): void;
  countOutput(bytes: number): void;
}

export interface SyncCounters {
  syncFull: number;
  syncPartialOk: number;
  syncPartialErr: number;
}

/**
 * The master side: replicas attached to this node, the stream fed to them, and PSYNC
 * (replication.c syncCommand / masterTryPartialResynchronization / replicationFeedSlaves).
 */
export class ReplicaFeeds {
  readonly replicas = new Map<number, ReplicaHandle>();
  readonly counters: SyncCounters = { syncFull: 0, syncPartialOk: 0, syncPartialErr: 0 };
  private ackWaiters = new Set<() => void>();

  constructor(private readonly deps: FeedDeps) {}

  /** Sends bytes of the stream to every replica (and the backlog, via history). */
  feed(data: Buffer): void {
    this.deps.history.feed(data);
    for (const r of this.replicas.values()) {
      if (r.state === 'online') this.write(r, data);
      else r.pending.push(data);
    }
  }

  /**
   * PSYNC <replid> <offset>: the reply line (+CONTINUE / +FULLRESYNC). What follows it
   * (backlog bytes or the snapshot) is written by `after`, to run once the reply is out.
   */
  psync(clientId: number, stream: Duplex, ip: string, conf: ReplconfSettings, replid: string, from: number): { reply: string; after: () => void } {
    const h = this.deps.history;
    const now = this.deps.now();
    const handle: ReplicaHandle = { clientId, stream, ip, ...conf, state: 'online', pending: [], ackOffset: 0, ackTimeMs: now };
    const backlogBytes = h.continueFrom(replid, from);
    if (backlogBytes) {
      this.counters.syncPartialOk++;
      this.replicas.set(clientId, handle);
      this.deps.log(`Partial resynchronization request from ${ip}:${conf.listeningPort} accepted. Sending ${backlogBytes.length} bytes of backlog starting from offset ${from}.`);
      return {
        reply: conf.capaPsync2 ? `CONTINUE ${h.replid}` : 'CONTINUE',
        after: () => this.write(handle, backlogBytes),
      };
    }
    if (replid !== '?') this.counters.syncPartialErr++;
    this.counters.syncFull++;
    // syncCommand: the first replica of a node without a backlog starts a new history.
    if (!h.backlog) {
      h.restart();
      h.createBacklog(this.deps.backlogSize());
    }
    h.needSelect = true; // replicationSetupSlaveForFullResync: slaveseldb = -1
    const offset = h.offset;
    // The snapshot is of this instant: every write from here on goes to `pending`.
    const writer = startSnapshot(this.deps.db, { replId: h.replid, replOffset: BigInt(offset) });
    handle.state = 'send_bulk';
    this.replicas.set(clientId, handle);
    this.deps.log(`Full resync requested by replica ${ip}:${conf.listeningPort}: ${this.deps.db.size()} keys at offset ${offset}`);
    return {
      reply: `FULLRESYNC ${h.replid} ${offset}`,
      after: () => {
        sendSnapshot(stream, writer, conf.capaEof).then(
          (bytes) => {
            this.deps.countOutput(bytes);
            this.deps.log(`Synchronization with replica ${ip}:${conf.listeningPort} sent ${bytes} bytes`);
            // Diskless: online on the first REPLCONF ACK (repl_put_online_on_ack), else now.
            if (conf.capaEof) handle.state = 'wait_ack';
            else this.putOnline(handle);
          },
          () => {
            writer.abort();
            this.drop(clientId);
          },
        );
      },
    };
  }

  /** REPLCONF ACK <offset> from a replica. */
  ack(clientId: number, offset: number): void {
    const r = this.replicas.get(clientId);
    if (!r) return;
    r.ackOffset = Math.max(r.ackOffset, offset);
    r.ackTimeMs = this.deps.now();
    if (r.state === 'wait_ack') this.putOnline(r);
    for (const w of [...this.ackWaiters]) w();
  }

  /** Replicas whose acknowledged offset reached `offset` (replicationCountAcksByOffset). */
  countAcked(offset: number): number {
    let n = 0;
    for (const r of this.replicas.values()) if (r.state === 'online' && r.ackOffset >= offset) n++;
    return n;
  }

  /** Calls `fn` on every ACK until the returned function is called. */
  onAck(fn: () => void): () => void {
    this.ackWaiters.add(fn);
    return () => this.ackWaiters.delete(fn);
  }

  drop(clientId: number): void {
    const r = this.replicas.get(clientId);
    if (!r) return;
    this.replicas.delete(clientId);
    if (!r.stream.destroyed) r.stream.destroy();
    this.deps.log(`Connection with replica ${r.ip}:${r.listeningPort} lost.`);
  }

  /** disconnectSlaves: they reconnect and learn the new replication ID by PSYNC. */
  dropAll(): void {
    for (const id of [...this.replicas.keys()]) this.drop(id);
  }

  private putOnline(r: ReplicaHandle): void {
    r.state = 'online';
    const pending = r.pending;
    r.pending = [];
    if (pending.length > 0) this.write(r, Buffer.concat(pending));
    this.deps.log(`Synchronization with replica ${r.ip}:${r.listeningPort} succeeded`);
  }

  private write(r: ReplicaHandle, data: Buffer): void {
    if (r.stream.destroyed || data.length === 0) return;
    this.deps.countOutput(data.length);
    r.stream.write(data);
  }
}
