import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { harness } from '../store/test-kit.js';
import { keyCommands } from './keys.js';
import { stringCommands } from './strings.js';
import { zsetCommands } from './zsets.js';

const setup = () => {
  const h = harness(zsetCommands, stringCommands, keyCommands);
  return h;
};
const WRONGTYPE = { err: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const SYNTAX = { err: 'ERR syntax error' };
const NOT_FLOAT_RANGE = { err: 'ERR min or max is not a float' };

/** A zset z = a:1 b:2 c:3 d:4 e:5. */
const withFive = () => {
  const h = setup();
  h.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
  return h;
};

describe('zsets', () => {
  it('zsets: ZADD counts added members, or changed ones with CH', () => {
    const h = setup();
    expect(h.run('ZADD', 'z', '1', 'a', '2', 'b')).toBe(2);
    expect(h.run('ZADD', 'z', '1', 'a', '5', 'b', '3', 'c')).toBe(1);
    expect(h.run('ZADD', 'z', 'CH', '1', 'a', '6', 'b', '4', 'd')).toBe(2);
    expect(h.run('ZCARD', 'z')).toBe(4);
    expect(h.run('ZSCORE', 'z', 'b')).toBe(6);
  });

  it('zsets: ZADD NX, XX, GT, LT restrict adds and updates', () => {
    const h = setup();
    h.run('ZADD', 'z', '5', 'a');
    expect(h.run('ZADD', 'z', 'NX', '1', 'a', '1', 'b')).toBe(1);
    expect(h.run('ZSCORE', 'z', 'a')).toBe(5);
    expect(h.run('ZADD', 'z', 'XX', '7', 'a', '1', 'c')).toBe(0);
    expect(h.run('ZSCORE', 'z', 'a')).toBe(7);
    expect(h.run('ZSCORE', 'z', 'c')).toBeNull();
    expect(h.run('ZADD', 'z', 'GT', 'CH', '3', 'a')).toBe(0);
    expect(h.run('ZADD', 'z', 'GT', 'CH', '9', 'a')).toBe(1);
    expect(h.run('ZADD', 'z', 'LT', 'CH', '10', 'a')).toBe(0);
    expect(h.run('ZADD', 'z', 'LT', 'CH', '2', 'a', '0', 'new')).toBe(2);
    expect(h.run('ZADD', 'missing', 'XX', '1', 'a')).toBe(0);
    expect(h.run('EXISTS', 'missing')).toBe(0);
  });

  it('zsets: ZADD INCR and ZINCRBY answer the new score, or nil when refused', () => {
    const h = setup();
    expect(h.run('ZADD', 'z', 'INCR', '1.5', 'a')).toBe(1.5);
    expect(h.run('ZINCRBY', 'z', '2', 'a')).toBe(3.5);
    expect(h.run('ZADD', 'z', 'NX', 'INCR', '1', 'a')).toBeNull();
    expect(h.run('ZADD', 'z', 'GT', 'INCR', '-1', 'a')).toBeNull();
    expect(h.run('ZADD', 'missing', 'XX', 'INCR', '1', 'a')).toBeNull();
    expect(h.call('ZINCRBY', 'z', '1', 'b')).toEqual({ t: 'double', v: 1 });
    h.run('ZADD', 'z', '+inf', 'i');
    expect(h.run('ZINCRBY', 'z', '-inf', 'i')).toEqual({ err: 'ERR resulting score is not a number (NaN)' });
    expect(h.run('ZINCRBY', 'z', 'abc', 'i')).toEqual({ err: 'ERR value is not a valid float' });
  });

  it('zsets: ZADD refuses bad option mixes and arguments with Redis texts', () => {
    const h = setup();
    expect(h.run('ZADD', 'z', 'NX', 'XX', '1', 'a')).toEqual({ err: 'ERR XX and NX options at the same time are not compatible' });
    expect(h.run('ZADD', 'z', 'GT', 'LT', '1', 'a')).toEqual({ err: 'ERR GT, LT, and/or NX options at the same time are not compatible' });
    expect(h.run('ZADD', 'z', 'NX', 'GT', '1', 'a')).toEqual({ err: 'ERR GT, LT, and/or NX options at the same time are not compatible' });
    expect(h.run('ZADD', 'z', 'INCR', '1', 'a', '2', 'b')).toEqual({ err: 'ERR INCR option supports a single increment-element pair' });
    expect(h.run('ZADD', 'z', '1', 'a', '2')).toEqual(SYNTAX);
    expect(h.run('ZADD', 'z', 'nan', 'a')).toEqual({ err: 'ERR value is not a valid float' });
    expect(h.run('ZADD', 'z', '1', 'a', 'x', 'b')).toEqual({ err: 'ERR value is not a valid float' });
    expect(h.run('EXISTS', 'z')).toBe(0); // nothing is added when any score is bad
  });

  it('zsets: ZREM removes members and the key with its last member', () => {
    const h = setup();
    h.run('ZADD', 'z', '1', 'a', '2', 'b');
    expect(h.run('ZREM', 'z', 'a', 'x')).toBe(1);
    expect(h.run('ZREM', 'z', 'b')).toBe(1);
    expect(h.run('EXISTS', 'z')).toBe(0);
    expect(h.run('ZREM', 'z', 'b')).toBe(0);
  });

  it('zsets: ZSCORE, ZMSCORE, ZCARD, ZRANK, ZREVRANK', () => {
    const h = withFive();
    expect(h.run('ZSCORE', 'z', 'c')).toBe(3);
    expect(h.run('ZSCORE', 'z', 'x')).toBeNull();
    expect(h.run('ZMSCORE', 'z', 'a', 'x', 'e')).toEqual([1, null, 5]);
    expect(h.run('ZMSCORE', 'missing', 'a')).toEqual([null]);
    expect(h.run('ZCARD', 'missing')).toBe(0);
    expect(h.run('ZRANK', 'z', 'a')).toBe(0);
    expect(h.run('ZREVRANK', 'z', 'a')).toBe(4);
    expect(h.run('ZRANK', 'z', 'x')).toBeNull();
  });

  it('zsets: ZCOUNT takes inclusive, exclusive and infinite ends', () => {
    const h = withFive();
    expect(h.run('ZCOUNT', 'z', '2', '4')).toBe(3);
    expect(h.run('ZCOUNT', 'z', '(2', '4')).toBe(2);
    expect(h.run('ZCOUNT', 'z', '(2', '(4')).toBe(1);
    expect(h.run('ZCOUNT', 'z', '-inf', '+inf')).toBe(5);
    expect(h.run('ZCOUNT', 'z', '4', '2')).toBe(0);
    expect(h.run('ZCOUNT', 'z', 'x', '2')).toEqual(NOT_FLOAT_RANGE);
    expect(h.run('ZCOUNT', 'missing', '0', '1')).toBe(0);
  });

  it('zsets: ZRANGE by rank, with negative indexes, REV and WITHSCORES', () => {
    const h = withFive();
    expect(h.run('ZRANGE', 'z', '0', '-1')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(h.run('ZRANGE', 'z', '1', '2', 'WITHSCORES')).toEqual(['b', 2, 'c', 3]);
    expect(h.run('ZRANGE', 'z', '-2', '-1')).toEqual(['d', 'e']);
    expect(h.run('ZRANGE', 'z', '0', '1', 'REV')).toEqual(['e', 'd']);
    expect(h.run('ZRANGE', 'z', '3', '100')).toEqual(['d', 'e']);
    expect(h.run('ZRANGE', 'z', '5', '10')).toEqual([]);
    expect(h.run('ZREVRANGE', 'z', '0', '0', 'WITHSCORES')).toEqual(['e', 5]);
    expect(h.run('ZRANGE', 'missing', '0', '-1')).toEqual([]);
    expect(h.run('ZRANGE', 'z', 'a', '1')).toEqual({ err: 'ERR value is not an integer or out of range' });
  });

  it('zsets: ZRANGE BYSCORE with REV and LIMIT, as in Redis 6.2', () => {
    const h = withFive();
    expect(h.run('ZRANGE', 'z', '2', '4', 'BYSCORE')).toEqual(['b', 'c', 'd']);
    expect(h.run('ZRANGE', 'z', '(1', '+inf', 'BYSCORE', 'LIMIT', '1', '2')).toEqual(['c', 'd']);
    expect(h.run('ZRANGE', 'z', '4', '2', 'BYSCORE', 'REV')).toEqual(['d', 'c', 'b']);
    expect(h.run('ZRANGE', 'z', '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '0', '1', 'WITHSCORES')).toEqual(['e', 5]);
    expect(h.run('ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1')).toEqual({
      err: 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
    });
    expect(h.run('ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX')).toEqual(SYNTAX);
    expect(h.run('ZRANGE', 'z', 'x', '1', 'BYSCORE')).toEqual(NOT_FLOAT_RANGE);
  });

  it('zsets: ZRANGE BYLEX ranges members of equal score', () => {
    const h = setup();
    h.run('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
    expect(h.run('ZRANGE', 'l', '[b', '(d', 'BYLEX')).toEqual(['b', 'c']);
    expect(h.run('ZRANGE', 'l', '+', '-', 'BYLEX', 'REV', 'LIMIT', '0', '2')).toEqual(['d', 'c']);
    expect(h.run('ZRANGE', 'l', 'b', 'c', 'BYLEX')).toEqual({ err: 'ERR min or max not valid string range item' });
    expect(h.run('ZRANGE', 'l', '-', '+', 'BYLEX', 'WITHSCORES')).toEqual({
      err: 'ERR syntax error, WITHSCORES not supported in combination with BYLEX',
    });
  });

  it('zsets: ZRANGEBYSCORE and ZREVRANGEBYSCORE with WITHSCORES and LIMIT', () => {
    const h = withFive();
    expect(h.run('ZRANGEBYSCORE', 'z', '-inf', '+inf')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(h.run('ZRANGEBYSCORE', 'z', '(1', '(3', 'WITHSCORES')).toEqual(['b', 2]);
    expect(h.run('ZRANGEBYSCORE', 'z', '1', '5', 'LIMIT', '2', '-1')).toEqual(['c', 'd', 'e']);
    expect(h.run('ZRANGEBYSCORE', 'z', '1', '5', 'LIMIT', '0', '0')).toEqual([]);
    expect(h.run('ZRANGEBYSCORE', 'z', '1', '5', 'LIMIT', '-1', '2')).toEqual([]);
    expect(h.run('ZREVRANGEBYSCORE', 'z', '4', '(2')).toEqual(['d', 'c']);
    expect(h.run('ZREVRANGEBYSCORE', 'z', '+inf', '-inf', 'LIMIT', '1', '1', 'WITHSCORES')).toEqual(['d', 4]);
    expect(h.run('ZRANGEBYSCORE', 'z', '1', '2', 'REV')).toEqual(SYNTAX);
    expect(h.run('ZRANGEBYSCORE', 'z', '1', 'abc')).toEqual(NOT_FLOAT_RANGE);
  });

  it('zsets: answers WITHSCORES as pairs in RESP3', () => {
    const h = withFive();
    h.ctx.client.resp = 3;
    expect(h.run('ZRANGE', 'z', '0', '1', 'WITHSCORES')).toEqual([['a', 1], ['b', 2]]);
  });

  it('zsets: ZREMRANGEBYSCORE and ZREMRANGEBYRANK', () => {
    const h = withFive();
    expect(h.run('ZREMRANGEBYSCORE', 'z', '(1', '2')).toBe(1);
    expect(h.run('ZRANGE', 'z', '0', '-1')).toEqual(['a', 'c', 'd', 'e']);
    expect(h.run('ZREMRANGEBYRANK', 'z', '-2', '-1')).toBe(2);
    expect(h.run('ZRANGE', 'z', '0', '-1')).toEqual(['a', 'c']);
    expect(h.run('ZREMRANGEBYRANK', 'z', '5', '10')).toBe(0);
    expect(h.run('ZREMRANGEBYSCORE', 'z', 'x', '1')).toEqual(NOT_FLOAT_RANGE);
    expect(h.run('ZREMRANGEBYRANK', 'z', '0', '-1')).toBe(2);
    expect(h.run('EXISTS', 'z')).toBe(0);
  });

  it('zsets: ZSCAN returns members and d2string scores, filtered by MATCH', () => {
    const h = setup();
    h.run('ZADD', 'z', '1', 'm1', '0.1', 'm2', '2.5', 'x');
    expect(h.run('ZSCAN', 'z', '0')).toEqual(['0', ['m2', '0.10000000000000001', 'm1', '1', 'x', '2.5']]);
    expect(h.run('ZSCAN', 'z', '0', 'MATCH', 'm*')).toEqual(['0', ['m2', '0.10000000000000001', 'm1', '1']]);
    expect(h.run('ZSCAN', 'z', '1x')).toEqual({ err: 'ERR invalid cursor' });
  });

  it('zsets: every command refuses a key of another type', () => {
    const h = setup();
    h.run('SET', 's', 'v');
    for (const cmd of [
      ['ZADD', 's', '1', 'a'], ['ZREM', 's', 'a'], ['ZSCORE', 's', 'a'], ['ZINCRBY', 's', '1', 'a'], ['ZCARD', 's'],
      ['ZCOUNT', 's', '0', '1'], ['ZRANK', 's', 'a'], ['ZREVRANK', 's', 'a'], ['ZRANGE', 's', '0', '1'],
      ['ZREVRANGE', 's', '0', '1'], ['ZRANGEBYSCORE', 's', '0', '1'], ['ZREVRANGEBYSCORE', 's', '1', '0'],
      ['ZREMRANGEBYSCORE', 's', '0', '1'], ['ZREMRANGEBYRANK', 's', '0', '1'], ['ZMSCORE', 's', 'a'], ['ZSCAN', 's', '0'],
    ]) {
      expect(h.run(...cmd), cmd.join(' ')).toEqual(WRONGTYPE);
    }
  });

  it('zsets: keep the keyspace memory estimate exact through member writes', () => {
    const member = fc.constantFrom('a', 'bb', 'ccc', 'dddd');
    const op = fc.oneof(
      fc.tuple(fc.constant('ZADD'), fc.constantFrom('z', 'y'), fc.constantFrom('1', '2', '-inf'), member),
      fc.tuple(fc.constant('ZREM'), fc.constantFrom('z', 'y'), member),
      fc.tuple(fc.constant('ZINCRBY'), fc.constantFrom('z', 'y'), fc.constantFrom('1', '-1'), member),
      fc.tuple(fc.constant('ZREMRANGEBYSCORE'), fc.constantFrom('z', 'y'), fc.constant('0'), fc.constant('1')),
      fc.tuple(fc.constant('ZREMRANGEBYRANK'), fc.constantFrom('z', 'y'), fc.constant('0'), fc.constant('0')),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const h = setup();
        for (const o of ops) {
          h.run(...o);
          expect(h.db.usedMemoryBytes()).toBe(h.db.recomputeMemoryBytes());
        }
      }),
    );
  });
});
