import { describe, expect, it } from 'vitest';
import { harness } from '../store/test-kit.js';
import { hashCommands } from './hashes.js';
import { keyCommands } from './keys.js';
import { stringCommands } from './strings.js';

const setup = () => harness(stringCommands, keyCommands, hashCommands);
const WRONGTYPE = { err: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const NOT_INT = { err: 'ERR value is not an integer or out of range' };
const SYNTAX = { err: 'ERR syntax error' };

describe('strings', () => {
  it('strings: SET then GET returns the bytes, binary safe', () => {
    const h = setup();
    const bin = Buffer.from([0, 0xff, 0x0d, 0x0a]);
    expect(h.run('SET', 'k', bin)).toBe('OK');
    expect(h.call('GET', 'k')).toEqual({ t: 'bulk', v: bin });
    expect(h.run('GET', 'missing')).toBeNull();
  });

  it('strings: SET NX and XX set only when the key is missing or present', () => {
    const h = setup();
    expect(h.run('SET', 'k', 'a', 'XX')).toBeNull();
    expect(h.run('SET', 'k', 'a', 'NX')).toBe('OK');
    expect(h.run('SET', 'k', 'b', 'NX')).toBeNull();
    expect(h.run('SET', 'k', 'c', 'xx')).toBe('OK');
    expect(h.run('GET', 'k')).toBe('c');
    expect(h.run('SET', 'k', 'd', 'NX', 'XX')).toEqual(SYNTAX);
  });

  it('strings: SET GET answers the old value and refuses another type', () => {
    const h = setup();
    expect(h.run('SET', 'k', 'a', 'GET')).toBeNull();
    expect(h.run('SET', 'k', 'b', 'GET')).toBe('a');
    expect(h.run('SET', 'k', 'c', 'NX', 'GET')).toBe('b'); // not set, old value still answered
    expect(h.run('GET', 'k')).toBe('b');
    h.run('HSET', 'h', 'f', 'v');
    expect(h.run('SET', 'h', 'x', 'GET')).toEqual(WRONGTYPE);
    expect(h.run('SET', 'h', 'x')).toBe('OK'); // plain SET overwrites any type
  });

  it('strings: SET EX, PX, EXAT, PXAT set the expiry and KEEPTTL keeps it', () => {
    const h = setup();
    h.run('SET', 'a', 'v', 'EX', '10');
    expect(h.run('PTTL', 'a')).toBe(10_000);
    h.run('SET', 'a', 'v', 'PX', '1500');
    expect(h.run('PTTL', 'a')).toBe(1500);
    h.run('SET', 'a', 'v', 'EXAT', String(Math.floor(h.now / 1000) + 100));
    expect(h.run('TTL', 'a')).toBe(100);
    h.run('SET', 'a', 'v', 'PXAT', String(h.now + 42));
    expect(h.run('PTTL', 'a')).toBe(42);
    h.run('SET', 'a', 'w', 'KEEPTTL');
    expect(h.run('PTTL', 'a')).toBe(42);
    h.run('SET', 'a', 'w');
    expect(h.run('PTTL', 'a')).toBe(-1);
    h.run('SET', 'b', 'v', 'PX', '100');
    h.advance(100);
    expect(h.run('GET', 'b')).toBeNull();
  });

  it('strings: SET refuses bad expiry arguments with Redis texts', () => {
    const h = setup();
    expect(h.run('SET', 'k', 'v', 'EX', '0')).toEqual({ err: "ERR invalid expire time in 'set' command" });
    expect(h.run('SET', 'k', 'v', 'PX', '-5')).toEqual({ err: "ERR invalid expire time in 'set' command" });
    expect(h.run('SET', 'k', 'v', 'EX', '9223372036854775807')).toEqual({ err: "ERR invalid expire time in 'set' command" });
    expect(h.run('SET', 'k', 'v', 'EX', 'ten')).toEqual(NOT_INT);
    expect(h.run('SET', 'k', 'v', 'EX')).toEqual(SYNTAX);
    expect(h.run('SET', 'k', 'v', 'EX', '1', 'PX', '1')).toEqual(SYNTAX);
    expect(h.run('SET', 'k', 'v', 'EX', '1', 'KEEPTTL')).toEqual(SYNTAX);
    expect(h.run('SET', 'k', 'v', 'BOGUS')).toEqual(SYNTAX);
    expect(h.run('EXISTS', 'k')).toBe(0);
  });

  it('strings: SETNX, SETEX, PSETEX', () => {
    const h = setup();
    expect(h.run('SETNX', 'k', 'a')).toBe(1);
    expect(h.run('SETNX', 'k', 'b')).toBe(0);
    expect(h.run('SETEX', 'e', '5', 'v')).toBe('OK');
    expect(h.run('TTL', 'e')).toBe(5);
    expect(h.run('PSETEX', 'p', '250', 'v')).toBe('OK');
    expect(h.run('PTTL', 'p')).toBe(250);
    expect(h.run('SETEX', 'e', '0', 'v')).toEqual({ err: "ERR invalid expire time in 'setex' command" });
    expect(h.run('PSETEX', 'e', '-1', 'v')).toEqual({ err: "ERR invalid expire time in 'psetex' command" });
  });

  it('strings: GETSET, GETDEL and GETEX', () => {
    const h = setup();
    expect(h.run('GETSET', 'k', 'a')).toBeNull();
    h.run('EXPIRE', 'k', '100');
    expect(h.run('GETSET', 'k', 'b')).toBe('a');
    expect(h.run('TTL', 'k')).toBe(-1); // GETSET clears the TTL
    expect(h.run('GETEX', 'k', 'EX', '50')).toBe('b');
    expect(h.run('TTL', 'k')).toBe(50);
    expect(h.run('GETEX', 'k', 'PERSIST')).toBe('b');
    expect(h.run('TTL', 'k')).toBe(-1);
    expect(h.run('GETEX', 'k', 'PXAT', String(h.now - 1))).toBe('b');
    expect(h.run('EXISTS', 'k')).toBe(0);
    expect(h.run('GETEX', 'k', 'KEEPTTL')).toEqual(SYNTAX);
    expect(h.run('GETEX', 'k', 'EX', '0')).toEqual({ err: "ERR invalid expire time in 'getex' command" });
    h.run('SET', 'd', 'v');
    expect(h.run('GETDEL', 'd')).toBe('v');
    expect(h.run('GETDEL', 'd')).toBeNull();
    h.run('HSET', 'h', 'f', 'v');
    expect(h.run('GETDEL', 'h')).toEqual(WRONGTYPE);
    expect(h.run('GETSET', 'h', 'x')).toEqual(WRONGTYPE);
  });

  it('strings: MGET answers nil for missing keys and keys of another type', () => {
    const h = setup();
    h.run('MSET', 'a', '1', 'b', '2');
    h.run('HSET', 'h', 'f', 'v');
    expect(h.run('MGET', 'a', 'missing', 'h', 'b')).toEqual(['1', null, null, '2']);
    expect(h.run('MSET', 'a', '1', 'b')).toEqual({ err: "ERR wrong number of arguments for 'mset' command" });
  });

  it('strings: MSETNX sets all keys or none', () => {
    const h = setup();
    expect(h.run('MSETNX', 'a', '1', 'b', '2')).toBe(1);
    expect(h.run('MSETNX', 'b', '3', 'c', '4')).toBe(0);
    expect(h.run('MGET', 'a', 'b', 'c')).toEqual(['1', '2', null]);
  });

  it('strings: INCR family counts in 64-bit and keeps the TTL', () => {
    const h = setup();
    expect(h.run('INCR', 'n')).toBe(1);
    expect(h.run('INCRBY', 'n', '41')).toBe(42);
    expect(h.run('DECR', 'n')).toBe(41);
    expect(h.run('DECRBY', 'n', '-9')).toBe(50);
    h.run('EXPIRE', 'n', '100');
    h.run('INCR', 'n');
    expect(h.run('TTL', 'n')).toBe(100);
    expect(h.run('GET', 'n')).toBe('51');
  });

  it('strings: INCR refuses non-integers and overflow with Redis texts', () => {
    const h = setup();
    h.run('SET', 'max', '9223372036854775807');
    expect(h.run('INCR', 'max')).toEqual({ err: 'ERR increment or decrement would overflow' });
    h.run('SET', 'min', '-9223372036854775808');
    expect(h.run('DECR', 'min')).toEqual({ err: 'ERR increment or decrement would overflow' });
    expect(h.run('DECRBY', 'x', '-9223372036854775808')).toEqual({ err: 'ERR decrement would overflow' });
    expect(h.run('INCRBY', 'x', '1.5')).toEqual(NOT_INT);
    h.run('SET', 's', 'abc');
    expect(h.run('INCR', 's')).toEqual(NOT_INT);
    h.run('SET', 's', ' 1');
    expect(h.run('INCR', 's')).toEqual(NOT_INT);
    h.run('HSET', 'h', 'f', 'v');
    expect(h.run('INCR', 'h')).toEqual(WRONGTYPE);
    expect(h.run('GET', 'max')).toBe('9223372036854775807');
  });

  it('strings: INCRBYFLOAT prints like Redis and refuses NaN and Infinity', () => {
    const h = setup();
    h.run('SET', 'f', '10.50');
    expect(h.run('INCRBYFLOAT', 'f', '0.1')).toBe('10.6');
    expect(h.run('INCRBYFLOAT', 'f', '-5')).toBe('5.6');
    expect(h.run('INCRBYFLOAT', 'g', '5.0e3')).toBe('5000');
    expect(h.run('INCRBYFLOAT', 'g', 'abc')).toEqual({ err: 'ERR value is not a valid float' });
    expect(h.run('INCRBYFLOAT', 'g', '+inf')).toEqual({ err: 'ERR increment would produce NaN or Infinity' });
    h.run('SET', 's', 'x');
    expect(h.run('INCRBYFLOAT', 's', '1')).toEqual({ err: 'ERR value is not a valid float' });
  });

  it('strings: APPEND and STRLEN', () => {
    const h = setup();
    expect(h.run('APPEND', 'k', 'Hello')).toBe(5);
    expect(h.run('APPEND', 'k', ' World')).toBe(11);
    expect(h.run('GET', 'k')).toBe('Hello World');
    expect(h.run('STRLEN', 'k')).toBe(11);
    expect(h.run('STRLEN', 'missing')).toBe(0);
    h.run('HSET', 'h', 'f', 'v');
    expect(h.run('APPEND', 'h', 'x')).toEqual(WRONGTYPE);
    expect(h.run('STRLEN', 'h')).toEqual(WRONGTYPE);
  });

  it('strings: GETRANGE clamps like Redis, with negative indexes from the end', () => {
    const h = setup();
    h.run('SET', 'k', 'This is a string');
    expect(h.run('GETRANGE', 'k', '0', '3')).toBe('This');
    expect(h.run('GETRANGE', 'k', '-3', '-1')).toBe('ing');
    expect(h.run('GETRANGE', 'k', '0', '-1')).toBe('This is a string');
    expect(h.run('GETRANGE', 'k', '10', '100')).toBe('string');
    expect(h.run('GETRANGE', 'k', '5', '3')).toBe('');
    expect(h.run('GETRANGE', 'k', '-1', '-5')).toBe('');
    expect(h.run('GETRANGE', 'missing', '0', '-1')).toBe('');
    expect(h.run('GETRANGE', 'k', 'a', '1')).toEqual(NOT_INT);
  });

  it('strings: SETRANGE pads with zero bytes and checks its offset', () => {
    const h = setup();
    h.run('SET', 'k', 'Hello World');
    expect(h.run('SETRANGE', 'k', '6', 'Redis')).toBe(11);
    expect(h.run('GET', 'k')).toBe('Hello Redis');
    expect(h.run('SETRANGE', 'n', '3', 'ab')).toBe(5);
    expect(h.run('GET', 'n')).toBe('\x00\x00\x00ab');
    expect(h.run('SETRANGE', 'e', '3', '')).toBe(0);
    expect(h.run('EXISTS', 'e')).toBe(0);
    expect(h.run('SETRANGE', 'k', '-1', 'x')).toEqual({ err: 'ERR offset is out of range' });
    expect(h.run('SETRANGE', 'k', '536870912', 'x')).toEqual({
      err: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
    });
  });

  it('strings: declares key positions the dispatcher can route by', () => {
    const byName = new Map(stringCommands.map((s) => [s.name, s]));
    expect([byName.get('mset')!.firstKey, byName.get('mset')!.lastKey, byName.get('mset')!.step]).toEqual([1, -1, 2]);
    expect([byName.get('mget')!.firstKey, byName.get('mget')!.lastKey, byName.get('mget')!.step]).toEqual([1, -1, 1]);
    expect(byName.get('get')!.flags).toContain('readonly');
    expect(byName.get('set')!.flags).toContain('write');
    expect(stringCommands.map((s) => s.name).sort()).toEqual(
      ['append', 'decr', 'decrby', 'get', 'getdel', 'getex', 'getrange', 'getset', 'incr', 'incrby', 'incrbyfloat', 'mget', 'mset', 'msetnx', 'psetex', 'set', 'setex', 'setnx', 'setrange', 'strlen'].sort(),
    );
  });
});
