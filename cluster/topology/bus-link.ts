import type { Duplex } from 'node:stream';
import { BusFramer } from '../bus/framer.js';
import { decodeBusMessage, encodeBusMessage } from '../bus/codec.js';
import type { BusMessage } from '../bus/message.js';
import type { BusProtocolError } from '../bus/errors.js';
import type { ClusterNode } from './cluster-node.js';

export interface BusLinkEvents {
  message(link: BusLink, msg: BusMessage): void;
  /**
   * A bad signature or length: the byte stream is out of sync, Redis frees the link
   * (cluster.c clusterReadHandler, "Bad message length or signature"); so do we.
   */
  protocolError(link: BusLink, e: BusProtocolError | Error): void;
  /**
   * A whole frame whose content does not decode (version, length not matching its
   * type, bad extension padding): clusterProcessPacket returns 1, so Redis drops the
   * packet and keeps reading the link. The link stays open here too.
   */
  badPacket?(link: BusLink, e: BusProtocolError | Error): void;
  closed(link: BusLink): void;
}

/**
 * One TCP connection of the cluster bus (cluster.h clusterLink). Outbound links are
 * the ones we open to send PINGs (PONGs come back on them); inbound links are opened
 * by peers, and we answer their PINGs with PONGs on the same link.
 */
export class BusLink {
  node: ClusterNode | null;
  sentBytes = 0;
  receivedBytes = 0;
  private closed = false;
  private readonly framer: BusFramer;

  constructor(
    private readonly stream: Duplex,
    readonly inbound: boolean,
    node: ClusterNode | null,
    private readonly events: BusLinkEvents,
    /** clusterLink.ctime, on the engine's clock (clusterCron compares it with its `now`). */
    readonly ctime: number = Date.now(),
  ) {
    this.node = node;
    this.framer = new BusFramer({
      onFrame: (frame) => {
        let msg: BusMessage;
        try {
          msg = decodeBusMessage(frame);
        } catch (e) {
          // The framer already checked signature and totlen: this frame is intact, only
          // its content is bad. cluster.c ignores such a packet, the link stays.
          this.events.badPacket?.(this, e as Error);
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
