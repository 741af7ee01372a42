import { formatDouble, integerText } from './numbers.js';
import type { Reply } from './reply.js';

/**
 * RESP encoding: replies as a node sends them (RESP2, or RESP3 after HELLO 3) and
 * requests as a client sends them. Pure: bytes out, no socket.
 *
 * Each value is encoded in two passes, measure then write, into one buffer of the
 * exact size, so a reply of any shape costs one allocation:
 *
 *   *2\r\n $3\r\n foo \r\n :42\r\n       <- one Buffer.allocUnsafe(22)
 *
 * Type bytes and their RESP2 fallbacks (networking.c addReply*):
 *   + status   - error   : integer   $ bulk ($-1 null)   * array (*-1 null)
 *   % map      RESP2: array of 2N (addReplyMapLen)
 *   , double   RESP2: bulk string of the formatted number (addReplyDouble)
 *   _ null     RESP3 only, for both null bulk and null array (addReplyNull)
 */
export type RespVersion = 2 | 3;

const CR = 0x0d;
const LF = 0x0a;

/** writeReply queues bulk payloads of at least this size by reference, uncopied. */
const BIG_PAYLOAD = 16 * 1024;

/** Encodes one reply into a single buffer. */
export function encodeReply(r: Reply, resp: RespVersion = 2): Buffer {
  const w = new Writer(Buffer.allocUnsafe(measure(r, resp, Infinity)), null, Infinity);
  w.reply(r, resp);
  return w.buf;
}

/**
 * Appends the encoding of `r` to `out`, the fast path for a connection's output
 * queue. Small parts share one buffer; bulk payloads of 16 KiB or more are pushed by
 * reference, so a large GET reply is never copied here. Such payloads must therefore
 * not be modified until `out` has been written.
 */
export function writeReply(out: Buffer[], r: Reply, resp: RespVersion = 2): void {
  const w = new Writer(Buffer.allocUnsafe(measure(r, resp, BIG_PAYLOAD)), out, BIG_PAYLOAD);
  w.reply(r, resp);
  w.finish();
}

/**
 * A request as clients send it: a multibulk of bulk strings, `*N\r\n` then
 * `$len\r\n<bytes>\r\n` per argument. Strings are UTF-8, numbers their decimal text.
 */
export function encodeCommand(args: ReadonlyArray<Buffer | string | number>): Buffer {
  let size = 1 + decimalLength(args.length) + 2;
  for (const a of args) {
    const len = argLength(a);
    size += 1 + decimalLength(len) + 2 + len + 2;
  }
  const w = new Writer(Buffer.allocUnsafe(size), null, Infinity);
  w.header(0x2a, args.length);
  for (const a of args) {
    if (Buffer.isBuffer(a)) {
      w.header(0x24, a.length);
      w.payload(a);
    } else {
      const s = typeof a === 'number' ? String(a) : a;
      w.header(0x24, Buffer.byteLength(s, 'utf8'));
      w.text(s);
    }
    w.crlf();
  }
  return w.buf;
}

function argLength(a: Buffer | string | number): number {
  if (Buffer.isBuffer(a)) return a.length;
  return typeof a === 'number' ? String(a).length : Buffer.byteLength(a, 'utf8');
}

/** Digits of a non-negative integer. */
function decimalLength(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/**
 * A status or error line may not contain CR or LF, or it would end early and the
 * rest would be read as another reply. Redis maps them to spaces
 * (addReplyErrorFormatInternal, addReplyErrorSdsSafe); so do we, for both types.
 */
function lineText(s: string): string {
  return s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, ' ') : s;
}

/** Bytes of `r` once encoded, not counting payloads of `big` bytes or more. */
function measure(r: Reply, resp: RespVersion, big: number): number {
  switch (r.t) {
    case 'status':
    case 'error':
      return 1 + Buffer.byteLength(lineText(r.v), 'utf8') + 2;
    case 'int':
      return 1 + integerText(r.v).length + 2;
    case 'bulk': {
      if (r.v === null) return resp === 3 ? 3 : 5; // _\r\n  or  $-1\r\n
      const len = r.v.length;
      return 1 + decimalLength(len) + 2 + (len >= big ? 0 : len) + 2;
    }
    case 'double': {
      const len = formatDouble(r.v).length;
      return resp === 3 ? 1 + len + 2 : 1 + decimalLength(len) + 2 + len + 2;
    }
    case 'array': {
      if (r.v === null) return resp === 3 ? 3 : 5; // _\r\n  or  *-1\r\n
      let size = 1 + decimalLength(r.v.length) + 2;
      for (const item of r.v) size += measure(item, resp, big);
      return size;
    }
    case 'map': {
      const n = resp === 3 ? r.v.length : r.v.length * 2;
      let size = 1 + decimalLength(n) + 2;
      for (const [k, v] of r.v) size += measure(k, resp, big) + measure(v, resp, big);
      return size;
    }
  }
}

/** The second pass: writes what measure() counted. */
class Writer {
  private off = 0;
  /** Start of the part of `buf` not yet pushed to `out`. */
  private segment = 0;

  constructor(
    readonly buf: Buffer,
    private readonly out: Buffer[] | null,
    private readonly big: number,
  ) {}

  reply(r: Reply, resp: RespVersion): void {
    switch (r.t) {
      case 'status':
        this.line(0x2b, lineText(r.v)); // +
        return;
      case 'error':
        this.line(0x2d, lineText(r.v)); // -
        return;
      case 'int':
        this.line(0x3a, integerText(r.v)); // :
        return;
      case 'bulk':
        if (r.v === null) return this.nil(resp, '$-1\r\n');
        this.header(0x24, r.v.length); // $
        this.payload(r.v);
        this.crlf();
        return;
      case 'double': {
        const s = formatDouble(r.v);
        if (resp === 3) return this.line(0x2c, s); // ,
        this.header(0x24, s.length);
        this.text(s);
        this.crlf();
        return;
      }
      case 'array':
        if (r.v === null) return this.nil(resp, '*-1\r\n');
        this.header(0x2a, r.v.length); // *
        for (const item of r.v) this.reply(item, resp);
        return;
      case 'map':
        if (resp === 3) this.header(0x25, r.v.length); // %
        else this.header(0x2a, r.v.length * 2);
        for (const [k, v] of r.v) {
          this.reply(k, resp);
          this.reply(v, resp);
        }
        return;
    }
  }

  /** `<type><n>\r\n` for a non-negative n, digits written in place. */
  header(type: number, n: number): void {
    const buf = this.buf;
    buf[this.off] = type;
    const len = decimalLength(n);
    let i = this.off + len;
    for (let v = n; i > this.off; i--, v = Math.floor(v / 10)) buf[i] = 0x30 + (v % 10);
    this.off += len + 1;
    this.crlf();
  }

  payload(p: Buffer): void {
    if (this.out !== null && p.length >= this.big) {
      this.flushSegment();
      this.out.push(p);
      return;
    }
    this.buf.set(p, this.off);
    this.off += p.length;
  }

  text(s: string): void {
    this.off += this.buf.write(s, this.off, 'utf8');
  }

  crlf(): void {
    this.buf[this.off++] = CR;
    this.buf[this.off++] = LF;
  }

  /** Pushes what is left of `buf` (writeReply). */
  finish(): void {
    this.flushSegment();
  }

  private line(type: number, s: string): void {
    this.buf[this.off++] = type;
    this.text(s);
    this.crlf();
  }

  private nil(resp: RespVersion, resp2: string): void {
    this.off += this.buf.write(resp === 3 ? '_\r\n' : resp2, this.off, 'latin1');
  }

  private flushSegment(): void {
    if (this.out !== null && this.off > this.segment) this.out.push(this.buf.subarray(this.segment, this.off));
    this.segment = this.off;
  }
}
