import { constants } from 'node:buffer';
import { ProtocolError, protocolErrors } from './errors.js';
import { InputBuffer } from './input-buffer.js';
import { parseDouble, string2ll } from './numbers.js';
import type { Reply } from './reply.js';

/**
 * Client-side reply decoder: bytes a server sent -> Reply values, RESP2 and RESP3.
 * Error replies are values (`{t:'error'}`), not exceptions; only malformed bytes are
 * a ProtocolError.
 *
 * Reply has no variant for every RESP3 type, so those come back as what Redis itself
 * sends a RESP2 client for the same data (networking.c addReply*):
 *
 *   _            null      -> bulk null (RESP3 has one null for bulk and array)
 *   #t / #f      boolean   -> int 1 / 0               (addReplyBool)
 *   ( digits     big num   -> bulk of the digits      (addReplyBigNum)
 *   =len txt:..  verbatim  -> bulk without "txt:"     (addReplyVerbatim)
 *   !len ...     blob err  -> error
 *   ~N           set       -> array
 *   >N           push      -> onPush(array) at top level if given, else an array reply
 *   |N           attribute -> read and dropped; the value after it is the reply
 *
 * Unlike the request decoder, this side is strict: lines must end in CRLF and bulk
 * payloads must be followed by CRLF.
 *
 * Bulk values are views into the received chunks, as RequestDecoder's arguments are:
 * copy one before keeping it for long.
 */
export interface ReplyDecoderOptions {
  onReply(r: Reply): void;
  /** Called once; the decoder ignores all input after it. */
  onError(e: ProtocolError): void;
  /** Out-of-band RESP3 push messages (client tracking, pub/sub). */
  onPush?(r: Reply): void;
  /** Longest bulk accepted; 512 MiB by default, like the server's proto-max-bulk-len. */
  maxBulkLen?: number;
  /** Longest simple line (status, error, number), type byte included; 1 MiB by default. */
  maxLineLength?: number;
  /** Most elements in one aggregate; as hiredis' REDIS_READER_MAX_ARRAY_ELEMENTS. */
  maxAggregateLen?: number;
}

const CR = 0x0d;
const LF = 0x0a;

/** An aggregate being filled: `remaining` values still to come into `items`. */
interface Frame {
  type: number;
  remaining: number;
  items: Reply[];
}

const T_ARRAY = 0x2a; // *
const T_MAP = 0x25; // %
const T_SET = 0x7e; // ~
const T_PUSH = 0x3e; // >
const T_ATTR = 0x7c; // |
const T_BULK = 0x24; // $
const T_VERBATIM = 0x3d; // =
const T_BLOB_ERROR = 0x21; // !

const NIL: Reply = { t: 'bulk', v: null };
const TRUE: Reply = { t: 'int', v: 1 };
const FALSE: Reply = { t: 'int', v: 0 };

export class ReplyDecoder {
  private readonly input = new InputBuffer();
  private readonly opts: ReplyDecoderOptions;
  private readonly maxBulkLen: number;
  private readonly maxLine: number;
  private readonly maxAggregate: number;
  private failed = false;
  private readonly stack: Frame[] = [];
  /** Type and length of the blob ($ = !) whose payload comes next, or -1. */
  private blobType = 0;
  private blobLen = -1;
  /** Payload bytes held in frames of the value in progress (see bufferedBytes). */
  private heldBytes = 0;

  constructor(opts: ReplyDecoderOptions) {
    this.opts = opts;
    this.maxBulkLen = Math.min(opts.maxBulkLen ?? 512 * 1024 * 1024, constants.MAX_LENGTH - 2);
    this.maxLine = opts.maxLineLength ?? 1024 * 1024;
    this.maxAggregate = opts.maxAggregateLen ?? 2 ** 32 - 1;
  }

  write(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    if (!this.input.push(chunk)) {
      if (this.input.waitingForLine && this.input.size > this.maxLine) this.fail(protocolErrors.tooBigLine());
      return;
    }
    this.parse();
  }

  /** Input bytes held: unparsed bytes plus payloads inside an unfinished aggregate. */
  bufferedBytes(): number {
    return this.input.size + this.heldBytes;
  }

  get hasFailed(): boolean {
    return this.failed;
  }

  private parse(): void {
    const input = this.input;
    const buf = input.buf;
    const end = buf.length;
    let pos = input.pos;
    while (pos < end) {
      let value: Reply | undefined;
      if (this.blobLen >= 0) {
        const len = this.blobLen;
        if (end - pos < len + 2) return input.waitBytes(pos, len + 2);
        if (buf[pos + len] !== CR || buf[pos + len + 1] !== LF) return this.fail(protocolErrors.expectedCrlf());
        value = this.blob(buf.subarray(pos, pos + len));
        if (value === undefined) return;
        pos += len + 2;
        this.blobLen = -1;
      } else {
        const cr = buf.indexOf(CR, pos);
        if (cr === -1 || cr - pos > this.maxLine) {
          if (cr !== -1 || end - pos > this.maxLine) return this.fail(protocolErrors.tooBigLine());
          return input.waitByte(pos, CR);
        }
        if (cr + 1 >= end) return input.waitBytes(pos, cr - pos + 2);
        if (buf[cr + 1] !== LF) return this.fail(protocolErrors.expectedCrlf());
        const type = buf[pos];
        value = this.line(type, buf, pos + 1, cr);
        if (this.failed) return;
        pos = cr + 2;
        if (value === undefined) {
          // A blob header, or an aggregate opened: complete only if it is empty.
          const top = this.stack[this.stack.length - 1];
          if (top === undefined || top.remaining > 0) continue;
          input.pos = pos;
          value = this.close();
          if (value === undefined) continue;
        }
      }
      input.pos = pos; // so that a throwing callback leaves the decoder consistent
      this.deliver(value);
      if (this.failed) return;
    }
    input.consumed();
  }

  /**
   * One line `<type><text>\r\n`, text in `buf[s, e)`. Returns the value it is, or
   * undefined when it opened a blob or an aggregate (or failed).
   */
  private line(type: number, buf: Buffer, s: number, e: number): Reply | undefined {
    switch (type) {
      case 0x2b: // + status
        return { t: 'status', v: buf.toString('utf8', s, e) };
      case 0x2d: // - error
        return { t: 'error', v: buf.toString('utf8', s, e) };
      case 0x3a: {
        // : integer
        const n = string2ll(buf, s, e);
        if (Number.isNaN(n)) return this.fail(protocolErrors.invalidInteger());
        return { t: 'int', v: n };
      }
      case T_BULK:
      case T_VERBATIM:
      case T_BLOB_ERROR: {
        const n = string2ll(buf, s, e);
        if (n === -1 && type === T_BULK) return NIL;
        if (!(n >= 0 && n <= this.maxBulkLen)) return this.fail(protocolErrors.invalidBulkLength());
        this.blobType = type;
        this.blobLen = n;
        return undefined;
      }
      case T_ARRAY:
      case T_SET:
      case T_PUSH:
      case T_MAP:
      case T_ATTR: {
        const n = string2ll(buf, s, e);
        if (n === -1 && type === T_ARRAY) return { t: 'array', v: null };
        if (!(n >= 0 && n <= this.maxAggregate)) return this.fail(protocolErrors.invalidMultibulkLength());
        // No preallocation: items grow as values actually arrive.
        this.stack.push({ type, remaining: type === T_MAP || type === T_ATTR ? n * 2 : n, items: [] });
        return undefined;
      }
      case 0x2c: {
        // , double
        const d = parseDouble(buf.toString('latin1', s, e));
        if (d === undefined) return this.fail(protocolErrors.invalidDouble());
        return { t: 'double', v: d };
      }
      case 0x5f: // _ null
        if (e !== s) return this.fail(protocolErrors.invalidNull());
        return NIL;
      case 0x23: // # boolean
        if (e - s === 1 && buf[s] === 0x74) return TRUE; // t
        if (e - s === 1 && buf[s] === 0x66) return FALSE; // f
        return this.fail(protocolErrors.invalidBoolean());
      case 0x28: {
        // ( big number
        const text = buf.toString('latin1', s, e);
        if (!/^[+-]?\d+$/.test(text)) return this.fail(protocolErrors.invalidBignum());
        return { t: 'bulk', v: Buffer.from(text, 'latin1') };
      }
      default:
        return this.fail(protocolErrors.unknownType(type));
    }
  }

  /** The value of a complete blob payload; undefined on failure. */
  private blob(payload: Buffer): Reply | undefined {
    switch (this.blobType) {
      case T_VERBATIM:
        // "txt:" or "mkd:" then the text (RESP3 spec, "Verbatim string").
        if (payload.length < 4 || payload[3] !== 0x3a) return this.fail(protocolErrors.invalidVerbatim());
        return { t: 'bulk', v: payload.subarray(4) };
      case T_BLOB_ERROR:
        return { t: 'error', v: payload.toString('utf8') };
      default:
        return { t: 'bulk', v: payload };
    }
  }

  /** Hands a complete value to its aggregate, closing every aggregate it completes. */
  private deliver(value: Reply): void {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        this.heldBytes = 0;
        this.opts.onReply(value);
        return;
      }
      top.items.push(value);
      if (value.t === 'bulk' && value.v !== null) this.heldBytes += value.v.length;
      if (--top.remaining > 0) return;
      const closed = this.close();
      if (closed === undefined) return;
      value = closed;
    }
  }

  /**
   * Pops the complete aggregate on top of the stack. Returns its value, or undefined
   * when it was an attribute (dropped: metadata about the next value) or a push
   * handed to onPush.
   */
  private close(): Reply | undefined {
    const top = this.stack.pop()!;
    if (top.type === T_ATTR) return undefined;
    const value = aggregate(top.type, top.items);
    if (top.type === T_PUSH && this.stack.length === 0 && this.opts.onPush) {
      this.heldBytes = 0;
      this.opts.onPush(value);
      return undefined;
    }
    return value;
  }

  private fail(e: ProtocolError): undefined {
    this.failed = true;
    this.input.clear();
    this.stack.length = 0;
    this.heldBytes = 0;
    this.blobLen = -1;
    this.opts.onError(e);
    return undefined;
  }
}

function aggregate(type: number, items: Reply[]): Reply {
  if (type !== T_MAP) return { t: 'array', v: items };
  const pairs: Array<[Reply, Reply]> = [];
  for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
  return { t: 'map', v: pairs };
}
