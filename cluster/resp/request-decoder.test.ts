import { describe, expect, it } from 'vitest';
import { RequestDecoder } from './request-decoder.js';
import { byteByByte, bytes, cutAt, decodeRequests, twoPieces, whole } from './testing.js';

/**
 * Each fixture is exact wire bytes and what Redis 7.0 makes of them. Every fixture is
 * decoded whole, byte by byte and cut in two at every offset, and must give the same
 * result each time (STYLE.md 1).
 */
interface Fixture {
  name: string;
  wire: string;
  commands: string[][];
  error?: { code: string; message: string };
}

const valid: Fixture[] = [
  { name: 'a multibulk GET', wire: '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n', commands: [['GET', 'k']] },
  {
    name: 'a pipelined multibulk',
    wire: '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n',
    commands: [['SET', 'k', 'hello'], ['GET', 'k'], ['PING']],
  },
  { name: 'an empty bulk argument', wire: '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n', commands: [['ECHO', '']] },
  {
    name: 'a binary payload holding CRLF, NUL and high bytes',
    wire: '*2\r\n$4\r\nECHO\r\n$6\r\n\r\n\x00\xff*$\r\n',
    commands: [['ECHO', '\r\n\x00\xff*$']],
  },
  { name: 'an inline command ended by CRLF', wire: 'PING\r\n', commands: [['PING']] },
  { name: 'an inline command ended by LF alone', wire: 'GET k\n', commands: [['GET', 'k']] },
  {
    name: 'an inline command with runs of blanks',
    wire: ' \t SET  k\x0bx \t v \r\n',
    // \v separates only when skipping blanks: inside an argument it is a plain byte.
    commands: [['SET', 'k\x0bx', 'v']],
  },
  {
    name: 'inline double quotes with escapes',
    wire: 'SET "a b" "\\x41\\x4a\\n\\r\\t\\b\\a\\"\\\\\\q"\r\n',
    commands: [['SET', 'a b', 'AJ\n\r\t\b\x07"\\q']],
  },
  { name: 'inline single quotes with an escaped quote', wire: "SET 'it\\'s' 'a\\nb'\r\n", commands: [['SET', "it's", 'a\\nb']] },
  { name: 'an inline quote opening mid-argument', wire: 'SET ab"c d" x\r\n', commands: [['SET', 'abc d', 'x']] },
  { name: 'inline empty quoted arguments', wire: 'SET "" \'\'\r\n', commands: [['SET', '', '']] },
  { name: 'an invalid \\x escape kept as x', wire: 'ECHO "\\xZZ"\r\n', commands: [['ECHO', 'xZZ']] },
  { name: 'empty and blank inline lines, skipped', wire: '\r\n\n  \t\r\nPING\r\n\r\n', commands: [['PING']] },
  { name: 'multibulk counts of 0 and -1, skipped', wire: '*0\r\n*-1\r\n*-7\r\nPING\r\n', commands: [['PING']] },
  {
    name: 'inline and multibulk requests mixed in one pipeline',
    wire: 'PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nECHO "x y"\r\n',
    commands: [['PING'], ['ECHO', 'hi'], ['ECHO', 'x y']],
  },
  {
    // Redis skips the byte after a line's CR and the 2 bytes after a payload unchecked.
    name: 'the bytes Redis skips without looking at them',
    wire: '*2\rX$3\r?GETab$1\r\nkZZ',
    commands: [['GET', 'k']],
  },
  { name: 'a $ line right after a command (an inline request)', wire: '$3\r\n', commands: [['$3']] },
];

const perr = (code: string, what: string) => ({ code, message: `ERR Protocol error: ${what}` });

const malformed: Fixture[] = [
  { name: 'a non-numeric count', wire: '*abc\r\n', commands: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'a count with a leading zero', wire: '*01\r\n', commands: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'a count of -0', wire: '*-0\r\n', commands: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'a count with a plus sign', wire: '*+1\r\n', commands: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'an empty count', wire: '*\r\n', commands: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'a count over 1024*1024', wire: '*1048577\r\n', commands: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'a count past int64', wire: '*9223372036854775808\r\n', commands: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'a negative bulk length', wire: '*1\r\n$-1\r\n', commands: [], error: perr('RESP_INVALID_BULK_LENGTH', 'invalid bulk length') },
  { name: 'a bulk length of 4 GiB', wire: '*1\r\n$4294967296\r\n', commands: [], error: perr('RESP_INVALID_BULK_LENGTH', 'invalid bulk length') },
  { name: 'a bulk length one past 512 MiB', wire: '*1\r\n$536870913\r\n', commands: [], error: perr('RESP_INVALID_BULK_LENGTH', 'invalid bulk length') },
  { name: 'a bulk length with a space', wire: '*1\r\n$ 1\r\n', commands: [], error: perr('RESP_INVALID_BULK_LENGTH', 'invalid bulk length') },
  { name: 'a bulk length with a leading zero', wire: '*1\r\n$03\r\n', commands: [], error: perr('RESP_INVALID_BULK_LENGTH', 'invalid bulk length') },
  { name: 'a bulk line without $', wire: '*1\r\nx3\r\nabc\r\n', commands: [], error: perr('RESP_UNEXPECTED_TYPE', "expected '$', got 'x'") },
  {
    name: 'an integer where a bulk should be, after a good command',
    wire: 'PING\r\n*2\r\n$1\r\na\r\n:1\r\n',
    commands: [['PING']],
    error: perr('RESP_UNEXPECTED_TYPE', "expected '$', got ':'"),
  },
  {
    // The "%c" is a CR: Redis maps it to a space so the error stays one line.
    name: 'an empty line where a bulk should be',
    wire: '*2\r\n$3\r\nGET\r\n\r\n',
    commands: [],
    error: perr('RESP_UNEXPECTED_TYPE', "expected '$', got ' '"),
  },
  { name: 'an unclosed double quote', wire: 'SET "abc\r\n', commands: [], error: perr('RESP_UNBALANCED_QUOTES', 'unbalanced quotes in request') },
  { name: 'an unclosed single quote', wire: "SET 'abc\r\n", commands: [], error: perr('RESP_UNBALANCED_QUOTES', 'unbalanced quotes in request') },
  { name: 'a closing quote followed by a letter', wire: 'SET "a"b\r\n', commands: [], error: perr('RESP_UNBALANCED_QUOTES', 'unbalanced quotes in request') },
  { name: 'a quote ending on a backslash', wire: 'SET "a\\\r\n', commands: [], error: perr('RESP_UNBALANCED_QUOTES', 'unbalanced quotes in request') },
];

function expectSame(f: Fixture, chunks: Buffer[]): void {
  const got = decodeRequests(chunks);
  expect(got.commands).toEqual(f.commands);
  expect(got.error).toEqual(f.error);
}

describe.each([...valid, ...malformed])('resp request: $name', (f) => {
  const wire = bytes(f.wire);
  it('decodes whole', () => expectSame(f, whole(wire)));
  it('decodes byte by byte', () => expectSame(f, byteByByte(wire)));
  it('decodes split in two at every offset', () => {
    for (const chunks of twoPieces(wire)) expectSame(f, chunks);
  });
});

describe('resp request: limits', () => {
  it('refuses $4294967296 as soon as its line ends, holding nothing', () => {
    const got = decodeRequests([bytes('*1\r\n$4294967296\r\n')]);
    expect(got.error?.code).toBe('RESP_INVALID_BULK_LENGTH');
    expect(got.buffered).toBe(0);
  });

  it('holds only the 10 bytes given of a declared 100000000-byte bulk', () => {
    const got = decodeRequests([bytes('*1\r\n$100000000\r\n'), Buffer.alloc(10, 0x61)]);
    expect(got).toEqual({ commands: [], buffered: 10 });
  });

  it('accepts a bulk of exactly maxBulkLen and refuses one byte more', () => {
    expect(decodeRequests([bytes('*1\r\n$5\r\nhello\r\n')], { maxBulkLen: 5 }).commands).toEqual([['hello']]);
    expect(decodeRequests([bytes('*1\r\n$6\r\n')], { maxBulkLen: 5 }).error?.code).toBe('RESP_INVALID_BULK_LENGTH');
  });

  it('waits on a bulk of exactly 512 MiB by default', () => {
    const got = decodeRequests([bytes('*1\r\n$536870912\r\nab')]);
    expect(got).toEqual({ commands: [], buffered: 2 });
  });

  it('accepts a count of 1024*1024 and, with maxMultibulkLen, a larger one', () => {
    expect(decodeRequests([bytes('*1048576\r\n')]).error).toBeUndefined();
    expect(decodeRequests([bytes('*2147483647\r\n')], { maxMultibulkLen: 2 ** 31 - 1 }).error).toBeUndefined();
    expect(decodeRequests([bytes('*3\r\n')], { maxMultibulkLen: 2 }).error?.code).toBe('RESP_INVALID_MULTIBULK_LENGTH');
  });

  const big = (n: number, c = 'a') => c.repeat(n);
  const splits = (b: Buffer) => [whole(b), cutAt(b, [1, 100, 65536]), cutAt(b, [65537]), cutAt(b, [b.length - 1])];

  it('accepts an inline line of 64 KiB and refuses one byte more, however it is split', () => {
    for (const chunks of splits(bytes(`${big(65536)}\n`))) {
      expect(decodeRequests(chunks).commands).toEqual([[big(65536)]]);
    }
    for (const chunks of splits(bytes(`${big(65537)}\n`))) {
      expect(decodeRequests(chunks).error).toEqual(perr('RESP_TOO_BIG_INLINE', 'too big inline request'));
    }
  });

  it('refuses an inline request past 64 KiB before its newline arrives', () => {
    const d = decodeRequests([bytes(big(65536))]);
    expect(d).toEqual({ commands: [], buffered: 65536 });
    expect(decodeRequests([bytes(big(65536)), bytes('a')]).error?.code).toBe('RESP_TOO_BIG_INLINE');
  });

  it('refuses a count line past 64 KiB', () => {
    for (const chunks of splits(bytes(`*${big(65536, '1')}\r\n`))) {
      expect(decodeRequests(chunks).error).toEqual(perr('RESP_TOO_BIG_MBULK_COUNT', 'too big mbulk count string'));
    }
  });

  it('refuses a bulk length line past 64 KiB', () => {
    for (const chunks of splits(bytes(`*1\r\n$${big(65536, '1')}`))) {
      expect(decodeRequests(chunks).error).toEqual(perr('RESP_TOO_BIG_BULK_COUNT', 'too big bulk count string'));
    }
  });

  it('decodes a 200 KB argument sent in 1,000 chunks', () => {
    const value = Buffer.alloc(200_000, 0x7a);
    const wire = Buffer.concat([bytes('*2\r\n$4\r\nECHO\r\n$200000\r\n'), value, bytes('\r\nPING\r\n')]);
    const offsets = Array.from({ length: 999 }, (_, i) => Math.floor(((i + 1) * wire.length) / 1000));
    const got = decodeRequests(cutAt(wire, offsets));
    expect(got.commands).toEqual([['ECHO', value.toString('latin1')], ['PING']]);
    expect(got.buffered).toBe(0);
  });
});

describe('resp request: NUL bytes, as Redis sees them through strchr', () => {
  it('waits on a length line with a NUL before its CR, then finds it too big', () => {
    const head = bytes('*1\r\n$3\x00\r\nabc\r\n');
    expect(decodeRequests([head])).toEqual({ commands: [], buffered: head.length - 4 });
    const more = Buffer.alloc(65536, 0x61);
    expect(decodeRequests([head, more]).error?.code).toBe('RESP_TOO_BIG_BULK_COUNT');
  });

  it('waits on an inline line with a NUL before its LF, then finds it too big', () => {
    const line = bytes('GET a\x00b\r\nPING\r\n');
    expect(decodeRequests([line])).toEqual({ commands: [], buffered: line.length });
    expect(decodeRequests([line, Buffer.alloc(65536, 0x61)]).error?.code).toBe('RESP_TOO_BIG_INLINE');
  });

  it('keeps a NUL inside a bulk payload as data', () => {
    expect(decodeRequests([bytes('*1\r\n$1\r\n\x00\r\n')]).commands).toEqual([['\x00']]);
  });
});

describe('resp request: failures', () => {
  it('reports once and ignores everything written after', () => {
    const commands: Buffer[][] = [];
    const errors: string[] = [];
    const d = new RequestDecoder({ onCommand: (a) => commands.push(a), onError: (e) => errors.push(e.code) });
    d.write(bytes('PING\r\n*x\r\n'));
    d.write(bytes('PING\r\n*y\r\n'));
    expect(commands).toHaveLength(1);
    expect(errors).toEqual(['RESP_INVALID_MULTIBULK_LENGTH']);
    expect(d.hasFailed).toBe(true);
    expect(d.bufferedBytes()).toBe(0);
  });

  it('keeps the undecoded rest when onCommand throws, and decodes it on the next write', () => {
    const seen: string[] = [];
    let throwOnce = true;
    const d = new RequestDecoder({
      onCommand: (a) => {
        seen.push(a.join(' '));
        if (throwOnce) {
          throwOnce = false;
          throw new Error('boom');
        }
      },
      onError: () => undefined,
    });
    expect(() => d.write(bytes('PING\r\nECHO a\r\n*1\r\n$1'))).toThrow('boom');
    expect(seen).toEqual(['PING']);
    d.write(bytes('\r\nx\r\n'));
    expect(seen).toEqual(['PING', 'ECHO a', 'x']);
  });
});

describe('resp request: bufferedBytes', () => {
  it('is zero between complete requests and counts a partial request', () => {
    const d = new RequestDecoder({ onCommand: () => undefined, onError: () => undefined });
    d.write(bytes('*2\r\n$3\r\nGET\r\n'));
    expect(d.bufferedBytes()).toBe(3); // the decoded "GET" of the unfinished request
    d.write(bytes('$1\r\nk'));
    expect(d.bufferedBytes()).toBe(4); // plus the unconsumed "k"
    d.write(bytes('\r\n'));
    expect(d.bufferedBytes()).toBe(0);
  });
});
