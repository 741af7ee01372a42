import type { Duplex } from 'node:stream';
import { encodeCommand } from '../resp/encode.js';
import { RequestDecoder } from '../resp/request-decoder.js';
import type { Value } from '../store/value.js';
import { ReplicationError } from './errors.js';
import { SnapshotDecoder } from '../persistence/index.js';

/**
 * replication.c repl_state, the replica side of one link to a master:
 *
 *   connecting -> receive_pong -> receive_port_reply -> receive_capa_reply
 *     -> receive_psync_reply -> transfer (FULLRESYNC: snapshot) -> connected
 *                            \-------------(CONTINUE)------------> connected
 *   any state -> closed (error, link lost, or the role changed)
 */
export type LinkState = 'connecting' | 'receive_pong' | 'receive_port_reply' | 'receive_capa_reply' | 'receive_psync_reply' | 'transfer' | 'connected' | 'closed';

const NEXT: Record<LinkState, LinkState[]> = {
  connecting: ['receive_pong', 'closed'],
  receive_pong: ['receive_port_reply', 'closed'],
  receive_port_reply: ['receive_capa_reply', 'closed'],
  receive_capa_reply: ['receive_psync_reply', 'closed'],
  receive_psync_reply: ['transfer', 'connected', 'closed'],
  transfer: ['connected', 'closed'],
  connected: ['closed'],
  closed: [],
};

export interface MasterLinkDeps {
  connect(host: string, port: number): Duplex;
  /** This node's announced client port (REPLCONF listening-port). */
  listeningPort: number;
  /** PSYNC arguments: the history this node can continue, or `?`/-1. */
  psyncFrom(): { replid: string; offset: number };
  onFullSync(replid: string, offset: number): void;
  loadEntry(key: string, value: Value, expireAt: number | undefined): void;
  onLoaded(): void;
  /** The transfer ended before the snapshot's trailer (or failed its checks): what was loaded is partial. */
  onLoadFailed(why: string): void;
  onContinue(replid: string | undefined): void;
  /** One command of the stream, with the bytes it took on the wire (the offset's unit). */
  apply(args: Buffer[], raw: Buffer): void;
  processedOffset(): number;
  countInput(bytes: number): void;
  log(line: string): void;
  now(): number;
}

export class MasterLink {
  state: LinkState = 'connecting';
  lastIoMs: number;
  private readonly stream: Duplex;
  private lineBuf = '';
  private payload: SnapshotDecoder | undefined;
  /** `$EOF:` transfers end with this mark, after the snapshot's trailer. */
  private mark: string | undefined;
  private markSeen = '';
  /** Bytes after the snapshot's trailer, once it has ended. */
  private afterPayload: Buffer | undefined;
  private decoder: RequestDecoder | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly deps: MasterLinkDeps,
  ) {
    this.lastIoMs = deps.now();
    this.stream = deps.connect(host, port);
    this.stream.on('connect', () => {
      this.transition('receive_pong');
      this.send(['PING']);
    });
    this.stream.on('data', (chunk: Buffer) => this.onData(chunk));
    this.stream.on('error', (e) => this.close(`Error condition on socket for SYNC: ${e.message}`));
    this.stream.on('close', () => this.close('Connection with master lost.'));
  }

  /** Receiving the snapshot: its entries are going into the keyspace. */
  get loading(): boolean {
    return this.payload !== undefined;
  }

  get target(): string {
    return `${this.host}:${this.port}`;
  }

  close(why = 'closed'): void {
    if (this.state === 'closed') return;
    const partial = this.loading;
    this.transition('closed');
    if (partial) this.deps.onLoadFailed(why);
    this.deps.log(why);
    this.stream.destroy();
  }

  /** REPLCONF ACK <processed offset>, every second and on GETACK (replicationSendAck). */
  sendAck(): void {
    if (this.state === 'connected') this.send(['REPLCONF', 'ACK', String(this.deps.processedOffset())]);
  }

  private transition(to: LinkState): void {
    if (!NEXT[this.state].includes(to)) throw new ReplicationError('HANDSHAKE', `illegal link transition ${this.state} -> ${to}`);
    this.deps.log(`master link ${this.target}: ${this.state} -> ${to}`);
    this.state = to;
  }

  private send(args: string[]): void {
    if (!this.stream.destroyed) this.stream.write(encodeCommand(args));
  }

  private onData(chunk: Buffer): void {
    this.lastIoMs = this.deps.now();
    this.deps.countInput(chunk.length);
    try {
      let rest: Buffer | undefined = chunk;
      while (rest && rest.length > 0 && this.state !== 'closed') rest = this.step(rest);
    } catch (e) {
      this.close(`Master link error: ${(e as Error).message}`);
    }
  }

  /** Consumes what the current state can from `data`; returns the rest. */
  private step(data: Buffer): Buffer | undefined {
    if (this.state === 'connected') {
      this.decoder!.write(data);
      return undefined;
    }
    if (this.state === 'transfer' && this.payload) return this.transferBytes(data);
    const nl = data.indexOf(0x0a);
    if (nl < 0) {
      this.lineBuf += data.toString('latin1');
      return undefined;
    }
    const line = (this.lineBuf + data.toString('latin1', 0, nl)).replace(/\r$/, '');
    this.lineBuf = '';
    this.onLine(line);
    return data.subarray(nl + 1);
  }

  private onLine(line: string): void {
    switch (this.state) {
      case 'receive_pong':
        // -NOAUTH / -NOPERM still prove the master is there (syncWithMaster); others fail.
        if (line.startsWith('-') && !/^-(NOAUTH|NOPERM|ERR operation not permitted)/.test(line)) throw new ReplicationError('HANDSHAKE', `Error reply to PING from master: '${line}'`);
        this.transition('receive_port_reply');
        this.send(['REPLCONF', 'listening-port', String(this.deps.listeningPort)]);
        return;
      case 'receive_port_reply':
        // An error here is only logged by Redis: old masters don't know the option.
        if (line.startsWith('-')) this.deps.log(`(Non critical) Master does not understand REPLCONF listening-port: ${line}`);
        this.transition('receive_capa_reply');
        this.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
        return;
      case 'receive_capa_reply': {
        if (line.startsWith('-')) this.deps.log(`(Non critical) Master does not understand REPLCONF capa: ${line}`);
        this.transition('receive_psync_reply');
        const { replid, offset } = this.deps.psyncFrom();
        this.deps.log(`Trying a partial resynchronization (request ${replid}:${offset}).`);
        this.send(['PSYNC', replid, String(offset)]);
        return;
      }
      case 'receive_psync_reply':
        return this.onPsyncReply(line);
      case 'transfer':
        if (line === '') return; // the master's keepalive newlines before the payload
        if (!line.startsWith('$')) throw new ReplicationError('PAYLOAD', `Bad protocol from MASTER, the first byte is not '$': ${line}`);
        // The snapshot ends itself (its trailer), so `$<len>` needs no byte counting.
        if (line.startsWith('$EOF:')) this.mark = line.slice(5);
        this.deps.log(`MASTER <-> REPLICA sync: receiving ${this.mark ? 'streamed snapshot' : `${line.slice(1)} bytes`} from master`);
        this.payload = new SnapshotDecoder({
          onHeader: () => undefined,
          onEntry: (e) => this.deps.loadEntry(e.key, e.value, e.expireAt),
          onEnd: (_t, rest) => (this.afterPayload = rest),
          onError: (e) => {
            throw e;
          },
        });
        return;
      default:
        throw new ReplicationError('HANDSHAKE', `unexpected line in state ${this.state}: ${line}`);
    }
  }

  private onPsyncReply(line: string): void {
    const words = line.split(' ');
    if (words[0] === '+FULLRESYNC' && words.length === 3) {
      this.deps.log(`Full resync from master: ${words[1]}:${words[2]}`);
      this.deps.onFullSync(words[1], Number(words[2]));
      this.transition('transfer');
      return;
    }
    if (words[0] === '+CONTINUE') {
      this.deps.log('Successful partial resynchronization with master.');
      this.deps.onContinue(words[1]);
      this.goOnline();
      return;
    }
    throw new ReplicationError('HANDSHAKE', `Unexpected reply to PSYNC from master: ${line}`);
  }

  private transferBytes(data: Buffer): Buffer | undefined {
    const p = this.payload!;
    if (!p.done) {
      p.write(data);
      if (!p.done) return undefined;
      data = this.afterPayload!;
    }
    if (this.mark !== undefined) {
      const need = this.mark.length - this.markSeen.length;
      this.markSeen += data.toString('latin1', 0, Math.min(need, data.length));
      data = data.subarray(Math.min(need, data.length));
      if (this.markSeen.length < this.mark.length) return undefined;
      if (this.markSeen !== this.mark) return this.fail('bad EOF mark after the payload');
    }
    this.payload = undefined;
    this.deps.onLoaded();
    this.goOnline();
    this.sendAck(); // diskless: the first ACK puts us online at the master
    return data;
  }

  private fail(why: string): undefined {
    throw new ReplicationError('PAYLOAD', why);
  }

  private goOnline(): void {
    this.decoder = new RequestDecoder({
      maxMultibulkLen: 2 ** 31 - 1,
      onCommand: (args) => this.onCommand(args),
      onError: (e) => this.close(`Protocol error from master: ${e.message}`),
    });
    this.transition('connected');
  }

  private onCommand(args: Buffer[]): void {
    const raw = encodeCommand(args);
    const name = args[0].toString('latin1').toLowerCase();
    this.deps.apply(args, raw);
    // REPLCONF GETACK: answer after the command itself counted (replconfCommand).
    if (name === 'replconf' && args.length >= 2 && args[1].toString('latin1').toLowerCase() === 'getack') this.sendAck();
  }
}
