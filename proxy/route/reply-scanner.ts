/**
 * Splits a node's reply stream into whole replies, as bytes, without decoding them: the
 * router passes each reply to the client unchanged (RESP2 or RESP3, whatever the
 * connection speaks), it only needs to know where one ends (FIFO matching of pipelined
 * commands). Types as networking.c addReply* writes them:
 *
 *   + - : _ , # (     one line
 *   $ = !             a length line, that many bytes, CRLF ($-1 is nil)
 *   * ~ >             N values (*-1 is a nil array)     % N pairs     | N pairs, then the value
 *
 * A push (`>`) is counted as a reply: a connection in RESP3 tracking or pub/sub mode is not
 * routed (route/routed-connection.ts hands it back to the raw relay first).
 * Malformed input (an unknown type byte, a bad length) is a ProtocolError via onError.
 */
import { ProtocolError } from '../../cluster/resp/errors.js';

export interface ReplyScannerHandlers {
  onReply(reply: Buffer): void;
  onError(e: ProtocolError): void;
}

const NEED_MORE = -1;

export class ReplyScanner {
  private pending: Buffer | undefined;
  private failed = false;

  constructor(private readonly h: ReplyScannerHandlers) {}

  /** Bytes of a reply not complete yet. */
  get bufferedBytes(): number {
    return this.pending?.length ?? 0;
  }

  write(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let pos = 0;
    while (pos < buf.length) {
      let end: number;
      try {
        end = measure(buf, pos);
      } catch (e) {
        this.failed = true;
        this.h.onError(e as ProtocolError);
        return;
      }
      if (end === NEED_MORE) break;
      // A copy: the reply may wait in the client's queue while this chunk's memory is reused.
      this.h.onReply(Buffer.from(buf.subarray(pos, end)));
      pos = end;
    }
    if (pos < buf.length) this.pending = Buffer.from(buf.subarray(pos));
  }
}

/** End offset of the whole reply starting at `pos`, or NEED_MORE. */
function measure(b: Buffer, pos: number): number {
  if (pos >= b.length) return NEED_MORE;
  const lf = b.indexOf(0x0a, pos);
  if (lf === -1) return NEED_MORE;
  const type = b[pos]!;
  switch (type) {
    case 0x2b: case 0x2d: case 0x3a: case 0x5f: case 0x2c: case 0x23: case 0x28: // + - : _ , # (
      return lf + 1;
    case 0x24: case 0x3d: case 0x21: { // $ = !
      const len = lengthOf(b, pos, lf);
      if (len < 0) return lf + 1;
      const end = lf + 1 + len + 2;
      return end <= b.length ? end : NEED_MORE;
    }
    case 0x2a: case 0x7e: case 0x3e: case 0x25: case 0x7c: { // * ~ > % |
      const count = lengthOf(b, pos, lf);
      let p = lf + 1;
      if (count < 0) return p;
      const items = type === 0x25 || type === 0x7c ? count * 2 : count;
      for (let i = 0; i < items; i++) {
        p = measure(b, p);
        if (p === NEED_MORE) return NEED_MORE;
      }
      // An attribute is followed by the value it describes: both are one reply.
      return type === 0x7c ? measure(b, p) : p;
    }
    default:
      throw new ProtocolError('RESP_UNEXPECTED_TYPE', `Protocol error: reply type byte 0x${type.toString(16)}`);
  }
}

/** The signed decimal between the type byte and CRLF. */
function lengthOf(b: Buffer, pos: number, lf: number): number {
  const text = b.toString('latin1', pos + 1, lf - 1);
  if (b[lf - 1] !== 0x0d || !/^-?\d{1,19}$/.test(text)) throw new ProtocolError('RESP_INVALID_INTEGER', `Protocol error: bad length line "${text}"`);
  return Number(text);
}

/** A nil reply: `$-1`, `*-1` (RESP2) or `_` (RESP3). */
export function isNilReply(r: Buffer): boolean {
  return r.equals(NIL_BULK) || r.equals(NIL_ARRAY) || r.equals(NIL3);
}
const NIL_BULK = Buffer.from('$-1\r\n');
const NIL_ARRAY = Buffer.from('*-1\r\n');
const NIL3 = Buffer.from('_\r\n');
