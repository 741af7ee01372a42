/**
 * Reads the command names (and first two arguments) of a RESP request stream as it
 * passes, without holding it: bulk payloads are skipped by their length, only the first
 * ARG_CAP bytes of the first three arguments are copied. The proxy uses it on client-port
 * connections until it knows whether a connection is a replica's (replication.c
 * syncWithMaster: PING, [AUTH], REPLCONF listening-port, REPLCONF capa, PSYNC).
 *
 *   *3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$5\r\n30004\r\n
 *   └count┘└len┘└─ arg 0 ─┘ ...                      (multibulk, what replicas send)
 *   PING\r\n                                          (inline, what telnet sends)
 *
 * A stream that is not RESP (a bad length line) ends the scan with onMalformed; the
 * proxy relays it anyway, the node answers the protocol error.
 */
export interface SnifferHandlers {
  /** A whole command passed; return false to stop scanning. */
  onCommand(args: string[]): boolean;
  onMalformed(): void;
}

const ARG_CAP = 32;
const KEPT_ARGS = 3;
/** Redis' own limits (PROTO_INLINE_MAX_SIZE 64 KiB); a longer header line is malformed. */
const MAX_LINE = 64 * 1024;

type State = 'start' | 'count' | 'bulkLen' | 'body' | 'crlf' | 'inline' | 'done';

export class RespSniffer {
  private state: State = 'start';
  private num = 0;
  private neg = false;
  private lineLen = 0;
  private argsLeft = 0;
  private bodyLeft = 0;
  private crlfLeft = 0;
  private args: string[] = [];
  private arg: number[] = [];

  constructor(private readonly h: SnifferHandlers) {}

  get done(): boolean {
    return this.state === 'done';
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    while (i < n && this.state !== 'done') {
      const c = chunk[i];
      switch (this.state) {
        case 'start':
          this.args = [];
          this.arg = [];
          this.num = 0;
          this.neg = false;
          this.lineLen = 0;
          if (c === 0x2a /* * */) this.state = 'count';
          else {
            this.state = 'inline';
            continue; // the byte belongs to the inline line
          }
          i++;
          break;
        case 'count':
        case 'bulkLen': {
          i++;
          const pos = ++this.lineLen;
          if (this.state === 'bulkLen' && pos === 1) {
            if (c !== 0x24 /* $ */) return this.malformed();
            break;
          }
          if (pos > 20) return this.malformed();
          if (c >= 0x30 && c <= 0x39) this.num = this.num * 10 + (c - 0x30);
          else if (c === 0x0a) this.endLengthLine();
          else if (c === 0x2d /* - */ && this.state === 'count' && pos === 1) this.neg = true;
          else if (c !== 0x0d) return this.malformed();
          break;
        }
        case 'body': {
          const take = Math.min(this.bodyLeft, n - i);
          if (this.args.length < KEPT_ARGS && this.arg.length < ARG_CAP) {
            for (let j = i; j < i + take && this.arg.length < ARG_CAP; j++) this.arg.push(chunk[j]);
          }
          i += take;
          this.bodyLeft -= take;
          if (this.bodyLeft === 0) {
            this.state = 'crlf';
            this.crlfLeft = 2;
          }
          break;
        }
        case 'crlf': {
          const take = Math.min(this.crlfLeft, n - i);
          i += take;
          this.crlfLeft -= take;
          if (this.crlfLeft === 0) {
            if (this.args.length < KEPT_ARGS) this.args.push(String.fromCharCode(...this.arg));
            this.arg = [];
            if (--this.argsLeft === 0) this.command(this.args);
            else {
              this.state = 'bulkLen';
              this.num = 0;
              this.lineLen = 0;
            }
          }
          break;
        }
        case 'inline':
          i++;
          if (++this.lineLen > MAX_LINE) return this.malformed();
          if (c === 0x0a) {
            const line = String.fromCharCode(...this.arg).trim();
            if (line === '') this.state = 'start';
            else this.command(line.split(/\s+/).slice(0, KEPT_ARGS));
          } else if (this.arg.length < ARG_CAP * KEPT_ARGS) this.arg.push(c);
          break;
      }
    }
  }

  private endLengthLine(): void {
    if (this.state === 'count') {
      // *0 and *-1 are empty requests: Redis reads the next one.
      if (this.neg || this.num === 0) this.state = 'start';
      else {
        this.argsLeft = this.num;
        this.state = 'bulkLen';
        this.num = 0;
        this.lineLen = 0;
      }
      return;
    }
    this.bodyLeft = this.num;
    this.state = this.num === 0 ? 'crlf' : 'body';
    this.crlfLeft = 2;
  }

  private command(args: string[]): void {
    this.state = this.h.onCommand(args) ? 'start' : 'done';
  }

  private malformed(): void {
    this.state = 'done';
    this.h.onMalformed();
  }
}
