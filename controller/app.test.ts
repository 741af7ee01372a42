import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { EventRow, RowSink, RowsByTable, TableName } from '../telemetry/rows.js';
import { buildApp, controllerMetrics } from './app.js';
import { readTokenFile } from './auth.js';
import { EventLog } from './event-log.js';
import { Runner, type EventService } from './runner.js';
import { startController } from './start.js';
import { generateKeyPairSync } from 'node:crypto';
import { makeSyntheticPatch } from '../cluster/patch/synth.js';

/** Rows kept in memory, as a store would receive them. */
class MemorySink implements RowSink {
  readonly events: EventRow[] = [];
  write<T extends TableName>(table: T, rows: RowsByTable[T][]): void {
    if (table === 'events') this.events.push(...(rows as EventRow[]));
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  dropped() {
    return { runs: 0, traffic: 0, events: 0, ops: 0 };
  }
}

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const ID_A = 'a'.repeat(40);
const ID_B = 'b'.repeat(40);

/** A state file naming two nodes on ports nothing listens on, with PIDs that are not running. */
function writeStateFile(dir: string): void {
  const node = (id: string, port: number) => ({ id, role: 'master', port, busPort: port + 10000, pid: 999_999_9, dir: join(dir, `node-${port}`), cmdlineMark: `--port ${port}` });
  const state = { kind: 'kvnetlab', startedAt: new Date().toISOString(), host: '127.0.0.1', nodes: [node(ID_A, 22798), node(ID_B, 22799), { kind: 'proxy', name: 'p1', listen: 1 }] };
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(state));
}

describe('controller API (fastify inject)', () => {
  let dir: string;
  let app: FastifyInstance;
  let sink: MemorySink;
  let runner: Runner;
  const dirs: string[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvnl-controller-'));
    dirs.push(dir);
    writeStateFile(dir);
    sink = new MemorySink();
    const metrics = controllerMetrics();
    const log = new EventLog({ runId: 'run-t', sink, log: () => {}, counter: metrics.events });
    runner = new Runner(log, { runDir: dir, timeoutMs: 2000, pauseMs: 0, backlogBytes: 1 << 20, failoverTries: 1, failoverTryMs: 200 });
    app = buildApp({ service: runner, token: TOKEN, runDir: dir, registry: metrics.registry });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await runner.idle;
  });
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('controller: POST /events without a token, with a malformed header or a wrong token is 401 UNAUTHORIZED', async () => {
    for (const headers of [{}, { authorization: TOKEN }, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }]) {
      const r = await app.inject({ method: 'POST', url: '/events', headers, payload: { kind: 'kill', node: '22798' } });
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe('UNAUTHORIZED');
    }
    // The token is checked before the body: a bad body without a token is still 401.
    const r = await app.inject({ method: 'POST', url: '/events', payload: { kind: 'nope' } });
    expect(r.statusCode).toBe(401);
  });

  it('controller: bad event parameters are 400 BAD_PARAMS with the reason', async () => {
    const bad: unknown[] = [
      { kind: 'reboot', node: '22798' },
      { node: '22798' },
      { kind: 'failover' },
      { kind: 'kill', node: '' },
      { kind: 'kill', node: '22798; rm' },
      { kind: 'kill', node: '22798', extra: 1 },
      { kind: 'cp-partial', pauseMs: -1 },
      { kind: 'cp-partial', pauseMs: 'soon' },
      { kind: 'failover', node: '22798', force: true, takeover: true },
    ];
    for (const payload of bad) {
      const r = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: payload as object });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.code).toBe('BAD_PARAMS');
      expect(r.json().error.message).not.toBe('');
    }
    const notJson = await app.inject({ method: 'POST', url: '/events', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"kind":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('BAD_PARAMS');
  });

  it('controller: live-patch without a token is 401, with a bad method or no patch 400 BAD_PARAMS', async () => {
    const bundle = join(dir, 'p.kvpb');
    writeFileSync(bundle, makeSyntheticPatch({ size: 1000, version: 1, target: 'v1', privateKey: generateKeyPairSync('ed25519').privateKey }));
    const noToken = await app.inject({ method: 'POST', url: '/events', payload: { kind: 'live-patch', method: 'push', patch: bundle } });
    expect(noToken.statusCode).toBe(401);
    const bad: unknown[] = [
      { kind: 'live-patch' },
      { kind: 'live-patch', method: 'push' },
      { kind: 'live-patch', patch: bundle },
      { kind: 'live-patch', method: 'broadcast', patch: bundle },
      { kind: 'live-patch', method: 'pull', patch: '' },
      { kind: 'live-patch', method: 'pull', patch: 'relative/p.kvpb' },
      { kind: 'live-patch', method: 'pull', patch: join(dir, 'missing.kvpb') },
      { kind: 'live-patch', method: 'pull', patch: join(dir, 'cluster.json') },
    ];
    for (const payload of bad) {
      const r = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: payload as object });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.code).toBe('BAD_PARAMS');
    }
    const missing = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'live-patch', method: 'pull', patch: join(dir, 'missing.kvpb') } });
    expect(missing.json().error.message).toMatch(/ENOENT/);
    const unknownNode = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'live-patch', method: 'pull', patch: bundle, node: '22700' } });
    expect(unknownNode.statusCode).toBe(404);
  });

  it('controller: an accepted live-patch whose node does not answer ends failed with its rows', async () => {
    const bundle = join(dir, 'p.kvpb');
    writeFileSync(bundle, makeSyntheticPatch({ size: 1000, version: 1, target: 'v1', privateKey: generateKeyPairSync('ed25519').privateKey }));
    const r = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'live-patch', method: 'push', patch: bundle } });
    expect(r.statusCode).toBe(202);
    expect(r.json().event).toMatchObject({ kind: 'live-patch', node: ID_A, detail: { method: 'push', patch_id: 'synthetic-v1', version: 1, bytes: 1000 } });
    await runner.idle;
    const ev = (await app.inject({ method: 'GET', url: `/events/${r.json().event.id}` })).json().event;
    expect(ev.state).toBe('failed');
    expect(ev.error.code).toBe('NODE_UNREACHABLE');
    expect(sink.events.filter((e) => e.kind === 'live-patch').map((e) => e.status)).toEqual(['running', 'failed']);
  });

  it('controller: a node not in the state file is 404 UNKNOWN_NODE; no state file is 503 NO_CLUSTER', async () => {
    const r = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'snapshot', node: '22700' } });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('UNKNOWN_NODE');
    rmSync(join(dir, 'cluster.json'));
    const none = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'snapshot', node: '22798' } });
    expect(none.statusCode).toBe(503);
    expect(none.json().error.code).toBe('NO_CLUSTER');
    const cluster = await app.inject({ method: 'GET', url: '/cluster' });
    expect(cluster.statusCode).toBe(503);
    expect(cluster.json().error.code).toBe('NO_CLUSTER');
  });

  it('controller: an event is accepted (202), followed to its end, and written as a start and an end row', async () => {
    // The node's PID is not running: kill has nothing to do and ends ok with outcome "gone".
    const r = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'kill', node: 'aaaa' } });
    expect(r.statusCode).toBe(202);
    const id = r.json().event.id as string;
    expect(r.json().event.node).toBe(ID_A);
    await runner.idle;
    const got = await app.inject({ method: 'GET', url: `/events/${id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json().event).toMatchObject({ id, kind: 'kill', state: 'ok', detail: { outcome: 'gone', port: 22798 } });
    const rows = sink.events.filter((e) => e.event_id === id);
    expect(rows.map((e) => e.status)).toEqual(['running', 'ok']);
    expect(rows[0]!.end_ms).toBe(0);
    expect(rows[1]!.end_ms).toBeGreaterThan(rows[1]!.start_ms);
    expect(rows.every((e) => e.run_id === 'run-t' && e.parent_id === '')).toBe(true);
    const list = await app.inject({ method: 'GET', url: '/events?limit=5' });
    expect(list.json().events.map((e: { id: string }) => e.id)).toContain(id);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/kvnetlab_controller_events_total\{kind="kill",status="ok"[^}]*\} 1/);
  });

  it('controller: an unreachable node fails the event with NODE_UNREACHABLE, its restart phase is a failed child row', async () => {
    const snap = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'snapshot', node: '22799' } });
    expect(snap.statusCode).toBe(202);
    await runner.idle;
    const ev = (await app.inject({ method: 'GET', url: `/events/${snap.json().event.id}` })).json().event;
    expect(ev.state).toBe('failed');
    expect(ev.error.code).toBe('NODE_UNREACHABLE');
    // restart of a node whose command line was never captured: the phase fails, as a child row.
    const rs = await app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'restart', node: '22799' } });
    await runner.idle;
    const rev = (await app.inject({ method: 'GET', url: `/events/${rs.json().event.id}` })).json().event;
    expect(rev.state).toBe('failed');
    expect(rev.phases[0]).toMatchObject({ kind: 'restart', name: 'restart 22799', state: 'failed' });
    const child = sink.events.filter((e) => e.parent_id === rev.id);
    expect(child.map((e) => e.status)).toEqual(['running', 'failed']);
  });

  it('controller: GET /events/:id of an unknown event is 404 UNKNOWN_EVENT, a malformed id 400, an unknown route 404', async () => {
    expect((await app.inject({ method: 'GET', url: '/events/ev-nope' })).json().error.code).toBe('UNKNOWN_EVENT');
    const bad = await app.inject({ method: 'GET', url: '/events/..%2Fetc' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_PARAMS');
    expect((await app.inject({ method: 'GET', url: '/events?limit=0' })).json().error.code).toBe('BAD_PARAMS');
    const none = await app.inject({ method: 'DELETE', url: '/cluster' });
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('NOT_FOUND');
  });

  it('controller: GET /cluster lists the state file nodes (proxy entries skipped), unreachable ones as such', async () => {
    const r = await app.inject({ method: 'GET', url: '/cluster' });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.kind).toBe('kvnetlab');
    expect(body.seen_from).toBeNull();
    expect(body.nodes.map((n: { port: number }) => n.port)).toEqual([22798, 22799]);
    expect(body.nodes.every((n: { cluster_state: string; running: boolean }) => n.cluster_state === 'unreachable' && !n.running)).toBe(true);
  });
});

describe('controller API: groups', () => {
  it('controller: a second event on a group that is busy is 409 CONFLICT, and accepted again once it ends', async () => {
    const log = new EventLog({ runId: 'run-c', sink: null, log: () => {} });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // The real EventLog's group locks; the event body waits on a gate instead of a node.
    const service: EventService = {
      submit: async (req) => {
        const ev = log.accept(req.kind, req.node ?? '', {}, [req.node ?? 'all']);
        void ev.run(() => gate);
        return ev.view;
      },
      list: () => log.list(),
      get: (id) => log.get(id),
    };
    const app = buildApp({ service, token: TOKEN, runDir: '/nonexistent', registry: controllerMetrics().registry });
    const post = () => app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'restart', node: '22798' } });
    expect((await post()).statusCode).toBe(202);
    const second = await post();
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('CONFLICT');
    expect((await app.inject({ method: 'POST', url: '/events', headers: auth, payload: { kind: 'restart', node: '22799' } })).statusCode).toBe(202);
    open();
    await gate;
    await new Promise((r) => setImmediate(r));
    expect((await post()).statusCode).toBe(202);
    await app.close();
  });
});

describe('startController', () => {
  it('controller: listens on 127.0.0.1 and writes its token (mode 0600) and URL to the run directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvnl-controller-start-'));
    const c = await startController({ runDir: dir, port: 0, runId: 'run-s', sink: null, log: () => {} });
    try {
      expect(c.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(c.token).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(c.tokenFile).mode & 0o777).toBe(0o600);
      expect(readTokenFile(dir)).toBe(c.token);
      const res = await fetch(`${c.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"kill","node":"1"}' });
      expect(res.status).toBe(401);
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
