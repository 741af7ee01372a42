import { describe, expect, it } from 'vitest';
import { checkHistory, type ReadOp, type WriteOp } from './linearizability.js';

const w = (version: number, start: number, ack: number): WriteOp => ({ key: 'k', version, start, ack });
const r = (version: number, start: number, end: number): ReadOp => ({ key: 'k', version, start, end });

describe('linearizability check', () => {
  it('accepts reads that see the last acknowledged write or one in flight', () => {
    const writes = [w(1, 0, 10), w(2, 20, 30)];
    expect(checkHistory(writes, [r(1, 12, 15), r(1, 21, 25), r(2, 21, 25), r(2, 31, 33)], new Map([['k', 2]]))).toEqual([]);
  });

  it('finds a stale read: older than a write acknowledged before the read began', () => {
    const v = checkHistory([w(1, 0, 10), w(2, 20, 30)], [r(1, 31, 40)], new Map([['k', 2]]));
    expect(v.map((x) => x.kind)).toEqual(['stale-read']);
  });

  it('finds a phantom read: a version no write had started', () => {
    const v = checkHistory([w(1, 0, 10)], [r(2, 11, 12)], new Map([['k', 1]]));
    expect(v.map((x) => x.kind)).toEqual(['phantom-read']);
  });

  it('finds a lost acknowledged write, and allows an unacknowledged one to be lost', () => {
    expect(checkHistory([w(1, 0, 10), w(2, 20, 30)], [], new Map([['k', 1]])).map((x) => x.kind)).toEqual(['lost-write']);
    expect(checkHistory([w(1, 0, 10), w(2, 20, Infinity)], [], new Map([['k', 1]]))).toEqual([]);
  });

  it('counts a missing key as version 0', () => {
    expect(checkHistory([w(1, 0, 10)], [r(0, 11, 12)], new Map([['k', 1]])).map((x) => x.kind)).toEqual(['stale-read']);
    expect(checkHistory([w(1, 0, 10)], [r(0, 5, 12)], new Map([['k', 1]]))).toEqual([]);
  });
});
