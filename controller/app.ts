import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { addMetricsRoute, newRegistry } from '../telemetry/metrics.js';
import { ControllerError, errorBody } from './errors.js';
import { clusterPlugin } from './routes/cluster.js';
import { eventsPlugin } from './routes/events.js';
import type { EventService } from './runner.js';

/** The controller's metrics (documented in controller/README.md). */
export function controllerMetrics(registry: Registry = newRegistry('controller')) {
  const events = new Counter({
    name: 'kvnetlab_controller_events_total',
    help: 'Events the controller ran to an end, by kind and final status (ok, failed)',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
  });
  return { registry, events };
}

export interface AppOptions {
  service: EventService;
  token: string;
  runDir: string;
  registry: Registry;
}

/**
 * The controller's HTTP API: one fastify plugin per resource (events, cluster), plus
 * /metrics and /health. Every error leaves as `{ error: { code, message } }` with the
 * code's HTTP status (controller/errors.ts).
 */
export function buildApp(o: AppOptions): FastifyInstance {
  const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } } });
  app.setErrorHandler((e: FastifyError | ControllerError, _req, reply) => {
    if (e instanceof ControllerError) return reply.code(e.status).send(errorBody(e.code, e.message));
    const f = e as FastifyError;
    if (f.validation || (f.statusCode !== undefined && f.statusCode >= 400 && f.statusCode < 500)) {
      return reply.code(400).send(errorBody('BAD_PARAMS', f.message));
    }
    return reply.code(500).send(errorBody('INTERNAL', f.message));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url}`)));
  app.get('/health', async () => ({ ok: true }));
  addMetricsRoute(app, o.registry);
  app.register(eventsPlugin, { service: o.service, token: o.token });
  app.register(clusterPlugin, { runDir: o.runDir });
  return app;
}
