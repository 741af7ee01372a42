import { describe, expect, it } from 'vitest';
import { CommandBounds } from './command-bounds.js';
import { ReplyScanner, isNilReply } from './reply-scanner.js';

const COMMANDS = Buffer.from(
  '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n' + 'PING\r\n' + '*0\r\n' + '*3\r\n$3\r\nSET\r\n$2\r\nab\r\n$0\r\n\r\n' + '\r\n' + '*1\r\n$4\r\nPING\r\n',
);
/** Offsets just after each command of COMMANDS. */
const ENDS = [20, 26, 30, 57, 73];

const REPLIES = [
  '+OK\r\n', '-ERR x\r\n', ':12\r\n', '$-1\r\n', '$3\r\nab\n\r\n', '*-1\r\n', '*2\r\n$1\r\na\r\n*1\r\n:1\r\n',
  '_\r\n', ',1.5\r\n', '#t\r\n', '(123\r\n', '=8\r\ntxt:abcd\r\n', '!3\r\nerr\r\n', '%1\r\n+a\r\n:1\r\n', '~0\r\n', '|1\r\n+k\r\n+v\r\n$1\r\nz\r\n', '*0\r\n',
];

describe('route codecs', () => {
  it('command bounds: finds every command end of a pipeline, whole, byte by byte and split at every byte', () => {
    const ends = (chunks: Buffer[]): number[] => {
      const b = new CommandBounds();
      const out: number[] = [];
      let base = 0;
      for (const c of chunks) {
        let from = 0;
        for (;;) {
          const off = b.scan(c.subarray(from), true);
          if (off < 0) break;
          from += off;
          out.push(base + from);
        }
        base += c.length;
      }
      expect(b.atBoundary).toBe(true);
      return out;
    };
    expect(ends([COMMANDS])).toEqual(ENDS);
    expect(ends([...COMMANDS].map((x) => Buffer.from([x])))).toEqual(ENDS);
    for (let i = 1; i < COMMANDS.length; i++) expect(ends([COMMANDS.subarray(0, i), COMMANDS.subarray(i)])).toEqual(ENDS);
  });

  it('command bounds: knows it is mid-command after a partial one, and gives up on a bad length line', () => {
    const b = new CommandBounds();
    b.scan(Buffer.from('*2\r\n$3\r\nGE'));
    expect(b.atBoundary).toBe(false);
    b.scan(Buffer.from('T\r\n$1\r\nk\r\n'));
    expect(b.atBoundary).toBe(true);
    b.scan(Buffer.from('*1\r\nx3\r\n'));
    expect(b.lost).toBe(true);
    expect(b.atBoundary).toBe(false);
  });

  it('reply scanner: returns each reply byte for byte, whole, byte by byte and split at every byte', () => {
    const all = Buffer.from(REPLIES.join(''));
    const run = (chunks: Buffer[]): string[] => {
      const out: string[] = [];
      const s = new ReplyScanner({ onReply: (r) => out.push(r.toString('latin1')), onError: (e) => { throw e; } });
      for (const c of chunks) s.write(c);
      expect(s.bufferedBytes).toBe(0);
      return out;
    };
    expect(run([all])).toEqual(REPLIES);
    expect(run([...all].map((x) => Buffer.from([x])))).toEqual(REPLIES);
    for (let i = 1; i < all.length; i++) expect(run([all.subarray(0, i), all.subarray(i)])).toEqual(REPLIES);
  });

  it('reply scanner: an unknown type byte is a protocol error; nil replies are recognised in RESP2 and RESP3', () => {
    const errors: string[] = [];
    const s = new ReplyScanner({ onReply: () => undefined, onError: (e) => errors.push(e.code) });
    s.write(Buffer.from('+OK\r\n?x\r\n'));
    expect(errors).toEqual(['RESP_UNEXPECTED_TYPE']);
    expect(['$-1\r\n', '*-1\r\n', '_\r\n'].map((x) => isNilReply(Buffer.from(x)))).toEqual([true, true, true]);
    expect(isNilReply(Buffer.from('$0\r\n\r\n'))).toBe(false);
  });
});
