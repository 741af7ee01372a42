import { Session, type SessionEnv } from '../proxy/session.js';
import { type DirIndex, type ListenerKind } from '../proxy/names.js';
import { SeqTracker } from './seq-tracker.js';

/**
 * One TCP connection to a node's listening port, as capture sees it: the proxy's own
 * Session (proxy/session.ts) fed with the new stream bytes of each direction, so the
 * channel (client / replication / bus) and the peer are decided exactly as the proxy
 * decides them, plus what only the wire shows: frames, frame bytes, retransmissions.
 *
 *   wire: per 100 ms bucket, [frames sent, received, wire bytes sent, received,
 *         retransmitted segments sent, received]   (sent = by the node)
 */
export interface WireBucket {
  ts: number;
  c: [number, number, number, number, number, number];
}

export class Flow {
  readonly session: Session;
  /** Index SENT (0): the node's direction; RECEIVED (1): towards the node. */
  readonly seq: [SeqTracker, SeqTracker] = [new SeqTracker(), new SeqTracker()];
  private wire: WireBucket[] = [];
  private readonly fin = [false, false];
  closedAt = -1;

  constructor(
    kind: ListenerKind,
    readonly clientIp: string,
    readonly clientPort: number,
    /** The node's listening port on this connection (names the node). */
    readonly serverPort: number,
    env: SessionEnv,
  ) {
    this.session = new Session(kind, clientIp, clientPort, env);
  }

  get closed(): boolean {
    return this.closedAt >= 0;
  }

  count(ts: number, dir: DirIndex, wireLen: number, retransmit: boolean): void {
    let b = this.wire[this.wire.length - 1];
    if (b === undefined || b.ts !== ts) this.wire.push((b = { ts, c: [0, 0, 0, 0, 0, 0] }));
    b.c[dir]++;
    b.c[2 + dir] += wireLen;
    if (retransmit) b.c[4 + dir]++;
  }

  /** A FIN in `dir`; both directions finished (or a RST) closes the flow. */
  finish(dir: DirIndex, now: number, reset: boolean): void {
    this.fin[dir] = true;
    if (!this.closed && (reset || (this.fin[0] && this.fin[1]))) {
      this.closedAt = now;
      this.session.close();
    }
  }

  takeWireBefore(ts: number): WireBucket[] {
    let n = 0;
    while (n < this.wire.length && this.wire[n].ts < ts) n++;
    return n === 0 ? [] : this.wire.splice(0, n);
  }

  get idle(): boolean {
    return this.wire.length === 0 && this.session.tally.empty;
  }
}
