import type { Duplex } from 'node:stream';
import { BusFramer } from '../bus/framer.js';
import { decodeBusMessage, encodeBusMessage } from '../bus/codec.js';
import type { BusMessage } from '../bus/message.js';
import type { BusProtocolError } from '../bus/errors.js';
import type { ClusterNode } from './cluster-node.js';

export interface BusLinkEvents {
  message(link: BusLink, msg: BusMessage): void;
  /** A malformed frame: Redis frees the link (cluster.c clusterReadHandler); so do we. */
  protocolError(link: BusLink, e: BusProtocolError | Error): void;
  closed(link: BusLink): void;
}

/**
 * One TCP connection of the cluster bus (cluster.h clusterLink). Outbound links are
 * the ones we open to send PINGs (PONGs come back on them); inbound links are opened
 * by peers, and we answer their PINGs with PONGs on the same link.
 */
export class BusLink {
  node: ClusterNode | null;
  readonly ctime = Date.now();
  sentBytes = 0;
  receivedBytes = 0;
  private closed = false;
  private readonly framer: BusFramer;

  constructor(
    private readonly stream: Duplex,
    readonly inbound: boolean,
    node: ClusterNode | null,
    private readonly events: BusLinkEvents,
  ) {
    this.node = node;
    this.framer = new BusFramer({
      onFrame: (frame) => {
        let msg: BusMessage;
        try {
          msg = decodeBusMessage(frame);
        } catch (e) {
          this.events.protocolError(this, e as Error);
          this.close();
          return;
        }
        if (!this.closed) this.events.message(this, msg);
      },
      onError: (e) => {
        this.events.protocolError(this, e);
        this.close();
      },
    });
    stream.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      if (!this.closed) this.framer.write(chunk);
    });
    stream.on('error', () => this.close());
    stream.on('close', () => this.close());
    stream.on('end', () => this.close());
  }

  send(msg: BusMessage): void {
    if (this.closed) return;
    const frame = encodeBusMessage(msg);
    this.sentBytes += frame.length;
    this.stream.write(frame);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy();
    this.events.closed(this);
  }
}
