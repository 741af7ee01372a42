import { constants } from 'node:buffer';
import { ProtocolError, protocolErrors } from './errors.js';
import { InputBuffer } from './input-buffer.js';
import { string2ll } from './numbers.js';
import { splitArgs } from './split-args.js';

/**
 * Server-side request decoder: bytes a client sent -> argument vectors, following
 * Redis 7.0 networking.c (processInputBuffer, processMultibulkBuffer,
 * processInlineBuffer) including its limits and error texts.
 *
 * A request starting with '*' is a multibulk; anything else is an inline command, one
 * line split by sdssplitargs rules. Empty (or all-blank) inline lines and multibulks
 * with a count <= 0 are skipped, as Redis does.
 *
 *   *2\r\n$3\r\nGET\r\n$1\r\nk\r\n   multibulk: a count line, then per argument a
 *    ^     ^    ^                      length line and exactly that many bytes + 2
 *    count len  bytes
 *   GET k\r\n                        inline: one line, LF or CRLF ended
 *
 * Where Redis is lax we are lax in the same way, so that whatever Redis accepts we
 * accept: the byte after a CR that ends a count/length line is skipped unchecked, and
 * so are the 2 bytes after a bulk payload (Redis never checks they are CRLF).
 *
 * Arguments handed to onCommand are views into the received chunks (no copy). They
 * stay valid (the decoder never writes into a chunk), but keep the chunk's memory
 * alive: copy one (Buffer.from) before storing it for long.
 */
export interface RequestDecoderOptions {
  onCommand(args: Buffer[]): void;
  /** Called once; the decoder ignores all input after it. */
  onError(e: ProtocolError): void;
  /** proto-max-bulk-len: a longer bulk is refused. 512 MiB by default, as in Redis. */
  maxBulkLen?: number;
  /** Most arguments in one multibulk request; 1024*1024 by default (see below). */
  maxMultibulkLen?: number;
}

/** proto-max-bulk-len default (config.c). */
export const DEFAULT_MAX_BULK_LEN = 512 * 1024 * 1024;
/**
 * Redis up to 6.2 refused counts above 1024*1024. Redis 7.0 allows up to INT_MAX
 * (#9528, "Remove argument count limit"): pass `maxMultibulkLen: 2 ** 31 - 1` to match
 * it. Nothing is allocated per declared argument here, so either is safe.
 */
export const DEFAULT_MAX_MULTIBULK_LEN = 1024 * 1024;
/** PROTO_INLINE_MAX_SIZE (server.h): longest inline line, count or length line. */
export const MAX_LINE = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;

/** Which line the decoder waits for, to pick the error when it grows too long. */
type LineKind = 'inline' | 'mbulk' | 'bulk';
const lineTooLong = (kind: LineKind): ProtocolError =>
  kind === 'inline'
    ? protocolErrors.tooBigInline()
    : kind === 'mbulk'
      ? protocolErrors.tooBigMbulkCount()
      : protocolErrors.tooBigBulkCount();

/** Returned by the line helpers when parsing stopped (waiting, or failed). */
const STOP = -1;

export class RequestDecoder {
  private readonly input = new InputBuffer();
  private readonly onCommand: (args: Buffer[]) => void;
  private readonly onError: (e: ProtocolError) => void;
  private readonly maxBulkLen: number;
  private readonly maxMultibulkLen: number;
  private failed = false;
  private lineKind: LineKind = 'inline';

  // The multibulk in progress, as Redis' client fields multibulklen, bulklen, argv.
  private remaining = 0;
  private bulkLen = -1;
  private args: Buffer[] = [];
  private argsBytes = 0;

  // Cache for the next NUL byte in the current buffer (inline lines only).
  private nulBuf: Buffer | null = null;
  private nulFrom = 0;
  private nulAt = -1;

  constructor(opts: RequestDecoderOptions) {
    this.onCommand = opts.onCommand;
    this.onError = opts.onError;
    // A Buffer cannot be longer than MAX_LENGTH; cap so a huge setting cannot make
    // the final join throw instead of answering "invalid bulk length".
    this.maxBulkLen = Math.min(opts.maxBulkLen ?? DEFAULT_MAX_BULK_LEN, constants.MAX_LENGTH - 2);
    this.maxMultibulkLen = opts.maxMultibulkLen ?? DEFAULT_MAX_MULTIBULK_LEN;
  }

  write(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    if (!this.input.push(chunk)) {
      if (this.input.waitingForLine && this.input.size > MAX_LINE) this.fail(lineTooLong(this.lineKind));
      return;
    }
    this.parse();
  }

  /**
   * Input bytes the decoder holds: unparsed bytes plus the arguments of the request
   * in progress. Never more than what was written, whatever lengths were declared.
   */
  bufferedBytes(): number {
    return this.input.size + this.argsBytes;
  }

  /** True after onError: everything written since was ignored. */
  get hasFailed(): boolean {
    return this.failed;
  }

  private parse(): void {
    const input = this.input;
    const buf = input.buf;
    const end = buf.length;
    let pos = input.pos;
    while (pos < end) {
      if (this.remaining === 0) {
        if (buf[pos] !== STAR) {
          pos = this.inline(buf, pos, end);
          if (pos === STOP) return this.stopped();
          continue;
        }
        const cr = this.lineEnd(buf, pos, end, 'mbulk');
        if (cr === STOP) return this.stopped();
        const n = string2ll(buf, pos + 1, cr);
        if (!(n <= this.maxMultibulkLen)) {
          if (!this.stallOnNul(buf, pos, cr, end, 'mbulk')) this.fail(protocolErrors.invalidMultibulkLength());
          return this.stopped();
        }
        pos = cr + 2;
        if (n <= 0) continue; // "*0\r\n" and "*-1\r\n" are skipped, like Redis
        this.remaining = n;
      }

      while (this.remaining > 0 && pos < end) {
        if (this.bulkLen < 0) {
          const cr = this.lineEnd(buf, pos, end, 'bulk');
          if (cr === STOP) return this.stopped();
          if (buf[pos] !== DOLLAR) {
            if (!this.stallOnNul(buf, pos, cr, end, 'bulk')) this.fail(protocolErrors.expectedDollar(buf[pos]));
            return this.stopped();
          }
          const n = string2ll(buf, pos + 1, cr);
          if (!(n >= 0 && n <= this.maxBulkLen)) {
            if (!this.stallOnNul(buf, pos, cr, end, 'bulk')) this.fail(protocolErrors.invalidBulkLength());
            return this.stopped();
          }
          pos = cr + 2;
          this.bulkLen = n;
        }
        const need = this.bulkLen + 2;
        if (end - pos < need) {
          input.waitBytes(pos, need);
          return this.stopped();
        }
        this.args.push(buf.subarray(pos, pos + this.bulkLen));
        this.argsBytes += this.bulkLen;
        pos += need;
        this.bulkLen = -1;
        if (--this.remaining === 0) {
          const args = this.args;
          this.args = [];
          this.argsBytes = 0;
          input.pos = pos; // so that a throwing callback leaves the decoder consistent
          this.onCommand(args);
          if (this.failed) return;
        }
      }
    }
    input.consumed();
    this.stopped();
  }

  /**
   * Finds the CR ending a count or length line at `pos`. Returns its index, or STOP
   * after stashing the line (incomplete) or failing (too long).
   *
   * Redis reports "too big ... count string" when more than 64 KiB are buffered
   * without a CR. How much is buffered depends on how the bytes arrived; to give the
   * same answer however they are split, a line is too big when its CR is more than
   * 64 KiB away, whether or not the CR has arrived yet.
   */
  private lineEnd(buf: Buffer, pos: number, end: number, kind: LineKind): number {
    const cr = buf.indexOf(CR, pos);
    if (cr === -1 || cr - pos > MAX_LINE) {
      if (cr !== -1 || end - pos > MAX_LINE) {
        this.fail(lineTooLong(kind));
      } else {
        this.lineKind = kind;
        this.input.waitByte(pos, CR);
      }
      return STOP;
    }
    if (cr + 1 >= end) {
      // Redis also wants the byte after CR before it parses ("Buffer should also
      // contain \n"), though it never looks at it.
      this.input.waitBytes(pos, cr - pos + 2);
      return STOP;
    }
    return cr;
  }

  /**
   * Redis finds line ends with strchr, which stops at a NUL byte: a count or length
   * line with a NUL before its CR is, to Redis, a line without end. It waits for more
   * input until 64 KiB are buffered, then answers "too big ... count string". We do
   * the same instead of reporting the malformed number. Returns true if it stalled
   * (or failed) for that reason.
   */
  private stallOnNul(buf: Buffer, pos: number, cr: number, end: number, kind: LineKind): boolean {
    let i = pos;
    while (i < cr && buf[i] !== 0) i++;
    if (i === cr) return false;
    if (end - pos > MAX_LINE) {
      this.fail(lineTooLong(kind));
    } else {
      this.lineKind = kind;
      this.input.stall(pos);
    }
    return true;
  }

  /**
   * One inline command at `pos` (processInlineBuffer). Returns the position after
   * its LF, or STOP.
   *
   * The line ends at the first LF, with a CR just before it dropped. As for multibulk
   * lines, Redis searches with strchr, so a NUL before the LF means "no line end yet";
   * and the 64 KiB limit applies to the distance to the LF (see lineEnd).
   */
  private inline(buf: Buffer, pos: number, end: number): number {
    const lf = buf.indexOf(LF, pos);
    const nul = this.nextNul(buf, pos);
    const endless = nul !== -1 && (lf === -1 || nul < lf);
    if (lf === -1 || endless) {
      if (end - pos > MAX_LINE) {
        this.fail(protocolErrors.tooBigInline());
      } else {
        this.lineKind = 'inline';
        if (endless) this.input.stall(pos);
        else this.input.waitByte(pos, LF);
      }
      return STOP;
    }
    if (lf - pos > MAX_LINE) {
      this.fail(protocolErrors.tooBigInline());
      return STOP;
    }
    const stop = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    const args = splitArgs(buf, pos, stop);
    if (args === null) {
      this.fail(protocolErrors.unbalancedQuotes());
      return STOP;
    }
    pos = lf + 1;
    if (args.length > 0) {
      this.input.pos = pos;
      this.onCommand(args);
      if (this.failed) return STOP;
    }
    return pos;
  }

  /** Index of the first NUL at or after `pos` in `buf`, or -1; one scan per buffer. */
  private nextNul(buf: Buffer, pos: number): number {
    if (buf !== this.nulBuf || pos < this.nulFrom || (this.nulAt !== -1 && this.nulAt < pos)) {
      this.nulBuf = buf;
      this.nulFrom = pos;
      this.nulAt = buf.indexOf(0, pos);
    }
    return this.nulAt;
  }

  /** End of a parse() call: drop the NUL cache, which must not pin a buffer. */
  private stopped(): void {
    this.nulBuf = null;
  }

  private fail(e: ProtocolError): void {
    this.failed = true;
    this.input.clear();
    this.args = [];
    this.argsBytes = 0;
    this.onError(e);
  }
}
