import type { Duplex } from 'node:stream';
import { encodeCommand } from '../resp/encode.js';
import { ReplyDecoder } from '../resp/reply-decoder.js';

/**
 * One connection from this node to another node that carries commands in the order
 * they are written and only counts the replies (source-based migration: the copy of a
 * group and the forwarded writes, node/migrate-out.ts).
 *
 *   send(cmd) ──> encode ──> stream.write   (synchronous: bytes leave in call order)
 *   stream ──> ReplyDecoder ──> acked++ (errors++ and the first error's text)
 *
 * Unlike PeerClient (MIGRATE's request/response batches) nothing here awaits before
 * writing, so a write executed locally and forwarded in the same event-loop turn keeps
 * its place among the copy's RESTOREs. `whenAcked(mark)` resolves once `mark` replies
 * have arrived; a reply that takes longer than `timeoutMs`, a protocol error, or the
 * stream closing fails the link (every waiter rejects, `onFail` runs once).
 */
export class OutboundLink {
  sent = 0;
  acked = 0;
  errors = 0;
  /** Error replies `benign` accepted (BUSYKEY of a copy that never overwrites). */
  benignErrors = 0;
  firstError: string | undefined;
  failure: Error | undefined;
  private readonly decoder: ReplyDecoder;
  private readonly waiters: Array<{ mark: number; resolve(): void; reject(e: Error): void; timer: NodeJS.Timeout }> = [];

  constructor(
    private readonly stream: Duplex,
    private readonly timeoutMs: number,
    private readonly onFail: (e: Error) => void,
    private readonly benign: (error: string) => boolean = () => false,
  ) {
    this.decoder = new ReplyDecoder({
      onReply: (r) => {
        this.acked++;
        if (r.t === 'error' && this.benign(r.v)) {
          this.benignErrors++;
        } else if (r.t === 'error') {
          this.errors++;
          this.firstError ??= r.v;
        }
        this.settle();
      },
      onError: (e) => this.fail(new Error(`protocol error from the destination: ${e.message}`)),
    });
    stream.on('data', (chunk: Buffer) => this.decoder.write(chunk));
    stream.on('error', (e) => this.fail(e));
    stream.on('end', () => this.fail(new Error('the destination closed the connection')));
    stream.on('close', () => this.fail(new Error('the destination closed the connection')));
  }

  /** Writes one command now (Node queues it while the socket connects). */
  send(args: ReadonlyArray<Buffer | string | number>): void {
    if (this.failure) return;
    this.sent++;
    this.stream.write(encodeCommand(args));
  }

  /** Resolves once `mark` replies (default: every command sent so far) have arrived. */
  whenAcked(mark = this.sent): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.acked >= mark) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no reply from the destination within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiters.push({ mark, resolve, reject, timer });
    });
  }

  close(): void {
    this.failure ??= new Error('closed');
    this.rejectAll(this.failure);
    this.stream.destroy();
  }

  private settle(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (this.acked < w.mark) continue;
      clearTimeout(w.timer);
      this.waiters.splice(i, 1);
      w.resolve();
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.rejectAll(e);
    this.stream.destroy();
    this.onFail(e);
  }

  private rejectAll(e: Error): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }
}
