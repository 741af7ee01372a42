import Fastify, { type FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus `/metrics` for every long-running process (proxy, node, controller,
 * collector). Each process makes one registry, registers its own counters on it
 * (names in telemetry/METRICS.md, kept in one table) and serves it here.
 *
 * Labels stay low-cardinality (node, channel, direction, msg_type): never a client
 * address or a key.
 */
export function newRegistry(process: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process });
  collectDefaultMetrics({ register: registry, prefix: 'kvnetlab_' });
  return registry;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serve `GET /metrics` on host:port (port 0 picks a free one). */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  await app.listen({ host, port });
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return { port: bound, close: () => app.close() };
}

/** Add `GET /metrics` to a process's own fastify app (the collector serves it next to its API). */
export function addMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
