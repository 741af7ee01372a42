import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { decodeBundle } from '../cluster/patch/bundle.js';
import { livePatch } from './live-patch.js';
import { callText } from '../cluster/launcher/admin.js';
import { type ClusterFile, type NodeEntry, findNode, groupOf, groups, liveView, readCluster } from './cluster.js';
import { ControllerError } from './errors.js';
import type { Event, EventLog, EventView } from './event-log.js';
import { killNode, shutdownNode, snapshotPath, startNode } from './node-process.js';
import { failover, info, myself, waitDemoted, waitSynced, within } from './node-roles.js';
import { type Group, rollingRestart } from './rolling-restart.js';
import { type MigrateRequestFields, acceptMigrate } from '../migration/controller-event.js';

/** Event kinds the API accepts. */
export const EVENT_KINDS = ['cp-partial', 'cp-full', 'failover', 'snapshot', 'kill', 'restart', 'live-patch', 'migrate'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface EventRequest extends MigrateRequestFields {
  kind: EventKind;
  node?: string;
  group?: string;
  force?: boolean;
  takeover?: boolean;
  /** Pause between groups of a rolling restart (default RunnerOptions.pauseMs). */
  pauseMs?: number;
  /** live-patch: how the patch spreads over the bus. */
  method?: 'pull' | 'push';
  /** live-patch: absolute path of a signed bundle (cluster/patch/README.md). */
  patch?: string;
}

export interface RunnerOptions {
  runDir: string;
  /** Bound of every single wait (a node to start, to sync, to change role). */
  timeoutMs: number;
  /** Default pause between groups (the paper's 20 s, scaled with `--pause`). */
  pauseMs: number;
  backlogBytes: number;
  failoverTries: number;
  failoverTryMs: number;
}

/** What the routes need from the controller (narrow: fakes in route tests). */
export interface EventService {
  submit(req: EventRequest): Promise<EventView>;
  list(): EventView[];
  get(id: string): EventView | undefined;
}

/**
 * Validates an event request against the running cluster, locks the groups it touches
 * (CONFLICT if one is busy), answers at once with the accepted event and runs it in the
 * background; GET /events/:id follows it.
 */
export class Runner implements EventService {
  /** Resolves when the last started event ends (tests and shutdown wait on it). */
  idle: Promise<void> = Promise.resolve();

  constructor(private readonly events: EventLog, private readonly o: RunnerOptions) {}

  list(): EventView[] {
    return this.events.list();
  }

  get(id: string): EventView | undefined {
    return this.events.get(id);
  }

  async submit(req: EventRequest): Promise<EventView> {
    if (req.kind === 'live-patch') return this.livePatch(req);
    const file = readCluster(this.o.runDir);
    const view = await liveView(file);
    let ev: Event;
    let body: (ev: Event) => Promise<void>;
    if (req.kind === 'migrate') {
      ({ ev, body } = acceptMigrate(this.events, file, view?.lines, req, this.o.timeoutMs));
    } else if (req.kind === 'cp-partial' || req.kind === 'cp-full') {
      if (!view) throw new ControllerError('NODE_UNREACHABLE', 'no node of the cluster answers CLUSTER NODES');
      const all = groups(view.lines);
      let chosen = [...all.keys()];
      if (req.group) {
        const g = groupOf(view.lines, findNode(file, req.group).id);
        if (!all.has(g)) throw new ControllerError('BAD_STATE', `node ${req.group} is in no master-replica group serving slots`);
        chosen = [g];
      }
      const plan: Group[] = chosen.map((m) => ({ master: byId(file, m), replicas: all.get(m)!.map((r) => byId(file, r)) }));
      plan.sort((a, b) => a.master.port - b.master.port);
      const pauseMs = req.pauseMs ?? this.o.pauseMs;
      ev = this.events.accept(req.kind, '', { group: req.group ?? 'all', pause_ms: pauseMs }, chosen);
      body = (e) => rollingRestart(e, this.o.runDir, file, plan, { ...this.o, full: req.kind === 'cp-full', pauseMs });
    } else {
      if (!req.node) throw new ControllerError('BAD_PARAMS', `${req.kind} needs a node`);
      const n = findNode(file, req.node);
      ev = this.events.accept(req.kind, n.id, { port: n.port, ...(req.force ? { force: true } : {}), ...(req.takeover ? { takeover: true } : {}) }, [groupOf(view?.lines, n.id)]);
      body = (e) => this.single(e, req, file, n);
    }
    const done = ev.run(body);
    this.idle = Promise.all([this.idle, done]).then(() => undefined);
    return ev.view;
  }

  /**
   * live-patch: validated before it is accepted (method, a readable bundle, a kvnetlab
   * cluster); holds no group, since nothing restarts (controller/live-patch.ts).
   */
  private livePatch(req: EventRequest): EventView {
    if (req.method !== 'pull' && req.method !== 'push') throw new ControllerError('BAD_PARAMS', 'live-patch needs method pull or push');
    if (!req.patch || !isAbsolute(req.patch)) throw new ControllerError('BAD_PARAMS', 'live-patch needs patch, the absolute path of a bundle file');
    let bundle: Buffer;
    try {
      bundle = readFileSync(req.patch);
    } catch (e) {
      throw new ControllerError('BAD_PARAMS', `patch file ${req.patch}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let manifest;
    try {
      manifest = decodeBundle(bundle).manifest;
    } catch (e) {
      throw new ControllerError('BAD_PARAMS', `patch file ${req.patch} is not a patch bundle: ${(e as Error).message}`);
    }
    const file = readCluster(this.o.runDir);
    if (file.kind !== 'kvnetlab') throw new ControllerError('BAD_STATE', 'live-patch needs kvnetlab nodes (this cluster runs redis-server)');
    const origin = req.node ? findNode(file, req.node) : file.nodes[0];
    if (!origin) throw new ControllerError('NO_CLUSTER', 'the cluster state file lists no node');
    const plan = { method: req.method, bundle, id: manifest.id, version: manifest.version, origin };
    const ev = this.events.accept('live-patch', origin.id, { method: req.method, patch_id: manifest.id, version: manifest.version, bytes: bundle.length, patch: req.patch }, []);
    const done = ev.run((e) => livePatch(e, file, plan, this.o.timeoutMs));
    this.idle = Promise.all([this.idle, done]).then(() => undefined);
    return ev.view;
  }

  private async single(ev: Event, req: EventRequest, file: ClusterFile, n: NodeEntry): Promise<void> {
    const t = this.o.timeoutMs;
    switch (req.kind) {
      case 'failover': {
        const mode = req.takeover ? 'takeover' : req.force ? 'force' : 'default';
        const out = await failover(file, n, mode, { tries: this.o.failoverTries, tryMs: this.o.failoverTryMs, log: (l) => ev.log(l) });
        Object.assign(ev.view.detail, { mode: out.mode, attempts: out.attempts, ...(out.misses.length ? { misses: out.misses } : {}) });
        const old = file.nodes.find((x) => x.id === out.oldMaster);
        // A dead old master cannot be demoted now; it learns when it comes back.
        if (old && (await myself(file, old).then(() => true, () => false))) await waitDemoted(file, old, n, t);
        return;
      }
      case 'snapshot': {
        const started = Date.now();
        await callText(file.host, n.adminPort, ['SAVE']).catch((e: Error) => {
          throw new ControllerError('NODE_UNREACHABLE', `SAVE on node ${n.port}: ${e.message}`);
        });
        const path = await snapshotPath(file, n);
        Object.assign(ev.view.detail, { save_ms: Date.now() - started, bytes: statSync(path).size, file: path });
        return;
      }
      case 'kill':
        ev.note('outcome', await killNode(this.o.runDir, file, n, t));
        return;
      case 'restart': {
        await ev.phase('restart', n.id, String(n.port), async (d) => {
          await shutdownNode(this.o.runDir, file, n, true, t);
          d.pid = await startNode(this.o.runDir, file, n, t);
        });
        // A restarted node first rejoins (an old master learns it was replaced), then a replica resyncs.
        await within(`node ${n.port} to report cluster_state:ok`, t, async () => (await info(file, n, 'replication')) !== undefined && (await callText(file.host, n.adminPort, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
        const repl = await info(file, n, 'replication');
        if (repl.role === 'slave') {
          const master = file.nodes.find((x) => x.port === Number(repl.master_port));
          if (master) await ev.phase('resync', n.id, String(n.port), async (d) => Object.assign(d, await waitSynced(file, n, master, t)));
        }
        ev.note('role', repl.role === 'slave' ? 'replica' : 'master');
        return;
      }
    }
  }
}

function byId(file: ClusterFile, id: string): NodeEntry {
  const n = file.nodes.find((x) => x.id === id);
  if (!n) throw new ControllerError('UNKNOWN_NODE', `node ${id} is in CLUSTER NODES but not in the state file`);
  return n;
}
