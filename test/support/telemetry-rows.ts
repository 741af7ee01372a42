import type { EventRow, OpsRow, RunRow, TrafficRow } from '../../telemetry/rows.js';
import { seeded } from './seeded-random.js';

/** One complete row per table (every field set: `Required` makes a missing field a type error). */
export const sampleRows = {
  runs: { run_id: 'run-sample', started_ms: 1_763_750_000_000, detail: '{"topology":"3P-1R"}', label: 'sample' } satisfies Required<RunRow>,
  traffic: {
    run_id: 'run-sample', ts_ms: 1_763_750_000_100, source: 'proxy', node: 'n1', peer: 'n2', channel: 'bus', direction: 'sent',
    msg_type: 'PING', bytes: 2568, messages: 1, wire_bytes: 0, retransmits: 0,
  } satisfies Required<TrafficRow>,
  events: {
    run_id: 'run-sample', event_id: 'e1', parent_id: '', kind: 'failover', node: 'n1', start_ms: 1_763_750_001_000, end_ms: 1_763_750_002_500,
    status: 'ok', detail: '{"force":false}',
  } satisfies Required<EventRow>,
  ops: {
    run_id: 'run-sample', ts_ms: 1_763_750_000_200, op: 'get', ops: 120, errors: 1, redirects: 2, hits: 100, misses: 20,
    p50_us: 150, p99_us: 900, p999_us: 2100, max_us: 4000,
  } satisfies Required<OpsRow>,
};

const channels = ['client', 'replication', 'bus'] as const;
const busTypes = ['PING', 'PONG', 'MEET', 'FAIL', 'UPDATE'];

/** Deterministic traffic rows: `n` rows over `seconds` seconds from `t0`, varied keys and sizes. */
export function trafficRows(runId: string, n: number, seed = 1, t0 = 1_763_750_000_000, seconds = 10): TrafficRow[] {
  const rnd = seeded(seed);
  const rows: TrafficRow[] = [];
  for (let i = 0; i < n; i++) {
    const channel = channels[Math.floor(rnd() * channels.length)]!;
    rows.push({
      run_id: runId,
      ts_ms: t0 + Math.floor(rnd() * seconds * 10) * 100,
      source: rnd() < 0.8 ? 'proxy' : 'capture',
      node: `n${1 + Math.floor(rnd() * 6)}`,
      peer: `n${1 + Math.floor(rnd() * 6)}`,
      channel,
      direction: rnd() < 0.5 ? 'sent' : 'received',
      msg_type: channel === 'bus' ? busTypes[Math.floor(rnd() * busTypes.length)]! : '',
      bytes: Math.floor(rnd() * 100_000),
      messages: Math.floor(rnd() * 40),
      wire_bytes: Math.floor(rnd() * 120_000),
      retransmits: Math.floor(rnd() * 3),
    });
  }
  return rows;
}

export function sumOf<T>(rows: T[], f: (r: T) => number): number {
  return rows.reduce((s, r) => s + f(r), 0);
}
