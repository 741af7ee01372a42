import { describe, expect, it } from 'vitest';
import { newRegistry, serveMetrics } from '../telemetry/metrics.js';
import type { TrafficRow } from '../telemetry/rows.js';
import { PROXY_METRICS, proxyMetrics } from './metrics.js';

const row = (over: Partial<TrafficRow>): TrafficRow => ({
  run_id: 'r', ts_ms: 0, source: 'proxy', node: 'n', peer: 'p', channel: 'bus', direction: 'sent', msg_type: 'PING',
  bytes: 0, messages: 0, wire_bytes: 0, retransmits: 0, ...over,
});

describe('proxy metrics', () => {
  it('proxy: /metrics serves bytes per channel and direction, bus messages per type, open connections', async () => {
    const registry = newRegistry('proxy');
    const m = proxyMetrics(registry, 'node-a');
    m.connections('bus', 1);
    m.connections('client', 1);
    m.connections('client', -1);
    m.rows([
      row({ bytes: 2568, messages: 1 }),
      row({ bytes: 2568, messages: 1, msg_type: 'PONG', direction: 'received' }),
      row({ channel: 'client', msg_type: '', bytes: 100 }),
      row({ channel: 'client', msg_type: '', bytes: 23 }),
    ]);
    const server = await serveMetrics(registry, '127.0.0.1', 0);
    try {
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      expect(text).toContain(`${PROXY_METRICS.bytes}{node="node-a",channel="bus",direction="sent",process="proxy"} 2568`);
      expect(text).toContain(`${PROXY_METRICS.bytes}{node="node-a",channel="client",direction="sent",process="proxy"} 123`);
      expect(text).toContain(`${PROXY_METRICS.busMessages}{node="node-a",msg_type="PONG",direction="received",process="proxy"} 1`);
      expect(text).toContain(`${PROXY_METRICS.connections}{node="node-a",listener="bus",process="proxy"} 1`);
      expect(text).toContain(`${PROXY_METRICS.connections}{node="node-a",listener="client",process="proxy"} 0`);
      expect(text).toContain(`${PROXY_METRICS.accepted}{node="node-a",listener="client",process="proxy"} 1`);
    } finally {
      await server.close();
    }
  });
});
