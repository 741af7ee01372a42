import fc from 'fast-check';

const enc = (args: string[]) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

/**
 * Valid requests the fuzzers start from. Deliberately without MEET and MIGRATE: a
 * mutated address in those would make a node dial a made-up host, and test traffic
 * must stay on 127.0.0.0/8.
 */
export const CORPUS: Buffer[] = [
  enc(['SET', 'key:1', 'value']),
  enc(['GET', 'key:1']),
  enc(['HSET', 'h', 'f1', 'v1', 'f2', 'v2']),
  enc(['HGETALL', 'h']),
  enc(['ZADD', 'z', '1', 'a', '2.5', 'b']),
  enc(['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES']),
  enc(['MGET', '{t}a', '{t}b']),
  enc(['MSET', '{t}a', '1', '{t}b', '2']),
  enc(['INCR', 'counter']),
  enc(['EXPIRE', 'key:1', '100']),
  enc(['PING']),
  enc(['ECHO', 'hello']),
  enc(['CLUSTER', 'INFO']),
  enc(['CLUSTER', 'KEYSLOT', 'foo']),
  enc(['CLIENT', 'SETNAME', 'fuzz']),
  enc(['CONFIG', 'GET', 'cluster-*']),
  enc(['SCAN', '0', 'COUNT', '10']),
  enc(['DEL', 'key:1']),
  'PING\r\n',
  'SET inline "quoted value"\r\n',
  '*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n',
].map((s) => Buffer.from(s));

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('digits' as const), at: fc.nat(), digits: fc.constantFrom('9', '99999', '4294967296', '-1', '-5', '18446744073709551616') }),
);

type Mutation = { kind: string; at: number; byte?: number; bytes?: Uint8Array; digits?: string };

function apply(input: Buffer, m: Mutation): Buffer {
  const at = input.length === 0 ? 0 : m.at % input.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(input);
      if (out.length) out[at] = m.byte!;
      return out;
    }
    case 'insert':
      return Buffer.concat([input.subarray(0, at), Buffer.from(m.bytes!), input.subarray(at)]);
    case 'truncate':
      return input.subarray(0, at);
    default:
      return Buffer.concat([input.subarray(0, at), Buffer.from(m.digits!), input.subarray(at)]);
  }
}

/** Random bytes, and corpus requests with up to 4 mutations, sometimes two glued together. */
export const fuzzInput: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc
    .tuple(fc.constantFrom(...CORPUS), fc.constantFrom(...CORPUS), fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([a, b, glue, ms]) => ms.reduce((acc, m) => apply(acc, m), glue ? Buffer.concat([a, b]) : a)),
);
