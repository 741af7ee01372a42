import { randomBytes } from 'node:crypto';
import type { Counter } from 'prom-client';
import type { EventRow, RowSink } from '../telemetry/rows.js';
import { ControllerError } from './errors.js';
import { type EventState, isFinal, transition } from './event-state.js';

/** An event or one of its phases, as GET /events shows it. */
export interface EventView {
  id: string;
  parentId: string;
  kind: string;
  node: string;
  name: string;
  state: EventState;
  startMs: number;
  endMs: number;
  detail: Record<string, unknown>;
  error?: { code: string; message: string };
  phases: EventView[];
}

export interface EventLogOptions {
  runId: string;
  /** Where rows go (openSink); null keeps events in memory only. */
  sink: RowSink | null;
  log: (line: string) => void;
  /** kvnetlab_controller_events_total{kind,status}. */
  counter?: Counter<'kind' | 'status'>;
  /** Events kept for GET /events (oldest dropped first). */
  keep?: number;
}

/**
 * The controller's events: each is a row in `events` when it starts (end_ms 0, status
 * running) and again when it ends (ReplacingMergeTree(end_ms) keeps the last); its
 * phases are rows with parent_id = the event's id. Groups (named by master id) are
 * locked from accept to end, so two events never work on one group at once.
 */
export class EventLog {
  private readonly events: EventView[] = [];
  private readonly busy = new Map<string, string>();

  constructor(private readonly o: EventLogOptions) {}

  /** Validated request -> accepted event holding `groups`; CONFLICT if one is held. */
  accept(kind: string, node: string, detail: Record<string, unknown>, groups: string[]): Event {
    for (const g of groups) {
      const holder = this.busy.get(g);
      if (holder) throw new ControllerError('CONFLICT', `event ${holder} is still running on the group of master ${g.slice(0, 12)}`);
    }
    const id = `ev-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    for (const g of groups) this.busy.set(g, id);
    const view = newView(id, '', kind, node, kind, detail);
    this.events.push(view);
    if (this.events.length > (this.o.keep ?? 1000)) this.events.shift();
    return new Event(view, this, () => groups.forEach((g) => this.busy.delete(g)));
  }

  list(): EventView[] {
    return [...this.events].reverse();
  }

  get(id: string): EventView | undefined {
    return this.events.find((e) => e.id === id);
  }

  /** Internal: state change of an event or phase, with its row. */
  change(v: EventView, to: EventState, atMs = Date.now()): void {
    v.state = transition(v.state, to, `${v.parentId ? 'phase' : 'event'} ${v.id} ${v.name}`, this.o.log);
    if (to === 'running') v.startMs = atMs;
    if (isFinal(to)) v.endMs = Math.max(atMs, v.startMs + 1);
    if (to !== 'accepted') this.o.sink?.write('events', [toRow(this.o.runId, v)]);
    if (isFinal(to) && !v.parentId) this.o.counter?.inc({ kind: v.kind, status: to });
  }

  log(line: string): void {
    this.o.log(line);
  }
}

/** Handle the runner uses: run the body, time named phases, add detail. */
export class Event {
  private phaseCount = 0;
  constructor(readonly view: EventView, private readonly owner: EventLog, private readonly release: () => void) {}

  get id(): string {
    return this.view.id;
  }

  /** Runs the event body to its end state; never throws (the failure is in the view and the row). */
  async run(body: (ev: Event) => Promise<void>): Promise<void> {
    try {
      this.owner.change(this.view, 'running');
      await body(this);
      this.owner.change(this.view, 'ok');
    } catch (e) {
      this.view.error = describe(e);
      this.view.detail.error = this.view.error.message;
      this.owner.change(this.view, 'failed');
    } finally {
      this.release();
    }
  }

  /** A timed phase (`restart <port>`, `resync <port>`, `failover <port>`, `pause`): child row of this event. */
  async phase<T>(kind: string, node: string, label: string, fn: (detail: Record<string, unknown>) => Promise<T>): Promise<T> {
    const name = label ? `${kind} ${label}` : kind;
    const v = newView(`${this.view.id}.${++this.phaseCount}`, this.view.id, kind, node, name, {});
    this.view.phases.push(v);
    this.owner.change(v, 'running');
    try {
      const out = await fn(v.detail);
      this.owner.change(v, 'ok');
      return out;
    } catch (e) {
      v.error = describe(e);
      v.detail.error = v.error.message;
      this.owner.change(v, 'failed');
      throw e;
    }
  }

  /**
   * A phase whose times were measured elsewhere (a node's own timestamps: live patch
   * `apply`): child row with exactly those start and end times.
   */
  recordedPhase(kind: string, node: string, label: string, startMs: number, endMs: number, ok: boolean, detail: Record<string, unknown>): EventView {
    const v = newView(`${this.view.id}.${++this.phaseCount}`, this.view.id, kind, node, label ? `${kind} ${label}` : kind, detail);
    this.view.phases.push(v);
    this.owner.change(v, 'running', startMs);
    this.owner.change(v, ok ? 'ok' : 'failed', endMs);
    return v;
  }

  note(key: string, value: unknown): void {
    this.view.detail[key] = value;
  }

  log(line: string): void {
    this.owner.log(`${this.view.id} ${line}`);
  }
}

function newView(id: string, parentId: string, kind: string, node: string, name: string, detail: Record<string, unknown>): EventView {
  return { id, parentId, kind, node, name, state: 'accepted', startMs: 0, endMs: 0, detail, phases: [] };
}

function describe(e: unknown): { code: string; message: string } {
  if (e instanceof ControllerError) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

function toRow(runId: string, v: EventView): EventRow {
  const status = v.state === 'ok' || v.state === 'failed' ? v.state : 'running';
  return {
    run_id: runId, event_id: v.id, parent_id: v.parentId, kind: v.kind, node: v.node,
    start_ms: v.startMs, end_ms: v.endMs, status, detail: JSON.stringify({ name: v.name, ...v.detail }),
  };
}
