import type { FastifyPluginAsync } from 'fastify';
import { requireToken } from '../auth.js';
import { ControllerError } from '../errors.js';
import { EVENT_KINDS, type EventRequest, type EventService } from '../runner.js';

/**
 * /events: POST starts an event (token required), GET lists them, GET /events/:id
 * follows one with its phases. A node is an id, an id prefix or a client port.
 */
const NODE_REF = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9a-zA-Z]+$' } as const;
const NEEDS_NODE = ['failover', 'snapshot', 'kill', 'restart'];

export const postEventSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['kind'],
    properties: {
      kind: { type: 'string', enum: [...EVENT_KINDS] },
      node: NODE_REF,
      group: NODE_REF,
      force: { type: 'boolean' },
      takeover: { type: 'boolean' },
      pauseMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
      method: { type: 'string', enum: ['pull', 'push'] },
      patch: { type: 'string', minLength: 1, maxLength: 4096 },
      // migrate (migration/controller-event.ts)
      from: NODE_REF,
      to: NODE_REF,
      slots: { type: 'string', pattern: '^[0-9]{1,5}(-[0-9]{1,5})?$' },
      protocol: { type: 'string', enum: ['redis', 'source', 'rocksteady', 'fulva', 'proxy'] },
      batchKeys: { type: 'integer', minimum: 1, maximum: 100_000 },
    },
    allOf: [
      { if: { properties: { kind: { const: 'live-patch' } } }, then: { required: ['method', 'patch'] } },
      { if: { properties: { kind: { enum: NEEDS_NODE } } }, then: { required: ['node'] } },
      { if: { properties: { kind: { const: 'migrate' } } }, then: { required: ['from', 'to', 'slots'] } },
      { if: { required: ['force', 'takeover'], properties: { force: { const: true }, takeover: { const: true } } }, then: false },
    ],
  },
} as const;

export interface EventsPluginOptions {
  service: EventService;
  token: string;
}

export const eventsPlugin: FastifyPluginAsync<EventsPluginOptions> = async (app, o) => {
  app.post('/events', { schema: postEventSchema, onRequest: requireToken(o.token) }, async (req, reply) => {
    const body = req.body as EventRequest;
    const view = await o.service.submit(body);
    return reply.code(202).send({ event: view });
  });

  app.get('/events', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } } } },
  }, async (req) => {
    const { limit } = req.query as { limit?: number };
    return { events: o.service.list().slice(0, limit ?? 100) };
  });

  app.get('/events/:id', {
    schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^ev-[0-9a-z-]+$' } } } },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const view = o.service.get(id);
    if (!view) throw new ControllerError('UNKNOWN_EVENT', `no event ${id}`);
    return { event: view };
  });
};
