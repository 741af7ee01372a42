import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrafficRow } from './rows.js';
import { JsonLinesSink, MemorySink } from './local-sinks.js';

const row = (bytes: number): TrafficRow => ({
  run_id: 'r', ts_ms: 100, source: 'proxy', node: 'n', peer: 'p', channel: 'client', direction: 'sent', msg_type: '',
  bytes, messages: 0, wire_bytes: 0, retransmits: 0,
});

describe('proxy row sinks', () => {
  it('proxy: the memory sink keeps rows up to its cap and counts the rest as dropped', async () => {
    const sink = new MemorySink(3);
    sink.write('traffic', [row(1), row(2)]);
    sink.write('traffic', [row(3), row(4), row(5)]);
    await sink.flush();
    expect(sink.rows('traffic').map((r) => r.bytes)).toEqual([1, 2, 3]);
    expect(sink.dropped()).toEqual({ runs: 0, traffic: 2, events: 0, ops: 0 });
    expect(sink.take('traffic')).toHaveLength(3);
    sink.write('traffic', [row(6)]);
    expect(sink.rows('traffic').map((r) => r.bytes)).toEqual([6]);
  });

  it('proxy: the JSON-lines sink appends one row per line and flush() waits until they are in the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-sink-'));
    try {
      const sink = new JsonLinesSink(join(dir, 'traffic.jsonl'));
      sink.write('traffic', [row(7), row(8)]);
      await sink.flush();
      const lines = readFileSync(join(dir, 'traffic.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toEqual([{ table: 'traffic', ...row(7) }, { table: 'traffic', ...row(8) }]);
      await sink.close();
      expect(sink.dropped().traffic).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
