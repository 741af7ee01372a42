import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventDueMs } from './matrix.js';
import { type BucketBytes, averageRate, baselineOf, bytesIn, eventOverheads, perSecondAverage } from './overhead.js';
import { parseScenario } from './loader.js';
import { fiveNumbers, updateLagMs } from './update-lag.js';

const T = 1_700_000_000_000;

/** Every 100 ms bucket of [from, to) with `bytes` on `channel`. */
function steady(from: number, to: number, channel: string, bytes: number): BucketBytes[] {
  const rows: BucketBytes[] = [];
  for (let t = from; t < to; t += 100) rows.push({ ts_ms: t, channel, bytes });
  return rows;
}

describe('per-event overhead', () => {
  it('overhead: bytes in the window minus the baseline rate over the same length, per channel, byte-exact', () => {
    // 10 s after the warm-up: bus 500 B and replication 35 B per bucket throughout.
    const rows = [...steady(T, T + 10_000, 'bus', 500), ...steady(T, T + 10_000, 'replication', 35)];
    // The event (2.0 s, 20 buckets from T+3000) adds 4,096 B of bus in one bucket and 1 MiB
    // of replication spread over 10 buckets; the client channel sends 7 B once.
    rows.push({ ts_ms: T + 3_500, channel: 'bus', bytes: 4_096 });
    for (let i = 0; i < 10; i++) rows.push({ ts_ms: T + 4_000 + i * 100, channel: 'replication', bytes: 104_857 + (i < 6 ? 1 : 0) });
    rows.push({ ts_ms: T + 4_200, channel: 'client', bytes: 7 });
    const [o] = eventOverheads(rows, [{ id: 'ev-1', kind: 'live-patch', startMs: T + 3_000, endMs: T + 5_000 }], T, T + 10_000);
    expect(o!.windowMs).toBe(2_000);
    expect(o!.channels.bus).toEqual({ bytes: 20 * 500 + 4_096, baseline: 10_000, extra: 4_096 });
    expect(o!.channels.replication).toEqual({ bytes: 20 * 35 + 1_048_576, baseline: 700, extra: 1_048_576 });
    expect(o!.channels.client).toEqual({ bytes: 7, baseline: 0, extra: 7 });
    expect(o!.channels.migration.extra).toBe(0);
    expect(o!.totalExtra).toBe(4_096 + 1_048_576 + 7);
  });

  it('overhead: windows widen to whole buckets; the baseline leaves out every window and counts empty buckets', () => {
    // Bytes only in every other bucket: the baseline rate is 100 B per 200 ms.
    const rows = steady(T, T + 6_000, 'bus', 100).filter((r) => (r.ts_ms / 100) % 2 === 0);
    const windows = [
      { id: 'a', kind: 'failover', startMs: T + 1_050, endMs: T + 1_120 }, // -> [1000, 1200): 2 buckets
      { id: 'b', kind: 'cp-full', startMs: T + 3_000, endMs: T + 3_999 }, // -> [3000, 4000): 10 buckets
    ];
    rows.push({ ts_ms: T + 3_300, channel: 'bus', bytes: 1_000_000 });
    const base = baselineOf(rows, windows, T, T + 6_000);
    expect(base.ms).toBe(6_000 - 200 - 1_000);
    expect(base.bytes.bus).toBe((60 - 12) / 2 * 100);
    const [a, b] = eventOverheads(rows, windows, T, T + 6_000);
    expect(a!.windowMs).toBe(200);
    expect(a!.channels.bus).toEqual({ bytes: 100, baseline: 100, extra: 0 });
    expect(b!.channels.bus).toEqual({ bytes: 500 + 1_000_000, baseline: 500, extra: 1_000_000 });
  });

  it('overhead: rows before the warm-up end or after the measurement end count neither as baseline nor as event', () => {
    const rows = [...steady(T - 5_000, T + 5_000, 'bus', 200), { ts_ms: T - 100, channel: 'replication', bytes: 9_999_999 }];
    const [o] = eventOverheads(rows, [{ id: 'x', kind: 'live-patch', startMs: T + 1_000, endMs: T + 2_000 }], T, T + 4_000);
    expect(o!.channels.bus.extra).toBe(0);
    expect(o!.channels.replication).toEqual({ bytes: 0, baseline: 0, extra: 0 });
    expect(averageRate(rows, T, T + 4_000)).toBe(2_000);
  });

  it('overhead: PATCH message bytes of a window; the per-node average over whole seconds only', () => {
    const patch = [{ ts_ms: T + 900, channel: 'bus', bytes: 6_360 }, { ts_ms: T + 1_000, channel: 'bus', bytes: 6_360 }, { ts_ms: T + 2_000, channel: 'bus', bytes: 1 }];
    expect(bytesIn(patch, { id: 'p', kind: 'live-patch', startMs: T + 950, endMs: T + 1_001 })).toBe(12_720);
    // Seconds T+1000 and T+2000 are whole inside [T+500, T+3200); T and T+3000 are not.
    const points: Array<[number, number]> = [[T, 9_999], [T + 1_000, 4_000], [T + 2_000, 6_000], [T + 3_000, 9_999]];
    expect(perSecondAverage(points, T + 500, T + 3_200)).toBe(5_000);
    expect(perSecondAverage(points, T + 500, T + 1_200)).toBe(0);
  });

  it('overhead: a steady rate gives zero extra bytes for any window (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 30 }), (perBucket, startBucket, len) => {
      const rows = steady(T, T + 12_000, 'bus', perBucket);
      const [o] = eventOverheads(rows, [{ id: 'w', kind: 'k', startMs: T + startBucket * 100, endMs: T + (startBucket + len) * 100 }], T, T + 12_000);
      return o!.channels.bus.extra === 0 && o!.channels.bus.bytes === perBucket * len;
    }));
  });
});

describe('update lag and schedule', () => {
  it('lag: last applied minus first registered over the apply phases, else the detail lag_ms', () => {
    expect(updateLagMs({ lag_ms: 1_234 }, [])).toBe(1_234);
    const phases = [
      { detail: { registered_ms: T + 10, received_ms: 0, applied_ms: T + 12 } },
      { detail: { received_ms: T + 400, applied_ms: T + 1_900 } },
      { detail: { received_ms: T + 700, applied_ms: T + 800 } },
    ];
    expect(updateLagMs({}, phases)).toBe(1_890);
    expect(updateLagMs({ lag_ms: 5 }, phases)).toBe(1_890);
    expect(updateLagMs({}, [])).toBeUndefined();
    expect(fiveNumbers([4, 1, 3, 2, 5])).toEqual([1, 2, 3, 4, 5]);
    expect(fiveNumbers([1, 2])).toEqual([1, 1.25, 1.5, 1.75, 2]);
  });

  it('schedule: events on the paper times after the warm-up, a late one 1 s after the previous ended', () => {
    const s = parseScenario('name: t\ntopologies: [3-1]\nwarmup_s: 10\nschedule: { first_s: 15, every_s: 50, count: 10 }\nruns: [lp-pull]\n');
    expect(eventDueMs(s, T, 0, 0)).toBe(T + 25_000);
    expect(eventDueMs(s, T, 1, T + 26_000)).toBe(T + 75_000);
    expect(eventDueMs(s, T, 9, 0)).toBe(T + 475_000);
    expect(eventDueMs(s, T, 2, T + 130_000)).toBe(T + 131_000);
  });
});
