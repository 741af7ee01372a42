import { describe, expect, it } from 'vitest';
import { MemorySink } from '../telemetry/local-sinks.js';
import { type OpResult, Recorder } from './stats.js';

const ok: OpResult = { error: false, redirects: 0, moved: 0, ask: 0, retries: 0, hit: true };

describe('loadgen recorder', () => {
  it('recorder: one row per op type per 100 ms bucket, empty buckets included, latency from the intended start', () => {
    let wall = 1_000_050;
    const sink = new MemorySink();
    const rec = new Recorder(['READ', 'UPDATE'], 'r1', sink, () => wall);
    rec.tick(); // opens bucket 1_000_000
    rec.record('READ', 0, 0, 2, ok); // 2 ms
    rec.record('READ', 0, 9, 10, { ...ok, hit: false, redirects: 2, moved: 1, ask: 1 }); // 10 ms late start, 1 ms service
    wall = 1_000_350; // three buckets later, nothing happened in 1_000_100 and 1_000_200
    rec.record('UPDATE', 5, 5, 6, { ...ok, hit: undefined, error: true, message: 'ERR x' });
    rec.tick(true);
    expect(sink.rows('ops').map((r) => `${r.ts_ms} ${r.op} ${r.ops}`)).toEqual([
      '1000000 READ 2', '1000000 UPDATE 0', '1000100 READ 0', '1000100 UPDATE 0',
      '1000200 READ 0', '1000200 UPDATE 0', '1000300 READ 0', '1000300 UPDATE 1',
    ]);
    const first = sink.rows('ops')[0]!;
    expect([first.hits, first.misses, first.redirects, first.errors]).toEqual([1, 1, 2, 0]);
    expect(first.max_us).toBeGreaterThanOrEqual(9_990); // from the intended start: 10 ms, not 1 ms
    expect(first.p50_us).toBeGreaterThanOrEqual(1_999);
    expect(sink.rows('ops')[7]!.errors).toBe(1);
    const read = rec.stats.get('READ')!;
    expect(read.actual.maxValue).toBeLessThan(2_100); // actual start: 2 ms and 1 ms
    expect(rec.stats.get('UPDATE')!.total.errorMessages.get('ERR x')).toBe(1);
    expect(rec.rowsWritten).toBe(8);
  });
});
