import { call, fields, callText, sleep } from '../cluster/launcher/admin.js';
import type { Reply } from '../cluster/resp/reply.js';
import type { ClusterFile, NodeEntry } from './cluster.js';
import { ControllerError } from './errors.js';
import type { Event } from './event-log.js';

/**
 * The live-patch event (cluster/patch/README.md): PATCH LOAD on one node, then follow
 * every node's own timestamps (INFO patches, line patch_v<N>) until each applied or
 * refused the version. One `apply` phase per node with the node's times:
 *   start = registered (the loading node) or received (the others), end = applied.
 * Update lag = last applied - first registered (the paper's definition).
 */
export interface LivePatchPlan {
  method: 'pull' | 'push';
  bundle: Buffer;
  id: string;
  version: number;
  /** The node PATCH LOAD goes to. */
  origin: NodeEntry;
}

export interface NodePatchRecord {
  state: string;
  registered_ms: number;
  received_ms: number;
  applied_ms: number;
  refusal: string;
}

/** patch_v<N>:id=…,state=…,… of INFO patches, or undefined before the node knows the version. */
export function parsePatchLine(info: Record<string, string>, version: number): NodePatchRecord | undefined {
  const line = info[`patch_v${version}`];
  if (line === undefined) return undefined;
  const kv = Object.fromEntries(line.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  return {
    state: kv.state ?? '',
    registered_ms: Number(kv.registered_ms ?? 0),
    received_ms: Number(kv.received_ms ?? 0),
    applied_ms: Number(kv.applied_ms ?? 0),
    refusal: kv.refusal ?? '',
  };
}

function mapField(r: Reply, key: string): string | undefined {
  if (r.t !== 'array' && r.t !== 'map') return undefined;
  const flat: Reply[] = r.t === 'map' ? r.v.flat() : (r.v ?? []);
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = flat[i]!;
    if (k.t === 'bulk' && k.v?.toString() === key) {
      const v = flat[i + 1]!;
      return v.t === 'bulk' ? (v.v?.toString() ?? '') : v.t === 'int' ? String(v.v) : undefined;
    }
  }
  return undefined;
}

export async function livePatch(ev: Event, file: ClusterFile, plan: LivePatchPlan, timeoutMs: number): Promise<void> {
  const loaded = await call(file.host, plan.origin.adminPort, ['PATCH', 'LOAD', plan.bundle, plan.method.toUpperCase()], timeoutMs).catch((e: Error) => {
    throw new ControllerError('NODE_UNREACHABLE', `PATCH LOAD on node ${plan.origin.port}: ${e.message}`);
  });
  if (loaded.t === 'error') throw new ControllerError('BAD_STATE', `PATCH LOAD on node ${plan.origin.port}: ${loaded.v}`);
  ev.log(`patch ${plan.id} v${plan.version} ${mapField(loaded, 'state')} on ${plan.origin.port} (${plan.method})`);

  const seen = new Map<string, NodePatchRecord>();
  const deadline = Date.now() + timeoutMs;
  while (seen.size < file.nodes.length) {
    for (const n of file.nodes) {
      if (seen.has(n.id)) continue;
      let rec: NodePatchRecord | undefined;
      try {
        rec = parsePatchLine(fields(await callText(file.host, n.adminPort, ['INFO', 'patches'])), plan.version);
      } catch {
        // a node that does not answer now may answer on the next round
      }
      if (rec && (rec.state === 'applied' || rec.state === 'refused')) seen.set(n.id, rec);
    }
    if (seen.size === file.nodes.length) break;
    if (Date.now() > deadline) {
      const missing = file.nodes.filter((n) => !seen.has(n.id)).map((n) => n.port);
      record(ev, file, plan, seen);
      throw new ControllerError('TIMEOUT', `patch v${plan.version} not applied on node(s) ${missing.join(', ')} after ${timeoutMs} ms`);
    }
    await sleep(50);
  }
  record(ev, file, plan, seen);
  const refused = file.nodes.filter((n) => seen.get(n.id)?.state === 'refused');
  if (refused.length > 0) {
    throw new ControllerError('BAD_STATE', `patch v${plan.version} refused on ${refused.length} node(s): ${refused.map((n) => `${n.port} ${seen.get(n.id)!.refusal}`).join(', ')}`);
  }
}

/** Phases and the event's detail from the nodes' own timestamps. */
function record(ev: Event, file: ClusterFile, plan: LivePatchPlan, seen: Map<string, NodePatchRecord>): void {
  const registered = [...seen.values()].map((r) => r.registered_ms).filter((t) => t > 0);
  const applied = [...seen.values()].map((r) => r.applied_ms).filter((t) => t > 0);
  const first = registered.length ? Math.min(...registered) : 0;
  const last = applied.length ? Math.max(...applied) : 0;
  const refusals: Record<string, string> = {};
  for (const n of file.nodes) {
    const r = seen.get(n.id);
    if (!r) continue;
    const start = r.registered_ms || r.received_ms || first;
    const detail: Record<string, unknown> = { ...(r.registered_ms ? { registered_ms: r.registered_ms } : {}), received_ms: r.received_ms, applied_ms: r.applied_ms };
    if (r.state === 'refused') {
      detail.refusal = r.refusal;
      refusals[n.id] = r.refusal;
    }
    ev.recordedPhase('apply', n.id, String(n.port), start, r.applied_ms || start, r.state === 'applied', detail);
  }
  Object.assign(ev.view.detail, {
    method: plan.method, patch_id: plan.id, version: plan.version, bytes: plan.bundle.length, origin: plan.origin.id,
    lag_ms: first && last && applied.length === file.nodes.length ? last - first : null,
    first_registered_ms: first, last_applied_ms: last,
    ...(Object.keys(refusals).length ? { refusals } : {}),
  });
}
