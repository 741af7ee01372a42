import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventView } from '../controller/event-log.js';
import { ScenarioError } from './errors.js';

export type { EventView };

/** POST /events body (controller/README.md; live-patch per the live patching contract). */
export interface EventBody {
  kind: 'live-patch' | 'cp-partial' | 'cp-full' | 'failover';
  method?: 'pull' | 'push';
  patch?: string;
  node?: string;
  pauseMs?: number;
}

/**
 * The controller's HTTP API as the runner uses it: the token from <dir>/controller.token
 * (mode 0600, written by the controller), POST an event, follow it until it ends.
 */
export class ControllerClient {
  constructor(readonly url: string, private readonly token: string) {}

  static fromDir(url: string, runDir: string): ControllerClient {
    return new ControllerClient(url, readFileSync(join(runDir, 'controller.token'), 'utf8').trim());
  }

  async submit(body: EventBody): Promise<EventView> {
    const res = await fetch(`${this.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { event?: EventView; error?: { code: string; message: string } };
    if (res.status !== 202 || !answer.event) {
      throw new ScenarioError('EVENT_FAILED', `controller refused ${body.kind}${body.method ? ` ${body.method}` : ''}: ${res.status} ${answer.error?.code ?? ''} ${answer.error?.message ?? ''}`.trim());
    }
    return answer.event;
  }

  async get(id: string): Promise<EventView> {
    const res = await fetch(`${this.url}/events/${id}`);
    if (res.status !== 200) throw new ScenarioError('EVENT_FAILED', `GET /events/${id}: ${res.status}`);
    return ((await res.json()) as { event: EventView }).event;
  }

  /** Polls every 100 ms until the event is ok or failed, at most `timeoutMs`. */
  async waitEnd(id: string, timeoutMs: number): Promise<EventView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ev = await this.get(id);
      if (ev.state === 'ok' || ev.state === 'failed') return ev;
      if (Date.now() > deadline) throw new ScenarioError('TIMEOUT', `event ${id} (${ev.kind}) still ${ev.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A node that is a replica now (roles move with failovers and rolling restarts). */
  async someReplica(): Promise<string> {
    const res = await fetch(`${this.url}/cluster`);
    const body = (await res.json()) as { nodes: Array<{ id: string; role: string; running: boolean }> };
    const r = body.nodes.find((n) => n.role === 'replica' && n.running);
    if (!r) throw new ScenarioError('UNAVAILABLE', 'no running replica to fail over (GET /cluster)');
    return r.id;
  }
}
