import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { harness } from '../store/test-kit.js';
import { hashCommands } from './hashes.js';
import { keyCommands } from './keys.js';
import { stringCommands } from './strings.js';

const setup = () => harness(hashCommands, stringCommands, keyCommands);
const WRONGTYPE = { err: 'WRONGTYPE Operation against a key holding the wrong kind of value' };

describe('hashes', () => {
  it('hashes: HSET counts new fields, HMSET answers OK, HGET reads them back', () => {
    const h = setup();
    expect(h.run('HSET', 'h', 'a', '1', 'b', '2')).toBe(2);
    expect(h.run('HSET', 'h', 'a', '10', 'c', '3')).toBe(1);
    expect(h.run('HMSET', 'h', 'd', '4')).toBe('OK');
    expect(h.run('HGET', 'h', 'a')).toBe('10');
    expect(h.run('HGET', 'h', 'zz')).toBeNull();
    expect(h.run('HGET', 'missing', 'a')).toBeNull();
    expect(h.run('HSET', 'h', 'a')).toEqual({ err: "ERR wrong number of arguments for 'hset' command" });
    expect(h.run('HMSET', 'h', 'a', '1', 'b')).toEqual({ err: "ERR wrong number of arguments for 'hmset' command" });
  });

  it('hashes: HSETNX sets a field only once', () => {
    const h = setup();
    expect(h.run('HSETNX', 'h', 'f', 'a')).toBe(1);
    expect(h.run('HSETNX', 'h', 'f', 'b')).toBe(0);
    expect(h.run('HGET', 'h', 'f')).toBe('a');
  });

  it('hashes: HMGET, HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN', () => {
    const h = setup();
    h.run('HSET', 'h', 'a', '1', 'b', '22');
    expect(h.run('HMGET', 'h', 'a', 'x', 'b')).toEqual(['1', null, '22']);
    expect(h.run('HMGET', 'missing', 'a')).toEqual([null]);
    expect(h.run('HGETALL', 'h')).toEqual(['a', '1', 'b', '22']);
    expect(h.call('HGETALL', 'h').t).toBe('map');
    expect(h.run('HGETALL', 'missing')).toEqual([]);
    expect(h.run('HKEYS', 'h')).toEqual(['a', 'b']);
    expect(h.run('HVALS', 'h')).toEqual(['1', '22']);
    expect(h.run('HLEN', 'h')).toBe(2);
    expect(h.run('HEXISTS', 'h', 'a')).toBe(1);
    expect(h.run('HEXISTS', 'h', 'z')).toBe(0);
    expect(h.run('HSTRLEN', 'h', 'b')).toBe(2);
    expect(h.run('HSTRLEN', 'h', 'z')).toBe(0);
  });

  it('hashes: HDEL removes fields and the key with its last field', () => {
    const h = setup();
    h.run('HSET', 'h', 'a', '1', 'b', '2');
    expect(h.run('HDEL', 'h', 'a', 'a', 'zz')).toBe(1);
    expect(h.run('HDEL', 'h', 'b')).toBe(1);
    expect(h.run('EXISTS', 'h')).toBe(0);
    expect(h.run('HDEL', 'h', 'b')).toBe(0);
  });

  it('hashes: HINCRBY counts and refuses non-integer fields and overflow', () => {
    const h = setup();
    expect(h.run('HINCRBY', 'h', 'n', '5')).toBe(5);
    expect(h.run('HINCRBY', 'h', 'n', '-7')).toBe(-2);
    h.run('HSET', 'h', 's', 'abc', 'big', '9223372036854775807');
    expect(h.run('HINCRBY', 'h', 's', '1')).toEqual({ err: 'ERR hash value is not an integer' });
    expect(h.run('HINCRBY', 'h', 'big', '1')).toEqual({ err: 'ERR increment or decrement would overflow' });
    expect(h.run('HINCRBY', 'h', 'n', 'x')).toEqual({ err: 'ERR value is not an integer or out of range' });
  });

  it('hashes: HINCRBYFLOAT prints like Redis and refuses bad values', () => {
    const h = setup();
    h.run('HSET', 'h', 'f', '10.50');
    expect(h.run('HINCRBYFLOAT', 'h', 'f', '0.1')).toBe('10.6');
    expect(h.run('HINCRBYFLOAT', 'h', 'g', '-5')).toBe('-5');
    h.run('HSET', 'h', 's', 'abc');
    expect(h.run('HINCRBYFLOAT', 'h', 's', '1')).toEqual({ err: 'ERR hash value is not a float' });
    expect(h.run('HINCRBYFLOAT', 'h', 'f', 'x')).toEqual({ err: 'ERR value is not a valid float' });
    expect(h.run('HINCRBYFLOAT', 'new', 'f', 'inf')).toEqual({ err: 'ERR value is NaN or Infinity' });
    expect(h.run('EXISTS', 'new')).toBe(0);
  });

  it('hashes: every command refuses a key of another type', () => {
    const h = setup();
    h.run('SET', 's', 'v');
    for (const cmd of [
      ['HSET', 's', 'f', 'v'], ['HGET', 's', 'f'], ['HMGET', 's', 'f'], ['HGETALL', 's'], ['HDEL', 's', 'f'],
      ['HLEN', 's'], ['HEXISTS', 's', 'f'], ['HKEYS', 's'], ['HVALS', 's'], ['HINCRBY', 's', 'f', '1'],
      ['HINCRBYFLOAT', 's', 'f', '1'], ['HSTRLEN', 's', 'f'], ['HSETNX', 's', 'f', 'v'], ['HSCAN', 's', '0'],
    ]) {
      expect(h.run(...cmd), cmd.join(' ')).toEqual(WRONGTYPE);
    }
  });

  it('hashes: HSCAN returns all fields with MATCH, in one call with cursor 0', () => {
    const h = setup();
    h.run('HSET', 'h', 'user:1', 'a', 'user:2', 'b', 'other', 'c');
    expect(h.run('HSCAN', 'h', '0')).toEqual(['0', ['user:1', 'a', 'user:2', 'b', 'other', 'c']]);
    expect(h.run('HSCAN', 'h', '0', 'MATCH', 'user:*', 'COUNT', '1')).toEqual(['0', ['user:1', 'a', 'user:2', 'b']]);
    expect(h.run('HSCAN', 'missing', '0')).toEqual(['0', []]);
    expect(h.run('HSCAN', 'h', 'abc')).toEqual({ err: 'ERR invalid cursor' });
    expect(h.run('HSCAN', 'h', '0', 'COUNT', '0')).toEqual({ err: 'ERR syntax error' });
    expect(h.run('HSCAN', 'h', '0', 'TYPE', 'hash')).toEqual({ err: 'ERR syntax error' });
  });

  it('hashes: keep the keyspace memory estimate exact through field writes', () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('HSET'), fc.constantFrom('h', 'g'), fc.string({ maxLength: 3 }), fc.string({ maxLength: 8 })),
      fc.tuple(fc.constant('HDEL'), fc.constantFrom('h', 'g'), fc.string({ maxLength: 3 })),
      fc.tuple(fc.constant('HINCRBY'), fc.constantFrom('h', 'g'), fc.constantFrom('n', 'm'), fc.constantFrom('1', '-100')),
      fc.tuple(fc.constant('HSETNX'), fc.constantFrom('h', 'g'), fc.string({ maxLength: 3 }), fc.string({ maxLength: 8 })),
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
