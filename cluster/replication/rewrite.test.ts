import { describe, expect, it } from 'vitest';
import { type Reply, NIL, OK, bulk, int } from '../resp/reply.js';
import { propagatedForm } from './rewrite.js';

const NOW = 1_700_000_000_000;
const form = (args: string[], reply: Reply = OK) => propagatedForm(args[0].toLowerCase(), args.map((a) => Buffer.from(a)), reply, NOW).map((c) => c.map(String));

describe('propagatedForm (what a write becomes in the replication stream)', () => {
  it('rewrite: a plain SET goes as received, byte for byte', () => {
    const args = [Buffer.from('SET'), Buffer.from('k'), Buffer.from('v')];
    expect(propagatedForm('set', args, OK, NOW)).toEqual([args]);
  });
  it('rewrite: relative expiries become absolute PXAT / PEXPIREAT', () => {
    expect(form(['SET', 'k', 'v', 'EX', '10'])).toEqual([['SET', 'k', 'v', 'PXAT', String(NOW + 10_000)]]);
    expect(form(['SET', 'k', 'v', 'px', '5', 'NX'], OK)).toEqual([['SET', 'k', 'v', 'PXAT', String(NOW + 5)]]);
    expect(form(['SETEX', 'k', '2', 'v'])).toEqual([['SET', 'k', 'v', 'PXAT', String(NOW + 2000)]]);
    expect(form(['PSETEX', 'k', '7', 'v'])).toEqual([['SET', 'k', 'v', 'PXAT', String(NOW + 7)]]);
    expect(form(['EXPIRE', 'k', '3', 'NX'], int(1))).toEqual([['PEXPIREAT', 'k', String(NOW + 3000), 'NX']]);
    expect(form(['EXPIREAT', 'k', '1800000000'], int(1))).toEqual([['PEXPIREAT', 'k', '1800000000000']]);
    expect(form(['GETEX', 'k', 'EX', '1'], bulk('v'))).toEqual([['PEXPIREAT', 'k', String(NOW + 1000)]]);
    expect(form(['GETEX', 'k', 'PERSIST'], bulk('v'))).toEqual([['PERSIST', 'k']]);
  });
  it('rewrite: an expiry in the past deletes, floats travel as results', () => {
    expect(form(['EXPIRE', 'k', '-1'], int(1))).toEqual([['DEL', 'k']]);
    expect(form(['INCRBYFLOAT', 'k', '0.1'], bulk('1.1'))).toEqual([['SET', 'k', '1.1', 'KEEPTTL']]);
    expect(form(['HINCRBYFLOAT', 'h', 'f', '2'], bulk('3'))).toEqual([['HSET', 'h', 'f', '3']]);
    expect(form(['GETDEL', 'k'], bulk('v'))).toEqual([['DEL', 'k']]);
    expect(form(['GETSET', 'k', 'v'], NIL)).toEqual([['SET', 'k', 'v']]);
  });
  it('rewrite: writes that changed nothing, and errors, are not propagated', () => {
    expect(form(['DEL', 'missing'], int(0))).toEqual([]);
    expect(form(['SET', 'k', 'v', 'NX'], NIL)).toEqual([]);
    expect(form(['EXPIRE', 'missing', '5'], int(0))).toEqual([]);
    expect(form(['GETDEL', 'missing'], NIL)).toEqual([]);
    expect(form(['INCR', 'k'], { t: 'error', v: 'ERR value is not an integer or out of range' })).toEqual([]);
    expect(form(['GETEX', 'k'], bulk('v'))).toEqual([]);
  });
  it('rewrite: MIGRATE without COPY propagates the DEL of the keys it moved', () => {
    expect(form(['MIGRATE', 'h', '1', '', '0', '100', 'KEYS', 'a', 'b'], OK)).toEqual([['DEL', 'a', 'b']]);
    expect(form(['MIGRATE', 'h', '1', 'a', '0', '100', 'COPY'], OK)).toEqual([]);
    expect(form(['MIGRATE', 'h', '1', 'a', '0', '100'], { t: 'status', v: 'NOKEY' })).toEqual([['DEL', 'a']]);
  });
});
