/**
 * One direction of a TCP connection as capture sees it: which bytes of a segment are new
 * stream bytes, which were seen before (a retransmission), and where the capture missed
 * some (a hole: loopback itself loses nothing, so a hole that is never filled is a packet
 * the capture did not get).
 *
 * Sequence numbers are 32-bit and wrap; they are unwrapped against `next` (the next
 * expected byte, a plain number that keeps growing), so a connection may carry any
 * amount. SYN and FIN take one sequence number each (RFC 9293 3.4).
 *
 *   seq ........ next            segment [s, s+len)
 *   |  seen      |  new  ->      s+len <= next: retransmission (nothing new)
 *                                s < next < s+len: partial retransmission, new part fed
 *                                s > next: hole [next, s) recorded, segment fed
 */
export interface Accepted {
  /** Bytes at the front of the payload already seen (skip them). */
  skip: number;
  /** New stream bytes after the skipped ones. */
  fresh: number;
  /** The segment (or part of it) was sent before. */
  retransmit: boolean;
  /** Bytes of the stream skipped over (a hole opened by this segment). */
  gap: number;
}

const TWO32 = 2 ** 32;
/** Holes remembered per direction; more are merged into the newest (loopback has none). */
const MAX_HOLES = 16;

export class SeqTracker {
  private next = -1;
  /** Open holes [start, end) in unwrapped sequence space. */
  private holes: Array<[number, number]> = [];
  /** Hole bytes filled later (a reordered or late segment, not a capture loss). */
  filled = 0;

  /** Bytes of all holes still open: what the capture missed in this direction. */
  get missing(): number {
    let n = 0;
    for (const [a, b] of this.holes) n += b - a;
    return n;
  }

  get holeCount(): number {
    return this.holes.length;
  }

  /** Whether `seq32` is the next sequence number expected (a retransmitted SYN's seq + 1 is). */
  expects(seq32: number): boolean {
    return this.next >= 0 && this.next % TWO32 === seq32;
  }

  accept(seq32: number, len: number, syn: boolean, fin: boolean, out: Accepted): Accepted {
    out.skip = 0;
    out.fresh = 0;
    out.retransmit = false;
    out.gap = 0;
    const span = len + (syn ? 1 : 0) + (fin ? 1 : 0);
    if (this.next < 0) {
      // First segment seen in this direction (a SYN, or mid-stream when capture started late).
      this.next = seq32 + span;
      out.fresh = len;
      return out;
    }
    // Unwrap: the 32-bit distance from next, taken as signed.
    const d = (seq32 - (this.next % TWO32)) | 0;
    const start = this.next + d;
    const dataStart = start + (syn ? 1 : 0);
    const end = dataStart + len;
    if (span === 0) return out; // a bare ACK
    if (start >= this.next) {
      if (start > this.next) {
        out.gap = start - this.next;
        this.addHole(this.next, start);
      }
      this.next = start + span;
      out.fresh = len;
      return out;
    }
    // Starts before next: some or all of it was seen, unless it fills a hole.
    if (len > 0 && this.fillsHole(dataStart, end)) {
      out.fresh = len;
      return out;
    }
    out.retransmit = true;
    if (start + span > this.next) {
      const seen = Math.max(0, this.next - dataStart);
      out.skip = Math.min(seen, len);
      out.fresh = len - out.skip;
      this.next = start + span;
    }
    return out;
  }

  private addHole(a: number, b: number): void {
    if (this.holes.length >= MAX_HOLES) this.holes[this.holes.length - 1][1] = b;
    else this.holes.push([a, b]);
  }

  /** Whether [a, b) lies inside an open hole; the hole shrinks or splits. */
  private fillsHole(a: number, b: number): boolean {
    for (let i = 0; i < this.holes.length; i++) {
      const [ha, hb] = this.holes[i];
      if (a < ha || b > hb) continue;
      const rest: Array<[number, number]> = [];
      if (a > ha) rest.push([ha, a]);
      if (b < hb) rest.push([b, hb]);
      this.holes.splice(i, 1, ...rest);
      this.filled += b - a;
      return true;
    }
    return false;
  }
}
