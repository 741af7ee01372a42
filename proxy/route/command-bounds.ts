/**
 * Where a client's commands end in a RESP request stream, without holding it or copying
 * anything: multibulk headers are read byte by byte, bulk payloads skipped by their
 * length, inline commands end at LF (networking.c processMultibulkBuffer /
 * processInlineBuffer). The proxy runs it on every client-port connection, so that a
 * migration opened later can take a connection over at a command boundary
 * (route/switch.ts): a byte stream cut anywhere else would hand the router half a command.
 *
 *   *2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nSET ...
 *                             ^ boundary (scan(.., true) returns this offset)
 *
 * A length line it cannot read makes it `lost`: it never reports a boundary again and the
 * connection stays raw (the node answers the protocol error).
 */
type State = 'start' | 'count' | 'bulkLen' | 'body' | 'inline';

export class CommandBounds {
  private state: State = 'start';
  private num = 0;
  private neg = false;
  private argsLeft = 0;
  /** Payload bytes plus the CRLF after it, still to skip. */
  private skip = 0;
  private lineLen = 0;
  lost = false;

  /** True when the bytes seen so far end exactly after a whole command (or nothing). */
  get atBoundary(): boolean {
    return !this.lost && this.state === 'start';
  }

  /**
   * Scans `chunk`. With `stopAtFirst`, returns the offset just after the first command
   * that ends inside it (the rest is not scanned); otherwise, or if none ends, -1.
   */
  scan(chunk: Uint8Array, stopAtFirst = false): number {
    let i = 0;
    const n = chunk.length;
    while (i < n && !this.lost) {
      const c = chunk[i]!;
      switch (this.state) {
        case 'start':
          this.num = 0;
          this.neg = false;
          this.lineLen = 0;
          if (c === 0x2a /* * */) {
            this.state = 'count';
            i++;
          } else if (c === 0x0d || c === 0x0a) {
            i++; // blank lines between commands: Redis skips them
          } else this.state = 'inline';
          break;
        case 'count':
        case 'bulkLen': {
          i++;
          const pos = ++this.lineLen;
          if (this.state === 'bulkLen' && pos === 1) {
            if (c !== 0x24 /* $ */) this.lost = true;
            break;
          }
          if (c >= 0x30 && c <= 0x39) this.num = this.num * 10 + (c - 0x30);
          else if (c === 0x0a) {
            if (this.endLine() && stopAtFirst) return i;
          } else if (c === 0x2d /* - */ && this.state === 'count' && pos === 1) this.neg = true;
          else if (c !== 0x0d || pos > 22) this.lost = true;
          break;
        }
        case 'body': {
          const take = Math.min(this.skip, n - i);
          i += take;
          this.skip -= take;
          if (this.skip === 0 && this.endArg() && stopAtFirst) return i;
          break;
        }
        case 'inline':
          i++;
          if (c === 0x0a) {
            this.state = 'start';
            if (stopAtFirst) return i;
          } else if (++this.lineLen > 64 * 1024) this.lost = true;
          break;
      }
    }
    return -1;
  }

  /** A count or length line ended; true if that ended a command (*0, *-1). */
  private endLine(): boolean {
    if (this.state === 'count') {
      if (this.neg || this.num === 0) {
        this.state = 'start';
        return true;
      }
      this.argsLeft = this.num;
      this.state = 'bulkLen';
    } else {
      this.skip = this.num + 2;
      this.state = 'body';
    }
    this.num = 0;
    this.lineLen = 0;
    return false;
  }

  /** A payload and its CRLF passed; true if it was the command's last argument. */
  private endArg(): boolean {
    if (--this.argsLeft === 0) {
      this.state = 'start';
      return true;
    }
    this.state = 'bulkLen';
    this.num = 0;
    this.lineLen = 0;
    return false;
  }
}
