import { describe, expect, it } from 'vitest';
import { ReplyDecoder } from './reply-decoder.js';
import { type Reply, NIL, NIL_ARRAY, array, bulk, double, err, int, map, status } from './reply.js';
import { byteByByte, bytes, decodeReplies, twoPieces, whole } from './testing.js';

/**
 * Exact server bytes and the values a client reads from them. Every fixture is
 * decoded whole, byte by byte and cut in two at every offset.
 */
interface Fixture {
  name: string;
  wire: string;
  replies: Reply[];
  pushes?: Reply[];
  error?: { code: string; message: string };
}

const b = (s: string) => bulk(bytes(s));

const resp2: Fixture[] = [
  { name: 'a status', wire: '+OK\r\n', replies: [status('OK')] },
  { name: 'an empty status', wire: '+\r\n', replies: [status('')] },
  { name: 'an error', wire: "-ERR unknown command 'foo'\r\n", replies: [err("ERR unknown command 'foo'")] },
  { name: 'a MOVED redirect', wire: '-MOVED 3999 127.0.0.1:6381\r\n', replies: [err('MOVED 3999 127.0.0.1:6381')] },
  { name: 'a UTF-8 status', wire: '+caf\xc3\xa9\r\n', replies: [status('café')] },
  { name: 'zero', wire: ':0\r\n', replies: [int(0)] },
  { name: 'a negative integer', wire: ':-42\r\n', replies: [int(-42)] },
  { name: 'the largest safe integer', wire: ':9007199254740991\r\n', replies: [int(Number.MAX_SAFE_INTEGER)] },
  { name: 'a bulk string', wire: '$5\r\nhello\r\n', replies: [b('hello')] },
  { name: 'an empty bulk string', wire: '$0\r\n\r\n', replies: [b('')] },
  { name: 'a null bulk string', wire: '$-1\r\n', replies: [NIL] },
  { name: 'a binary bulk string holding CRLF', wire: '$4\r\n\r\n\x00\xff\r\n', replies: [b('\r\n\x00\xff')] },
  { name: 'an empty array', wire: '*0\r\n', replies: [array([])] },
  { name: 'a null array', wire: '*-1\r\n', replies: [NIL_ARRAY] },
  {
    name: 'nested arrays',
    wire: '*3\r\n*1\r\n:1\r\n*0\r\n*2\r\n$1\r\na\r\n$-1\r\n',
    replies: [array([array([int(1)]), array([]), array([b('a'), NIL])])],
  },
  {
    name: 'a CLUSTER SLOTS entry',
    wire: '*1\r\n*3\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:30001\r\n$4\r\nabcd\r\n',
    replies: [array([array([int(0), int(5460), array([b('127.0.0.1'), int(30001), b('abcd')])])])],
  },
  {
    name: 'pipelined replies',
    wire: '+OK\r\n$1\r\nv\r\n:1\r\n-ERR x\r\n',
    replies: [status('OK'), b('v'), int(1), err('ERR x')],
  },
];

const resp3: Fixture[] = [
  {
    name: 'a map',
    wire: '%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n',
    replies: [map([[status('first'), int(1)], [status('second'), int(2)]])],
  },
  { name: 'an empty map', wire: '%0\r\n', replies: [map([])] },
  { name: 'a double', wire: ',1.5\r\n', replies: [double(1.5)] },
  { name: 'a double with an exponent', wire: ',1e+17\r\n', replies: [double(1e17)] },
  { name: 'infinity', wire: ',inf\r\n', replies: [double(Infinity)] },
  { name: 'minus infinity', wire: ',-inf\r\n', replies: [double(-Infinity)] },
  { name: 'not a number', wire: ',nan\r\n', replies: [double(NaN)] },
  { name: 'a null', wire: '_\r\n', replies: [NIL] },
  { name: 'true', wire: '#t\r\n', replies: [int(1)] },
  { name: 'false', wire: '#f\r\n', replies: [int(0)] },
  {
    name: 'a big number',
    wire: '(3492890328409238509324850943850943825024385\r\n',
    replies: [b('3492890328409238509324850943850943825024385')],
  },
  { name: 'a verbatim string', wire: '=15\r\ntxt:Some string\r\n', replies: [b('Some string')] },
  { name: 'a blob error', wire: '!21\r\nSYNTAX invalid syntax\r\n', replies: [err('SYNTAX invalid syntax')] },
  { name: 'a set', wire: '~2\r\n+a\r\n:1\r\n', replies: [array([status('a'), int(1)])] },
  {
    // The example of the RESP3 spec: the attribute is metadata, the array is the reply.
    name: 'an attribute before a reply',
    wire: '|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n',
    replies: [array([int(2039123), int(9543892)])],
  },
  { name: 'an attribute inside an array', wire: '*2\r\n:1\r\n|1\r\n+a\r\n+b\r\n:2\r\n', replies: [array([int(1), int(2)])] },
  {
    name: 'a push between replies',
    wire: '+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nfoo\r\n:1\r\n',
    replies: [status('OK'), int(1)],
    pushes: [array([b('invalidate'), array([b('foo')])])],
  },
  {
    name: 'a map of nulls and empty aggregates',
    wire: '%2\r\n$1\r\nk\r\n_\r\n*0\r\n%0\r\n',
    replies: [map([[b('k'), NIL], [array([]), map([])]])],
  },
];

const perr = (code: string, what: string) => ({ code, message: `ERR Protocol error: ${what}` });

const malformed: Fixture[] = [
  { name: 'an unknown type byte', wire: '?x\r\n', replies: [], error: perr('RESP_UNEXPECTED_TYPE', "unknown reply type '?'") },
  { name: 'an empty line', wire: '+OK\r\n\r\n', replies: [status('OK')], error: perr('RESP_UNEXPECTED_TYPE', "unknown reply type ' '") },
  { name: 'a CR not followed by LF', wire: '+OK\rX', replies: [], error: perr('RESP_EXPECTED_CRLF', 'expected CRLF') },
  { name: 'a payload longer than declared', wire: '$3\r\nabcd\r\n', replies: [], error: perr('RESP_EXPECTED_CRLF', 'expected CRLF') },
  { name: 'a non-numeric integer', wire: ':12a\r\n', replies: [], error: perr('RESP_INVALID_INTEGER', 'invalid integer') },
  { name: 'an empty integer', wire: ':\r\n', replies: [], error: perr('RESP_INVALID_INTEGER', 'invalid integer') },
  { name: 'a bulk length of -2', wire: '$-2\r\n', replies: [], error: perr('RESP_INVALID_BULK_LENGTH', 'invalid bulk length') },
  { name: 'a bulk length of 4 GiB', wire: '$4294967296\r\n', replies: [], error: perr('RESP_INVALID_BULK_LENGTH', 'invalid bulk length') },
  { name: 'a null verbatim string', wire: '=-1\r\n', replies: [], error: perr('RESP_INVALID_BULK_LENGTH', 'invalid bulk length') },
  { name: 'an array count of -2', wire: '*-2\r\n', replies: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'a map count of -1', wire: '%-1\r\n', replies: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'an array count past 2^32-1', wire: '*4294967296\r\n', replies: [], error: perr('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length') },
  { name: 'a hex double', wire: ',0x10\r\n', replies: [], error: perr('RESP_INVALID_DOUBLE', 'invalid double') },
  { name: 'an empty double', wire: ',\r\n', replies: [], error: perr('RESP_INVALID_DOUBLE', 'invalid double') },
  { name: 'a boolean other than t or f', wire: '#x\r\n', replies: [], error: perr('RESP_INVALID_BOOLEAN', 'invalid boolean') },
  { name: 'a null with text', wire: '_x\r\n', replies: [], error: perr('RESP_INVALID_NULL', 'invalid null') },
  { name: 'a big number with a letter', wire: '(12a\r\n', replies: [], error: perr('RESP_INVALID_BIGNUM', 'invalid big number') },
  { name: 'a verbatim string without a format', wire: '=3\r\nabc\r\n', replies: [], error: perr('RESP_INVALID_VERBATIM', 'invalid verbatim string') },
];

function expectSame(f: Fixture, chunks: Buffer[]): void {
  const got = decodeReplies(chunks);
  expect(got.replies).toEqual(f.replies);
  expect(got.pushes).toEqual(f.pushes ?? []);
  expect(got.error).toEqual(f.error);
}

describe.each([...resp2, ...resp3, ...malformed])('resp reply: $name', (f) => {
  const wire = bytes(f.wire);
  it('decodes whole', () => expectSame(f, whole(wire)));
  it('decodes byte by byte', () => expectSame(f, byteByByte(wire)));
  it('decodes split in two at every offset', () => {
    for (const chunks of twoPieces(wire)) expectSame(f, chunks);
  });
});

describe('resp reply: decoder behaviour', () => {
  it('holds only the 10 bytes given of a declared 100000000-byte bulk', () => {
    const got = decodeReplies([bytes('$100000000\r\n'), Buffer.alloc(10)]);
    expect(got).toEqual({ replies: [], pushes: [], buffered: 10 });
  });

  it('accepts a declared array of 2^32-1 elements without allocating for them', () => {
    const got = decodeReplies([bytes('*4294967295\r\n:1\r\n')]);
    expect(got).toEqual({ replies: [], pushes: [], buffered: 0 });
  });

  it('refuses a line longer than maxLineLength before its end arrives', () => {
    // 16 bytes before the CR, the type byte included.
    expect(decodeReplies([bytes('+0123456789abcde')], { maxLineLength: 16 }).error).toBeUndefined();
    expect(decodeReplies([bytes('+0123456789abcde\r\n')], { maxLineLength: 16 }).replies).toEqual([
      status('0123456789abcde'),
    ]);
    expect(decodeReplies([bytes('+0123456789abcde'), bytes('f')], { maxLineLength: 16 }).error?.code).toBe(
      'RESP_TOO_BIG_LINE',
    );
    expect(decodeReplies([bytes('+0123456789abcdef\r\n')], { maxLineLength: 16 }).error?.code).toBe('RESP_TOO_BIG_LINE');
  });

  it('delivers a push as an array reply when there is no onPush', () => {
    const got = decodeReplies([bytes('>1\r\n+x\r\n')], { onPush: undefined });
    expect(got.replies).toEqual([array([status('x')])]);
  });

  it('counts bulk payloads of an unfinished array in bufferedBytes', () => {
    const d = new ReplyDecoder({ onReply: () => undefined, onError: () => undefined });
    d.write(bytes('*2\r\n$5\r\nhello\r\n'));
    expect(d.bufferedBytes()).toBe(5);
    d.write(bytes(':1\r\n'));
    expect(d.bufferedBytes()).toBe(0);
  });

  it('reports one error and ignores everything after it', () => {
    const errors: string[] = [];
    const replies: Reply[] = [];
    const d = new ReplyDecoder({ onReply: (r) => replies.push(r), onError: (e) => errors.push(e.code) });
    d.write(bytes(':1\r\n:x\r\n'));
    d.write(bytes(':2\r\n'));
    expect(replies).toEqual([int(1)]);
    expect(errors).toEqual(['RESP_INVALID_INTEGER']);
    expect(d.hasFailed).toBe(true);
  });
});
