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
// States as small integers: the loop below runs on every byte of a client's command
// headers while the proxy relays raw, so it keeps its state in locals (about 70-80 ns
// per redis-benchmark SET on this box; with string states on `this` it was 130-160 ns,
// which the same-run A/B against the proxy before routing saw as +12 % CPU per request
// at pipeline 16).
const START = 0;
const COUNT = 1;
const BULK_LEN = 2;
const BODY = 3;
const INLINE = 4;
const LOST = 5;

export class CommandBounds {
  private state = START;
  private num = 0;
  private neg = false;
  private argsLeft = 0;
  /** Payload bytes plus the CRLF after it, still to skip. */
  private skip = 0;
  private lineLen = 0;

  get lost(): boolean {
    return this.state === LOST;
  }

  /** True when the bytes seen so far end exactly after a whole command (or nothing). */
  get atBoundary(): boolean {
    return this.state === START;
  }

  /**
   * Scans `chunk`. With `stopAtFirst`, returns the offset just after the first command
   * that ends inside it (the rest is not scanned); otherwise, or if none ends, -1.
   */
  scan(chunk: Uint8Array, stopAtFirst = false): number {
    let state = this.state;
    let num = this.num;
    let neg = this.neg;
    let argsLeft = this.argsLeft;
    let skip = this.skip;
    let lineLen = this.lineLen;
    let i = 0;
    let found = -1;
    const n = chunk.length;
    loop: while (i < n) {
      switch (state) {
        case BODY: {
          const take = skip < n - i ? skip : n - i;
          i += take;
          skip -= take;
          if (skip > 0) break loop;
          if (--argsLeft === 0) {
            state = START;
            if (stopAtFirst) {
              found = i;
              break loop;
            }
          } else {
            state = BULK_LEN;
            num = 0;
            lineLen = 0;
          }
          break;
        }
        case START: {
          const c = chunk[i++]!;
          num = 0;
          neg = false;
          lineLen = 0;
          if (c === 0x2a /* * */) state = COUNT;
          else if (c !== 0x0d && c !== 0x0a) {
            state = INLINE; // blank lines between commands are skipped, as Redis does
            lineLen = 1;
          }
          break;
        }
        case COUNT:
        case BULK_LEN: {
          const c = chunk[i++]!;
          const pos = ++lineLen;
          if (state === BULK_LEN && pos === 1) {
            if (c !== 0x24 /* $ */) state = LOST;
          } else if (c >= 0x30 && c <= 0x39) num = num * 10 + (c - 0x30);
          else if (c === 0x0a) {
            if (state === COUNT) {
              if (neg || num === 0) {
                state = START; // *0, *-1: empty requests
                if (stopAtFirst) {
                  found = i;
                  break loop;
                }
              } else {
                argsLeft = num;
                state = BULK_LEN;
              }
            } else {
              skip = num + 2;
              state = BODY;
            }
            num = 0;
            lineLen = 0;
          } else if (c === 0x2d /* - */ && state === COUNT && pos === 1) neg = true;
          else if (c !== 0x0d || pos > 22) state = LOST;
          break;
        }
        case INLINE: {
          const lf = chunk.indexOf(0x0a, i);
          if (lf < 0) {
            lineLen += n - i;
            i = n;
            if (lineLen > 64 * 1024) state = LOST;
            break;
          }
          i = lf + 1;
          state = START;
          if (stopAtFirst) {
            found = i;
            break loop;
          }
          break;
        }
        default: // LOST
          break loop;
      }
    }
    this.state = state;
    this.num = num;
    this.neg = neg;
    this.argsLeft = argsLeft;
    this.skip = skip;
    this.lineLen = lineLen;
    return found;
  }
}
