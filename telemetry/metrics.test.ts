import { describe, expect, it } from 'vitest';
import { Counter } from 'prom-client';
import { newRegistry, serveMetrics } from './metrics.js';

describe('metrics', () => {
  it('metrics: serves a registered counter in the Prometheus text format', async () => {
    const registry = newRegistry('test');
    const c = new Counter({ name: 'kvnetlab_test_total', help: 'a test counter', labelNames: ['node'], registers: [registry] });
    c.inc({ node: 'n1' }, 3);
    const server = await serveMetrics(registry, '127.0.0.1', 0);
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toContain('kvnetlab_test_total{node="n1",process="test"} 3');
      expect(text).toContain('kvnetlab_process_cpu_seconds_total');
    } finally {
      await server.close();
    }
  });
});
