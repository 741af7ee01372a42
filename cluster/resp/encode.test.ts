import { describe, expect, it } from 'vitest';
import { encodeCommand, encodeReply, writeReply } from './encode.js';
import {
  type Reply,
  EMPTY_ARRAY,
  NIL,
  NIL_ARRAY,
  OK,
  array,
  bulk,
  bulks,
  double,
  err,
  int,
  map,
  status,
} from './reply.js';
import { bytes } from './testing.js';

/** A reply and its exact bytes in RESP2 and in RESP3. */
const fixtures: Array<{ name: string; reply: Reply; resp2: string; resp3: string }> = [
  { name: 'OK', reply: OK, resp2: '+OK\r\n', resp3: '+OK\r\n' },
  { name: 'an error', reply: err('ERR syntax error'), resp2: '-ERR syntax error\r\n', resp3: '-ERR syntax error\r\n' },
  { name: 'a UTF-8 status', reply: status('café'), resp2: '+caf\xc3\xa9\r\n', resp3: '+caf\xc3\xa9\r\n' },
  { name: 'a negative integer', reply: int(-7), resp2: ':-7\r\n', resp3: ':-7\r\n' },
  { name: 'an integer past 2^53', reply: int(2 ** 60), resp2: ':1152921504606846976\r\n', resp3: ':1152921504606846976\r\n' },
  { name: 'an integer of 1e21, never as 1e+21', reply: int(1e21), resp2: ':1000000000000000000000\r\n', resp3: ':1000000000000000000000\r\n' },
  { name: 'a fractional integer, truncated', reply: int(-2.9), resp2: ':-2\r\n', resp3: ':-2\r\n' },
  { name: 'a bulk string', reply: bulk('hello'), resp2: '$5\r\nhello\r\n', resp3: '$5\r\nhello\r\n' },
  { name: 'an empty bulk string', reply: bulk(''), resp2: '$0\r\n\r\n', resp3: '$0\r\n\r\n' },
  { name: 'a binary bulk string', reply: bulk(bytes('\r\n\x00\xff')), resp2: '$4\r\n\r\n\x00\xff\r\n', resp3: '$4\r\n\r\n\x00\xff\r\n' },
  { name: 'a null bulk string', reply: NIL, resp2: '$-1\r\n', resp3: '_\r\n' },
  { name: 'a null array', reply: NIL_ARRAY, resp2: '*-1\r\n', resp3: '_\r\n' },
  { name: 'an empty array', reply: EMPTY_ARRAY, resp2: '*0\r\n', resp3: '*0\r\n' },
  {
    name: 'an array of bulks and a null',
    reply: bulks(['a', null, 'bc']),
    resp2: '*3\r\n$1\r\na\r\n$-1\r\n$2\r\nbc\r\n',
    resp3: '*3\r\n$1\r\na\r\n_\r\n$2\r\nbc\r\n',
  },
  {
    name: 'a map',
    reply: map([[bulk('a'), int(1)], [bulk('b'), array([])]]),
    resp2: '*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*0\r\n',
    resp3: '%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*0\r\n',
  },
  { name: 'an empty map', reply: map([]), resp2: '*0\r\n', resp3: '%0\r\n' },
  { name: 'a double', reply: double(1.5), resp2: '$3\r\n1.5\r\n', resp3: ',1.5\r\n' },
  { name: 'the double 0.1 with 17 digits, as Redis 7.0 prints it', reply: double(0.1), resp2: '$19\r\n0.10000000000000001\r\n', resp3: ',0.10000000000000001\r\n' },
  { name: 'a large double in %g layout', reply: double(1e17), resp2: '$5\r\n1e+17\r\n', resp3: ',1e+17\r\n' },
  { name: 'a small double in %g layout', reply: double(1.5e-7), resp2: '$22\r\n1.4999999999999999e-07\r\n', resp3: ',1.4999999999999999e-07\r\n' },
  { name: 'infinity', reply: double(Infinity), resp2: '$3\r\ninf\r\n', resp3: ',inf\r\n' },
  { name: 'minus infinity', reply: double(-Infinity), resp2: '$4\r\n-inf\r\n', resp3: ',-inf\r\n' },
  { name: 'an integral double', reply: double(3), resp2: '$1\r\n3\r\n', resp3: ',3\r\n' },
  {
    name: 'a nested tree',
    reply: array([map([[status('k'), array([double(2.5), NIL])]]), err('E x')]),
    resp2: '*2\r\n*2\r\n+k\r\n*2\r\n$3\r\n2.5\r\n$-1\r\n-E x\r\n',
    resp3: '*2\r\n%1\r\n+k\r\n*2\r\n,2.5\r\n_\r\n-E x\r\n',
  },
];

describe.each(fixtures)('resp encode: $name', ({ reply, resp2, resp3 }) => {
  it('writes the exact RESP2 bytes', () => expect(encodeReply(reply, 2)).toEqual(bytes(resp2)));
  it('writes the exact RESP3 bytes', () => expect(encodeReply(reply, 3)).toEqual(bytes(resp3)));
  it('appends the same bytes with writeReply', () => {
    const out: Buffer[] = [bytes('before')];
    writeReply(out, reply, 3);
    expect(Buffer.concat(out)).toEqual(bytes(`before${resp3}`));
  });
});

describe('resp encode: details', () => {
  it('encodes RESP2 by default', () => {
    expect(encodeReply(NIL)).toEqual(bytes('$-1\r\n'));
  });

  it('turns CR and LF in status and error lines into spaces', () => {
    expect(encodeReply(status('a\r\nb'))).toEqual(bytes('+a  b\r\n'));
    expect(encodeReply(err('ERR bad\nthing'))).toEqual(bytes('-ERR bad thing\r\n'));
  });

  it('refuses an integer reply of NaN or infinity', () => {
    expect(() => encodeReply(int(NaN))).toThrow(RangeError);
    expect(() => encodeReply(int(Infinity))).toThrow(RangeError);
  });

  it('queues a large payload by reference in writeReply, without copying it', () => {
    const payload = Buffer.alloc(64 * 1024, 0x61);
    const out: Buffer[] = [];
    writeReply(out, array([int(1), bulk(payload), int(2)]), 2);
    expect(out).toHaveLength(3);
    expect(out[1]).toBe(payload);
    expect(Buffer.concat(out)).toEqual(encodeReply(array([int(1), bulk(payload), int(2)]), 2));
  });

  it('copies a small payload into the single reply buffer', () => {
    const out: Buffer[] = [];
    writeReply(out, bulk('small'), 2);
    expect(out).toEqual([bytes('$5\r\nsmall\r\n')]);
  });
});

describe('resp encode: commands', () => {
  it('writes a request as a multibulk of bulk strings', () => {
    expect(encodeCommand(['SET', 'k', 'v'])).toEqual(bytes('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n'));
  });

  it('writes buffers as they are, strings as UTF-8 and numbers as decimal text', () => {
    expect(encodeCommand([bytes('\x00\xff'), 'é', 42, -1.5])).toEqual(
      bytes('*4\r\n$2\r\n\x00\xff\r\n$2\r\n\xc3\xa9\r\n$2\r\n42\r\n$4\r\n-1.5\r\n'),
    );
  });

  it('writes an empty request and an empty argument', () => {
    expect(encodeCommand([])).toEqual(bytes('*0\r\n'));
    expect(encodeCommand([''])).toEqual(bytes('*1\r\n$0\r\n\r\n'));
  });

  it('writes lengths of many digits', () => {
    const v = Buffer.alloc(1234567, 0x62);
    const wire = encodeCommand(['SET', v]);
    expect(wire.subarray(0, 23)).toEqual(bytes('*2\r\n$3\r\nSET\r\n$1234567\r\n'));
    expect(wire.length).toBe(23 + 1234567 + 2);
  });
});
