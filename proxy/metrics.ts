import { Counter, Gauge, type Registry } from 'prom-client';
import type { TrafficRow } from '../telemetry/rows.js';
import type { ListenerKind } from './names.js';
import type { ProxyMetricsHook } from './node-proxy.js';

/**
 * The proxy's Prometheus metrics (documented in proxy/README.md, one table). They are
 * fed from the rows the proxy flushes, so they agree with the store to the byte and
 * cost nothing per chunk. `node` is the label given at start (the node name from `up`,
 * else the public address), fixed for the process's life.
 */
export const PROXY_METRICS = {
  bytes: 'kvnetlab_proxy_bytes_total',
  busMessages: 'kvnetlab_proxy_bus_messages_total',
  connections: 'kvnetlab_proxy_connections',
  accepted: 'kvnetlab_proxy_connections_accepted_total',
} as const;

export function proxyMetrics(registry: Registry, node: string): ProxyMetricsHook {
  const bytes = new Counter({
    name: PROXY_METRICS.bytes,
    help: 'Bytes relayed, by channel and direction from the node (sent = written by the node)',
    labelNames: ['node', 'channel', 'direction'],
    registers: [registry],
  });
  const messages = new Counter({
    name: PROXY_METRICS.busMessages,
    help: 'Cluster bus messages relayed, by message type and direction from the node',
    labelNames: ['node', 'msg_type', 'direction'],
    registers: [registry],
  });
  const open = new Gauge({
    name: PROXY_METRICS.connections,
    help: 'Open proxied connections, by listener (client port or bus port)',
    labelNames: ['node', 'listener'],
    registers: [registry],
  });
  const accepted = new Counter({
    name: PROXY_METRICS.accepted,
    help: 'Connections accepted, by listener',
    labelNames: ['node', 'listener'],
    registers: [registry],
  });
  for (const listener of ['client', 'bus']) open.set({ node, listener }, 0);
  return {
    rows(rows: TrafficRow[]) {
      for (const r of rows) {
        if (r.bytes > 0) bytes.inc({ node, channel: r.channel, direction: r.direction }, r.bytes);
        if (r.messages > 0) messages.inc({ node, msg_type: r.msg_type, direction: r.direction }, r.messages);
      }
    },
    connections(kind: ListenerKind, delta: 1 | -1) {
      open.inc({ node, listener: kind }, delta);
      if (delta > 0) accepted.inc({ node, listener: kind });
    },
  };
}
