import fc from 'fast-check';
import { expect, it } from 'vitest';
import { encodeCommand } from './encode.js';
import { ProtocolError } from './errors.js';
import { RequestDecoder } from './request-decoder.js';
import { byteByByte, cutAt } from './testing.js';

/**
 * 100,000 valid and mutated request streams. For each, the decoder must:
 *  - emit commands and at most one ProtocolError, nothing after the error, and never
 *    throw anything;
 *  - never hold more than the bytes written so far plus a small constant, whatever
 *    lengths the bytes declare;
 *  - give the same commands and error whether the stream comes whole or in pieces.
 */

/** bufferedBytes() may exceed the bytes written by at most this much. */
const SLACK = 16;

/** Numbers that sit on or across the decoder's limits, to put after '*' or '$'. */
const EDGE_NUMBERS = [
  '0', '1', '-1', '-2', '01', '-0', '', '+5', ' 3',
  '1048576', '1048577', '2147483647', '100000000',
  '536870912', '536870913', '4294967296',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '99999999999999999999',
];

/** Bytes with a meaning somewhere in the protocol, favoured by the mutations. */
const SPECIAL = [0x0d, 0x0a, 0x00, 0x22, 0x27, 0x5c, 0x20, 0x09, 0x24, 0x2a, 0x78, 0x2d, 0x30, 0x39];

const anyByte = fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 }));
const arg = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a));
const word = fc.stringMatching(/^[a-z0-9]{1,6}$/);

/** One valid request: a multibulk, or an inline line that may use quotes. */
const request = fc.oneof(
  { weight: 3, arbitrary: fc.array(arg, { minLength: 1, maxLength: 5 }).map((args) => encodeCommand(args)) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(word, word.map((w) => `"${w}\\x41\\n"`), word.map((w) => `'${w}'`)), { maxLength: 4 })
      .map((tokens) => Buffer.from(`${tokens.join(' ')}\r\n`)),
  },
);

type Mutation =
  | { k: 'flip'; at: number; byte: number }
  | { k: 'truncate'; at: number }
  | { k: 'digits'; at: number; digits: string }
  | { k: 'length'; nth: number; text: string }
  | { k: 'insert'; at: number; bytes: number[] }
  | { k: 'delete'; at: number; len: number }
  | { k: 'repeat'; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), byte: anyByte }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('digits' as const), at: fc.nat(), digits: fc.stringMatching(/^[0-9]{1,12}$/) }),
  fc.record({ k: fc.constant('length' as const), nth: fc.nat(), text: fc.constantFrom(...EDGE_NUMBERS) }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(anyByte, { minLength: 1, maxLength: 4 }) }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ k: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
);

function mutate(input: Buffer, m: Mutation): Buffer {
  const n = input.length;
  if (n === 0) return input;
  const at = 'at' in m ? m.at % n : 0;
  switch (m.k) {
    case 'flip': {
      const out = Buffer.from(input);
      out[at] = m.byte;
      return out;
    }
    case 'truncate':
      return input.subarray(0, at);
    case 'digits':
      return Buffer.concat([input.subarray(0, at), Buffer.from(m.digits), input.subarray(at)]);
    case 'insert':
      return Buffer.concat([input.subarray(0, at), Buffer.from(m.bytes), input.subarray(at)]);
    case 'delete':
      return Buffer.concat([input.subarray(0, at), input.subarray(at + m.len)]);
    case 'repeat':
      return Buffer.concat([input.subarray(0, at + m.len), input.subarray(at)]);
    case 'length': {
      // Replace the number after the nth '*' or '$' (counting from a random one).
      const marks: number[] = [];
      for (let i = 0; i < n; i++) if (input[i] === 0x2a || input[i] === 0x24) marks.push(i);
      if (marks.length === 0) return input;
      const start = marks[m.nth % marks.length] + 1;
      let end = start;
      while (end < n && input[end] !== 0x0d) end++;
      return Buffer.concat([input.subarray(0, start), Buffer.from(m.text), input.subarray(end)]);
    }
  }
}

interface Outcome {
  commands: string[][];
  error?: string;
}

/** Decodes the chunks, checking the invariants that hold at every write. */
function run(chunks: Buffer[]): Outcome {
  const commands: string[][] = [];
  let error: string | undefined;
  const d = new RequestDecoder({
    onCommand: (args) => {
      if (error !== undefined) throw new Error('onCommand after onError');
      commands.push(args.map((a) => a.toString('latin1')));
    },
    onError: (e) => {
      if (error !== undefined) throw new Error('onError called twice');
      if (!(e instanceof ProtocolError) || !e.redisMessage.startsWith('ERR Protocol error: ')) {
        throw new Error(`not a ProtocolError: ${String(e)}`);
      }
      error = `${e.code} ${e.redisMessage}`;
    },
  });
  let given = 0;
  for (const chunk of chunks) {
    given += chunk.length;
    d.write(chunk); // anything thrown fails the property
    if (d.bufferedBytes() > given + SLACK) throw new Error(`holds ${d.bufferedBytes()} bytes of ${given} given`);
  }
  if (error !== undefined && d.bufferedBytes() !== 0) throw new Error('holds bytes after an error');
  return error === undefined ? { commands } : { commands, error };
}

it('resp request: 100,000 random and mutated streams give commands or one ProtocolError, within the bytes given', () => {
  const stream = fc.record({
    requests: fc.array(request, { minLength: 1, maxLength: 4 }),
    garbage: fc.option(fc.uint8Array({ maxLength: 24 }), { nil: undefined, freq: 6 }),
    mutations: fc.array(mutation, { maxLength: 3 }),
    pieces: fc.oneof(
      { weight: 4, arbitrary: fc.array(fc.nat(), { maxLength: 8 }) },
      { weight: 1, arbitrary: fc.constant('bytes' as const) },
    ),
  });
  let errors = 0;
  fc.assert(
    fc.property(stream, ({ requests, garbage, mutations, pieces }) => {
      let input: Buffer = Buffer.concat(garbage === undefined ? requests : [...requests, Buffer.from(garbage)]);
      for (const m of mutations) input = mutate(input, m);

      const wholeOutcome = run([input]);
      const chunks =
        pieces === 'bytes'
          ? byteByByte(input)
          : cutAt(input, pieces.map((p) => p % (input.length + 1)).sort((a, b) => a - b));
      expect(run(chunks)).toEqual(wholeOutcome);
      if (mutations.length === 0 && garbage === undefined) {
        expect(wholeOutcome.error).toBeUndefined();
      }
      if (wholeOutcome.error !== undefined) errors++;
    }),
    { numRuns: 100_000 },
  );
  // The mutations must actually reach the error paths, or this proves little.
  expect(errors).toBeGreaterThan(10_000);
});
