import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { StoreError } from './errors.js';
import { ChdbStore } from './chdb-store.js';
import { BATCH_ID_HEADER } from './collector-store.js';
import { addMetricsRoute, newRegistry } from './metrics.js';
import { isTableName } from './schema.js';
import { collectorMetrics } from './store-metrics.js';
import { countLines, encodeBatch, type Store } from './store.js';

/**
 * The collector: the one process that owns the chDB data directory, and the HTTP door
 * for everyone else (proxies, loadgen, controller, `kvnetlab sql`).
 *
 *   POST /rows/:table   body JSONEachRow (application/x-ndjson) or a JSON array of rows;
 *                       header x-kvnetlab-batch-id = the insert_deduplication_token.
 *                       200 {rows} stored | 400 rejected (do not retry) | 404 no such
 *                       table | 503 store busy or closing (retry with the same id)
 *   POST /query?format=F  body = SQL (text/plain, or JSON {sql, format}); 200 the engine's
 *                       output in format F (default TabSeparated) | 400 {error, clickhouseCode}
 *   GET  /metrics       Prometheus (telemetry/store-metrics.ts)
 *   GET  /health        {ok, dir, pid}
 *
 * Each POST /rows is one chDB insert with its own token (never merged with another
 * writer's), so deduplication works batch by batch.
 */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

export function buildCollectorApp(store: Store, registry: Registry): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES });
  const m = collectorMetrics(registry);
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const fail = (reply: FastifyReply, e: unknown) => {
    const err = e instanceof StoreError ? e : new StoreError('STORE_UNAVAILABLE', String(e));
    const status = err.code === 'STORE_BAD_TABLE' ? 404 : err.transient || err.code === 'STORE_CLOSED' ? 503 : 400;
    return reply.code(status).send({ error: err.message, code: err.code, clickhouseCode: err.clickhouseCode });
  };

  app.post<{ Params: { table: string } }>('/rows/:table', async (req, reply) => {
    const { table } = req.params;
    if (!isTableName(table)) return fail(reply, new StoreError('STORE_BAD_TABLE', `no table '${table}': rows go to runs, traffic, events or ops`));
    const token = String(req.headers[BATCH_ID_HEADER] ?? randomUUID());
    let batch;
    if (Buffer.isBuffer(req.body)) batch = { token, rows: countLines(req.body), body: req.body };
    else if (Array.isArray(req.body)) batch = encodeBatch(token, req.body);
    else return fail(reply, new StoreError('STORE_REJECTED', 'body must be JSONEachRow (application/x-ndjson) or a JSON array of rows'));
    const end = m.insertSeconds.startTimer({ table });
    try {
      await store.insert(table, batch);
    } catch (e) {
      m.batches.inc({ table, outcome: e instanceof StoreError && !e.transient ? 'rejected' : 'unavailable' });
      return fail(reply, e);
    }
    end();
    m.rows.inc({ table }, batch.rows);
    m.batches.inc({ table, outcome: 'ok' });
    return { rows: batch.rows };
  });

  app.post<{ Querystring: { format?: string } }>('/query', async (req, reply) => {
    const body = req.body as string | { sql?: string; format?: string } | undefined;
    const sql = typeof body === 'string' ? body : body?.sql;
    const format = req.query.format ?? (typeof body === 'object' ? body?.format : undefined) ?? 'TabSeparated';
    if (!sql?.trim()) return fail(reply, new StoreError('STORE_REJECTED', 'no SQL in the request body'));
    try {
      const out = await store.query(sql, format);
      m.queries.inc({ outcome: 'ok' });
      return reply.type('text/plain; charset=utf-8').send(out);
    } catch (e) {
      m.queries.inc({ outcome: 'error' });
      return fail(reply, e);
    }
  });

  app.get('/health', async () => ({ ok: true, dir: store.location, pid: process.pid }));
  addMetricsRoute(app, registry);
  return app;
}

export interface CollectorOptions {
  dir: string;
  host: string;
  port: number;
  log?: (line: string) => void;
}

export interface RunningCollector {
  url: string;
  close(): Promise<void>;
}

/** Open chDB on `dir` (refused if another process owns it), then listen. */
export async function startCollector(o: CollectorOptions): Promise<RunningCollector> {
  const store = await ChdbStore.open(o.dir, 'collector');
  const app = buildCollectorApp(store, newRegistry('collector'));
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await store.close();
    throw e;
  }
  const addr = app.server.address();
  const url = `http://${o.host}:${typeof addr === 'object' && addr ? addr.port : o.port}`;
  store.owner.setUrl(url);
  o.log?.(`collector listening on ${url} (chDB ${o.dir}, pid ${process.pid})`);
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        await app.close(); // finishes in-flight requests first
        await store.close();
      })()),
  };
}
