import net from 'node:net';
import { ReplyDecoder } from '../resp/reply-decoder.js';
import { encodeCommand } from '../resp/encode.js';
import type { Reply } from '../resp/reply.js';

export class PeerIoError extends Error {
  constructor(readonly code: 'PEER_CONNECT' | 'PEER_TIMEOUT' | 'PEER_CLOSED' | 'PEER_PROTOCOL', message: string) {
    super(message);
    this.name = 'PeerIoError';
  }
}

/**
 * A minimal RESP client for node-to-node calls (MIGRATE's RESTORE-ASKING batches):
 * pipelined requests, replies matched in order, one deadline per batch. Kept apart
 * from ioredis because the node must not depend on a client library's reconnect
 * and cluster logic, only on the wire protocol.
 */
export class PeerClient {
  private readonly socket: net.Socket;
  private readonly decoder: ReplyDecoder;
  private readonly waiting: Array<{ resolve(r: Reply): void; reject(e: Error): void }> = [];
  private ready: Promise<void>;
  private failed: Error | undefined;
  lastUsed = Date.now();

  constructor(host: string, port: number, connectTimeoutMs: number) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.decoder = new ReplyDecoder({
      onReply: (r) => this.waiting.shift()?.resolve(r),
      onError: (e) => this.fail(new PeerIoError('PEER_PROTOCOL', e.message)),
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new PeerIoError('PEER_CONNECT', 'error or timeout connecting to the client')), connectTimeoutMs);
      this.socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new PeerIoError('PEER_CONNECT', e.message));
      });
    });
    this.ready.catch(() => undefined);
    this.socket.on('data', (chunk) => this.decoder.write(chunk));
    this.socket.on('error', (e) => this.fail(new PeerIoError('PEER_CLOSED', e.message)));
    this.socket.on('close', () => this.fail(new PeerIoError('PEER_CLOSED', 'connection closed')));
  }

  get broken(): boolean {
    return this.failed !== undefined;
  }

  /** Sends all commands at once and resolves with their replies, in order. */
  async pipeline(commands: Array<Array<Buffer | string | number>>, timeoutMs: number): Promise<Reply[]> {
    await this.ready;
    if (this.failed) throw this.failed;
    this.lastUsed = Date.now();
    const replies = commands.map(
      () => new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject })),
    );
    this.socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new PeerIoError('PEER_TIMEOUT', 'error or timeout reading to target instance');
        this.fail(e);
        reject(e);
      }, timeoutMs);
    });
    try {
      return await Promise.race([Promise.all(replies), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(e: Error): void {
    if (!this.failed) this.failed = e;
    for (const w of this.waiting.splice(0)) w.reject(e);
    this.socket.destroy();
  }
}
