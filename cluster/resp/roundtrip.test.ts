import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RespVersion, encodeCommand, encodeReply, writeReply } from './encode.js';
import { formatDouble } from './numbers.js';
import { type Reply, array, bulk, double, err, int, map, status } from './reply.js';
import { cutAt, decodeReplies, decodeRequests } from './testing.js';

/** Status and error text: any Unicode, but never CR or LF (the encoder would change them). */
const lineText = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !/[\r\n]/.test(s));
const payload = fc.option(
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  { nil: null },
);

const leaves2: Array<fc.Arbitrary<Reply>> = [
  lineText.map(status),
  lineText.map(err),
  fc.maxSafeInteger().map((v) => int(v + 0)), // + 0: no -0, which ":0" cannot carry
  payload.map(bulk),
];

/** Reply trees of the RESP2 types: they must come back identical from RESP2. */
const resp2Tree = fc.letrec<{ reply: Reply; arr: Reply }>((tie) => ({
  reply: fc.oneof({ depthSize: 'small' }, ...leaves2, tie('arr')),
  arr: fc.option(fc.array(tie('reply'), { maxLength: 5 }), { nil: null }).map(array),
})).reply;

/** Reply trees of every type. */
const anyTree = fc.letrec<{ reply: Reply; arr: Reply; map: Reply }>((tie) => ({
  reply: fc.oneof({ depthSize: 'small' }, ...leaves2, fc.double().map(double), tie('arr'), tie('map')),
  arr: fc.option(fc.array(tie('reply'), { maxLength: 5 }), { nil: null }).map(array),
  map: fc.array(fc.tuple(tie('reply'), tie('reply')), { maxLength: 4 }).map(map),
})).reply;

/** Cut offsets to feed the encoding in random pieces. */
const cuts = fc.array(fc.nat({ max: 4000 }), { maxLength: 6 }).map((a) => a.sort((x, y) => x - y));

/** What a RESP3 client reads: one null for both null bulk and null array. */
function asResp3(r: Reply): Reply {
  switch (r.t) {
    case 'array':
      return r.v === null ? bulk(null) : array(r.v.map(asResp3));
    case 'map':
      return map(r.v.map(([k, v]) => [asResp3(k), asResp3(v)]));
    default:
      return r;
  }
}

/** What a RESP2 client reads: maps flattened to arrays, doubles as bulk strings. */
function asResp2(r: Reply): Reply {
  switch (r.t) {
    case 'array':
      return r.v === null ? r : array(r.v.map(asResp2));
    case 'map':
      return array(r.v.flatMap(([k, v]) => [asResp2(k), asResp2(v)]));
    case 'double':
      return bulk(formatDouble(r.v));
    default:
      return r;
  }
}

function decodeOne(wire: Buffer, offsets: number[]): Reply {
  const got = decodeReplies(cutAt(wire, offsets));
  expect(got.error).toBeUndefined();
  expect(got.replies).toHaveLength(1);
  expect(got.buffered).toBe(0);
  return got.replies[0];
}

describe('resp round trip', () => {
  it('decodes what RESP2 encodes, for trees of the RESP2 types', () => {
    fc.assert(
      fc.property(resp2Tree, cuts, (r, offsets) => {
        expect(decodeOne(encodeReply(r, 2), offsets)).toEqual(r);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes what RESP3 encodes, for trees of every type', () => {
    fc.assert(
      fc.property(anyTree, cuts, (r, offsets) => {
        expect(decodeOne(encodeReply(r, 3), offsets)).toEqual(asResp3(r));
      }),
      { numRuns: 3000 },
    );
  });

  it('flattens maps and formats doubles in RESP2, as Redis does for RESP2 clients', () => {
    fc.assert(
      fc.property(anyTree, (r) => {
        expect(decodeOne(encodeReply(r, 2), [])).toEqual(asResp2(r));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes with writeReply exactly the bytes of encodeReply', () => {
    fc.assert(
      fc.property(anyTree, fc.constantFrom<RespVersion>(2, 3), (r, resp) => {
        const out: Buffer[] = [];
        writeReply(out, r, resp);
        expect(Buffer.concat(out)).toEqual(encodeReply(r, resp));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes pipelined requests as encodeCommand wrote them, however they are cut', () => {
    const command = fc.array(
      fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 5 }), cuts, (commands, offsets) => {
        const wire = Buffer.concat(commands.map((c) => encodeCommand(c)));
        const got = decodeRequests(cutAt(wire, offsets));
        expect(got).toEqual({ commands: commands.map((c) => c.map((a) => a.toString('latin1'))), buffered: 0 });
      }),
      { numRuns: 3000 },
    );
  });
});
