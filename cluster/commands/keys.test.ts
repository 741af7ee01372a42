import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpValue } from '../store/dump.js';
import { harness, type Plain } from '../store/test-kit.js';
import { hashCommands } from './hashes.js';
import { keyCommands } from './keys.js';
import { stringCommands } from './strings.js';
import { zsetCommands } from './zsets.js';

const setup = () => harness(keyCommands, stringCommands, hashCommands, zsetCommands);
const SYNTAX = { err: 'ERR syntax error' };

describe('keys', () => {
  it('keys: DEL and UNLINK count removed keys, EXISTS and TOUCH count present ones with repeats', () => {
    const h = setup();
    h.run('MSET', 'a', '1', 'b', '2', 'c', '3');
    expect(h.run('EXISTS', 'a', 'a', 'x')).toBe(2);
    expect(h.run('TOUCH', 'a', 'b', 'x')).toBe(2);
    expect(h.run('DEL', 'a', 'x', 'a')).toBe(1);
    expect(h.run('UNLINK', 'b', 'c')).toBe(2);
    expect(h.run('DBSIZE')).toBe(0);
  });

  it('keys: TYPE names each type, none when missing', () => {
    const h = setup();
    h.run('SET', 's', 'v');
    h.run('HSET', 'h', 'f', 'v');
    h.run('ZADD', 'z', '1', 'm');
    expect([h.run('TYPE', 's'), h.run('TYPE', 'h'), h.run('TYPE', 'z'), h.run('TYPE', 'x')]).toEqual(['string', 'hash', 'zset', 'none']);
  });

  it('keys: EXPIRE family sets TTLs that TTL and PTTL report, and keys vanish on time', () => {
    const h = setup();
    h.run('SET', 'k', 'v');
    expect(h.run('TTL', 'k')).toBe(-1);
    expect(h.run('TTL', 'missing')).toBe(-2);
    expect(h.run('EXPIRE', 'k', '10')).toBe(1);
    expect(h.run('TTL', 'k')).toBe(10);
    expect(h.run('PEXPIRE', 'k', '1500')).toBe(1);
    expect(h.run('TTL', 'k')).toBe(2); // rounded like Redis: (1500 + 500) / 1000
    expect(h.run('PTTL', 'k')).toBe(1500);
    expect(h.run('EXPIREAT', 'k', String(Math.floor(h.now / 1000) + 60))).toBe(1);
    expect(h.run('PEXPIREAT', 'k', String(h.now + 700))).toBe(1);
    expect(h.run('PEXPIRETIME', 'k')).toBe(h.now + 700);
    expect(h.run('EXPIRETIME', 'missing')).toBe(-2);
    expect(h.run('EXPIRE', 'missing', '10')).toBe(0);
    h.advance(699);
    expect(h.run('GET', 'k')).toBe('v');
    h.advance(1);
    expect(h.run('GET', 'k')).toBeNull();
  });

  it('keys: EXPIRE with a time in the past deletes the key', () => {
    const h = setup();
    h.run('SET', 'k', 'v');
    expect(h.run('EXPIRE', 'k', '-1')).toBe(1);
    expect(h.run('EXISTS', 'k')).toBe(0);
    h.run('SET', 'k', 'v');
    expect(h.run('PEXPIREAT', 'k', '1')).toBe(1);
    expect(h.run('DBSIZE')).toBe(0);
  });

  it('keys: EXPIRE NX, XX, GT and LT follow Redis 7.0, no TTL counting as infinite', () => {
    const h = setup();
    h.run('SET', 'k', 'v');
    expect(h.run('EXPIRE', 'k', '100', 'XX')).toBe(0);
    expect(h.run('EXPIRE', 'k', '100', 'GT')).toBe(0);
    expect(h.run('EXPIRE', 'k', '100', 'LT')).toBe(1);
    expect(h.run('EXPIRE', 'k', '200', 'NX')).toBe(0);
    expect(h.run('EXPIRE', 'k', '50', 'GT')).toBe(0);
    expect(h.run('EXPIRE', 'k', '200', 'gt')).toBe(1);
    expect(h.run('EXPIRE', 'k', '300', 'LT')).toBe(0);
    expect(h.run('EXPIRE', 'k', '150', 'XX', 'LT')).toBe(1);
    expect(h.run('TTL', 'k')).toBe(150);
  });

  it('keys: EXPIRE refuses bad options and times with Redis texts', () => {
    const h = setup();
    h.run('SET', 'k', 'v');
    expect(h.run('EXPIRE', 'k', '10', 'NX', 'XX')).toEqual({ err: 'ERR NX and XX, GT or LT options at the same time are not compatible' });
    expect(h.run('EXPIRE', 'k', '10', 'GT', 'LT')).toEqual({ err: 'ERR GT and LT options at the same time are not compatible' });
    expect(h.run('EXPIRE', 'k', '10', 'FOO')).toEqual({ err: 'ERR Unsupported option FOO' });
    expect(h.run('EXPIRE', 'k', 'ten')).toEqual({ err: 'ERR value is not an integer or out of range' });
    expect(h.run('EXPIRE', 'k', '9223372036854775807')).toEqual({ err: "ERR invalid expire time in 'expire' command" });
    expect(h.run('PEXPIRE', 'k', '9223372036854775807')).toEqual({ err: "ERR invalid expire time in 'pexpire' command" });
    expect(h.run('EXPIREAT', 'k', '9223372036854775807')).toEqual({ err: "ERR invalid expire time in 'expireat' command" });
  });

  it('keys: PERSIST removes a TTL and answers whether there was one', () => {
    const h = setup();
    h.run('SET', 'k', 'v', 'EX', '10');
    expect(h.run('PERSIST', 'k')).toBe(1);
    expect(h.run('PERSIST', 'k')).toBe(0);
    expect(h.run('PERSIST', 'missing')).toBe(0);
    expect(h.run('TTL', 'k')).toBe(-1);
  });

  it('keys: SCAN with MATCH, COUNT and TYPE walks every key exactly once', () => {
    const h = setup();
    for (let i = 0; i < 30; i++) h.run('SET', `s${i}`, 'v');
    for (let i = 0; i < 5; i++) h.run('HSET', `h${i}`, 'f', 'v');
    const scanAll = (...opts: string[]) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = h.run('SCAN', cursor, ...opts) as [string, string[]];
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      return keys;
    };
    expect(scanAll('COUNT', '4')).toHaveLength(35);
    expect(scanAll('MATCH', 's1*').sort()).toEqual(['s1', ...Array.from({ length: 10 }, (_, i) => `s1${i}`)].sort());
    expect(scanAll('TYPE', 'HASH').sort()).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
    expect(scanAll('TYPE', 'list')).toEqual([]);
  });

  it('keys: SCAN refuses bad cursors and options', () => {
    const h = setup();
    expect(h.run('SCAN', 'abc')).toEqual({ err: 'ERR invalid cursor' });
    expect(h.run('SCAN', '0', 'COUNT', '0')).toEqual(SYNTAX);
    expect(h.run('SCAN', '0', 'COUNT', 'x')).toEqual({ err: 'ERR value is not an integer or out of range' });
    expect(h.run('SCAN', '0', 'MATCH')).toEqual(SYNTAX);
    expect(h.run('SCAN', '0', 'BOGUS', 'x')).toEqual(SYNTAX);
    expect(h.run('SCAN', '0')).toEqual(['0', []]);
  });

  it('keys: SCAN through the command returns every key that lives through the scan', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(40), fc.boolean()), { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), (churn, count) => {
        const h = setup();
        for (let i = 0; i < 40; i += 2) h.run('SET', `k${i}`, 'v');
        const stable = new Set(Array.from({ length: 20 }, (_, i) => `k${i * 2}`));
        const seen = new Set<string>();
        let cursor = '0';
        let step = 0;
        do {
          const [next, batch] = h.run('SCAN', cursor, 'COUNT', String(count)) as [string, string[]];
          batch.forEach((k) => seen.add(k));
          cursor = next;
          const c = churn[step++];
          if (c) {
            const [n, add] = c;
            if (add) h.run('SET', `k${n}`, 'v');
            else {
              h.run('DEL', `k${n}`);
              stable.delete(`k${n}`);
            }
          }
        } while (cursor !== '0');
        for (const k of stable) expect(seen.has(k), k).toBe(true);
      }),
    );
  });

  it('keys: KEYS, RANDOMKEY and DBSIZE', () => {
    const h = setup();
    expect(h.run('RANDOMKEY')).toBeNull();
    h.run('MSET', 'user:1', 'a', 'user:2', 'b', 'x', 'c');
    expect((h.run('KEYS', 'user:*') as string[]).sort()).toEqual(['user:1', 'user:2']);
    expect(h.run('KEYS', '*')).toHaveLength(3);
    expect(['user:1', 'user:2', 'x']).toContain(h.run('RANDOMKEY'));
    expect(h.run('DBSIZE')).toBe(3);
  });

  it('keys: FLUSHALL and FLUSHDB accept ASYNC and SYNC only', () => {
    const h = setup();
    h.run('SET', 'a', '1');
    expect(h.run('FLUSHALL', 'ASYNC')).toBe('OK');
    expect(h.run('DBSIZE')).toBe(0);
    h.run('SET', 'a', '1');
    expect(h.run('FLUSHDB', 'sync')).toBe('OK');
    expect(h.run('FLUSHDB', 'LATER')).toEqual(SYNTAX);
    expect(h.run('FLUSHALL', 'ASYNC', 'SYNC')).toEqual(SYNTAX);
    expect(h.db.usedMemoryBytes()).toBe(0);
  });

  it('keys: DUMP and RESTORE round-trip every type with its TTL', () => {
    const h = setup();
    h.run('SET', 's', Buffer.from([0, 1, 2, 255]));
    h.run('HSET', 'h', 'f1', 'v1', 'f2', 'v2');
    h.run('ZADD', 'z', '1.5', 'a', '-inf', 'b');
    const dumps = Object.fromEntries(['s', 'h', 'z'].map((k) => [k, h.call('DUMP', k)]));
    expect(h.run('DUMP', 'missing')).toBeNull();
    const before = Object.fromEntries(
      [['GET', 's'], ['HGETALL', 'h'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES']].map((c) => [c[1], h.run(...c)]),
    ) as Record<string, Plain>;
    h.run('FLUSHALL');
    for (const k of ['s', 'h', 'z']) {
      const d = dumps[k];
      if (d.t !== 'bulk' || !d.v) throw new Error('no dump');
      expect(h.run('RESTORE', k, k === 's' ? '5000' : '0', d.v)).toBe('OK');
    }
    expect(h.run('GET', 's')).toEqual(before.s);
    expect(h.run('HGETALL', 'h')).toEqual(before.h);
    expect(h.run('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual(before.z);
    expect(h.run('PTTL', 's')).toBe(5000);
    expect(h.run('TTL', 'h')).toBe(-1);
    expect(h.db.usedMemoryBytes()).toBe(h.db.recomputeMemoryBytes());
  });

  it('keys: RESTORE answers BUSYKEY unless REPLACE, and honours ABSTTL', () => {
    const h = setup();
    const payload = dumpValue({ type: 'string', value: Buffer.from('new') });
    h.run('SET', 'k', 'old');
    expect(h.run('RESTORE', 'k', '0', payload)).toEqual({ err: 'BUSYKEY Target key name already exists.' });
    expect(h.run('RESTORE', 'k', '0', payload, 'REPLACE')).toBe('OK');
    expect(h.run('GET', 'k')).toBe('new');
    expect(h.run('RESTORE', 'a', String(h.now + 3000), payload, 'ABSTTL')).toBe('OK');
    expect(h.run('PTTL', 'a')).toBe(3000);
    expect(h.run('RESTORE', 'gone', String(h.now - 1), payload, 'ABSTTL')).toBe('OK');
    expect(h.run('EXISTS', 'gone')).toBe(0);
    expect(h.run('RESTORE-ASKING', 'b', '0', payload, 'IDLETIME', '10')).toBe('OK');
    expect(h.run('GET', 'b')).toBe('new');
  });

  it('keys: RESTORE refuses damaged payloads and bad arguments with Redis texts', () => {
    const h = setup();
    const payload = dumpValue({ type: 'string', value: Buffer.from('v') });
    const bad = Buffer.from(payload);
    bad[7] ^= 0x40;
    expect(h.run('RESTORE', 'k', '0', bad)).toEqual({ err: 'ERR DUMP payload version or checksum are wrong' });
    expect(h.run('RESTORE', 'k', '0', 'garbage')).toEqual({ err: 'ERR DUMP payload version or checksum are wrong' });
    expect(h.run('RESTORE', 'k', '-1', payload)).toEqual({ err: 'ERR Invalid TTL value, must be >= 0' });
    expect(h.run('RESTORE', 'k', 'x', payload)).toEqual({ err: 'ERR value is not an integer or out of range' });
    expect(h.run('RESTORE', 'k', '0', payload, 'FREQ', '300')).toEqual({ err: 'ERR Invalid FREQ value, must be >= 0 and <= 255' });
    expect(h.run('RESTORE', 'k', '0', payload, 'IDLETIME', '-1')).toEqual({ err: 'ERR Invalid IDLETIME value, must be >= 0' });
    expect(h.run('RESTORE', 'k', '0', payload, 'IDLETIME', '1', 'FREQ', '1')).toEqual(SYNTAX);
    expect(h.run('RESTORE', 'k', '0', payload, 'BOGUS')).toEqual(SYNTAX);
    expect(h.run('EXISTS', 'k')).toBe(0);
  });

  it('keys: OBJECT ENCODING reports the encodings Redis 7.0 would', () => {
    const h = setup();
    h.run('SET', 'i', '12345');
    h.run('SET', 'e', 'short');
    h.run('SET', 'r', 'x'.repeat(45));
    h.run('HSET', 'h', 'f', 'v');
    h.run('ZADD', 'z', '1', 'm');
    expect(['i', 'e', 'r', 'h', 'z'].map((k) => h.run('OBJECT', 'ENCODING', k))).toEqual(['int', 'embstr', 'raw', 'listpack', 'listpack']);
    expect(h.run('OBJECT', 'ENCODING', 'missing')).toBeNull();
    expect(h.run('OBJECT', 'FOO', 'i')).toEqual({ err: "ERR unknown subcommand 'FOO'. Try OBJECT HELP." });
    const object = keyCommands.find((s) => s.name === 'object')!;
    expect(object.keys!([Buffer.from('OBJECT'), Buffer.from('HELP')])).toEqual([]);
  });

  it('keys: declares key positions and flags the dispatcher routes by', () => {
    const spec = (n: string) => keyCommands.find((s) => s.name === n)!;
    expect([spec('del').firstKey, spec('del').lastKey, spec('del').step]).toEqual([1, -1, 1]);
    expect([spec('scan').firstKey, spec('keys').firstKey, spec('dbsize').firstKey]).toEqual([0, 0, 0]);
    expect(spec('restore').flags).toContain('write');
    expect(spec('ttl').flags).toEqual(['readonly', 'fast']);
  });
});
