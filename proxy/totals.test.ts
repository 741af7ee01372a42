import { describe, expect, it } from 'vitest';
import type { TrafficRow } from '../telemetry/rows.js';
import { MemorySink } from '../telemetry/local-sinks.js';
import { TotalsSink } from './totals.js';

const row = (node: string, channel: TrafficRow['channel'], direction: TrafficRow['direction'], bytes: number, messages = 0): TrafficRow => ({
  run_id: 'r', ts_ms: 100, source: 'proxy', node, peer: 'p', channel, direction, msg_type: '', bytes, messages, wire_bytes: 0, retransmits: 0,
});

describe('TotalsSink', () => {
  it('proxy: the totals sink sums traffic rows per node, channel and direction and forwards every row unchanged', () => {
    const inner = new MemorySink();
    const sink = new TotalsSink(inner);
    const rows = [row('a', 'bus', 'sent', 10, 1), row('a', 'bus', 'sent', 5, 2), row('a', 'bus', 'received', 7), row('b', 'client', 'sent', 3)];
    sink.write('traffic', rows.slice(0, 2));
    sink.write('traffic', rows.slice(2));
    sink.write('runs', [{ run_id: 'r', started_ms: 1, label: 'x', detail: '{}' }]);
    expect(inner.rows('traffic')).toEqual(rows);
    expect(inner.rows('runs')).toHaveLength(1);
    expect(sink.totals()).toEqual([
      { node: 'a', channel: 'bus', direction: 'received', bytes: 7, messages: 0, rows: 1 },
      { node: 'a', channel: 'bus', direction: 'sent', bytes: 15, messages: 3, rows: 2 },
      { node: 'b', channel: 'client', direction: 'sent', bytes: 3, messages: 0, rows: 1 },
    ]);
  });

  it("proxy: the totals sink reports the inner sink's drops", () => {
    const sink = new TotalsSink(new MemorySink(1));
    sink.write('traffic', [row('a', 'bus', 'sent', 1), row('a', 'bus', 'sent', 2)]);
    expect(sink.dropped().traffic).toBe(1);
    expect(sink.totals()[0]!.bytes).toBe(3); // counted is counted, kept or not
  });
});
