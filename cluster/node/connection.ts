import type { Duplex } from 'node:stream';
import { RequestDecoder } from '../resp/request-decoder.js';
import { writeReply } from '../resp/encode.js';
import type { ProtocolError } from '../resp/errors.js';
import type { Reply } from '../resp/reply.js';
import type { ClientState } from '../commands/types.js';
import type { NodeStats } from './stats.js';

/**
 * A command that answers nothing returns this (REPLCONF ACK: a master never replies to
 * its replicas' acknowledgements). Compared by identity.
 */
export const NO_REPLY: Reply = Object.freeze({ t: 'status', v: '' }) as Reply;

/** What a connection needs from its node: three functions, not the node (STYLE.md 9). */
export interface ConnectionDeps {
  dispatch(client: ClientState, args: Buffer[]): Reply | Promise<Reply>;
  stats: NodeStats;
  maxBulkLen: number;
  onClose(client: ClientState): void;
  /** Called before a batch's replies are written: the node saves a changed nodes.conf first. */
  beforeReply?(): void;
}

/**
 * One client connection: bytes in -> RequestDecoder -> dispatch -> replies out, in order.
 *
 *   data ──> decoder ──> queue ──> dispatch ──> encoded replies ──> one write per batch
 *
 * Replies to a pipelined batch are gathered and written with one `write`, which is
 * what makes -P 16 cheap. A command that answers with a Promise (MIGRATE) holds the
 * queue until it settles, so replies never overtake each other. When the socket's
 * buffer is full we stop reading (backpressure) until it drains.
 */
export class ClientConnection {
  private readonly decoder: RequestDecoder;
  private readonly queue: Buffer[][] = [];
  private out: Buffer[] = [];
  private busy = false;
  private closing = false;
  private closed = false;
  private failure: ProtocolError | undefined;

  constructor(
    private readonly stream: Duplex,
    readonly client: ClientState,
    private readonly deps: ConnectionDeps,
  ) {
    this.decoder = new RequestDecoder({
      maxBulkLen: deps.maxBulkLen,
      // Redis 7.0 accepts up to INT_MAX arguments (networking.c); nothing is allocated per
      // declared argument, so the limit costs nothing.
      maxMultibulkLen: 2 ** 31 - 1,
      onCommand: (args) => this.queue.push(args),
      onError: (e) => this.protocolError(e),
    });
    stream.on('data', (chunk: Buffer) => {
      deps.stats.netInputBytes += chunk.length;
      // After QUIT or a protocol error nothing more is executed (networking.c:
      // CLIENT_CLOSE_AFTER_REPLY stops processInputBuffer).
      if (this.closing) return;
      this.decoder.write(chunk);
      this.drain();
    });
    stream.on('drain', () => stream.resume());
    stream.on('error', () => this.destroy());
    stream.on('close', () => this.destroy());
    stream.on('end', () => {
      // Half-close from the client: answer what is queued, then close our side.
      this.closing = true;
      this.drain();
    });
  }

  private drain(): void {
    while (!this.busy && this.queue.length > 0) {
      const args = this.queue.shift()!;
      let reply: Reply | Promise<Reply>;
      try {
        reply = this.deps.dispatch(this.client, args);
      } catch (e) {
        reply = { t: 'error', v: `ERR ${(e as Error).message}` };
      }
      if (reply instanceof Promise) {
        this.busy = true;
        reply
          .catch((e: Error): Reply => ({ t: 'error', v: `ERR ${e.message}` }))
          .then((r) => {
            this.busy = false;
            this.push(r);
            if (this.client.closeAfterReply) {
              this.closing = true;
              this.queue.length = 0;
            }
            this.drain();
          });
        break;
      }
      this.push(reply);
      if (this.client.closeAfterReply) {
        this.failure = undefined;
        this.closing = true;
        this.queue.length = 0;
      }
    }
    if (this.failure && !this.busy && this.queue.length === 0) {
      this.out.push(Buffer.from(`-${this.failure.redisMessage}\r\n`));
      this.failure = undefined;
      this.closing = true;
    }
    this.flush();
  }

  private push(reply: Reply): void {
    if (reply === NO_REPLY) return;
    try {
      writeReply(this.out, reply, this.client.resp);
    } catch (e) {
      // A command produced a value RESP cannot carry (an integer reply of NaN): answer
      // an error instead of dropping the connection, and count it as unexpected.
      this.deps.stats.unexpectedErrorReplies++;
      writeReply(this.out, { t: 'error', v: `ERR ${(e as Error).message}` }, this.client.resp);
    }
  }

  private flush(): void {
    if (this.out.length > 0 && !this.stream.destroyed && !this.stream.writableEnded) {
      this.deps.beforeReply?.();
      const data = this.out.length === 1 ? this.out[0] : Buffer.concat(this.out);
      this.out = [];
      this.deps.stats.netOutputBytes += data.length;
      if (!this.stream.write(data)) this.stream.pause();
    }
    if (this.closing && !this.busy && this.queue.length === 0) this.stream.end();
  }

  /**
   * Redis answers the protocol error, then closes the connection (networking.c
   * setProtocolError). Commands decoded before the bad bytes are still answered first.
   */
  private protocolError(e: ProtocolError): void {
    this.failure = e;
  }

  private destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.queue.length = 0;
    this.stream.destroy();
    this.deps.onClose(this.client);
  }
}
