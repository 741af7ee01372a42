import { resolve } from 'node:path';
import { callText } from '../cluster/launcher/admin.js';
import { readState } from '../cluster/launcher/state-file.js';
import { ControllerError } from './errors.js';

/**
 * A node as the controller needs it, read from the launcher's state file
 * (run/cluster/cluster.json). Reads are tolerant: entries without a numeric port
 * (proxy processes another branch adds) are skipped and unknown fields ignored.
 */
export interface NodeEntry {
  id: string;
  /** The public client port (the proxy's when proxies run): how users and peers reach it. */
  port: number;
  busPort: number;
  /**
   * Where the controller talks to the node: its own port, behind no proxy (cluster.json's
   * nodePort). The controller is the experimenter's control plane, like an operator's
   * shell: its polls (INFO every 50 ms while an event runs) must not be counted as the
   * event's network cost. What the event itself causes (replication, bus, the nodes'
   * own traffic) still crosses the proxies.
   */
  adminPort: number;
  pid: number;
  dir: string;
  cmdlineMark: string;
  /** Launch command when the launcher records it (argv[0] = program); else captured by the controller. */
  argv?: string[];
}

export interface ClusterFile {
  kind: 'kvnetlab' | 'redis';
  host: string;
  nodes: NodeEntry[];
}

export function readCluster(runDir: string): ClusterFile {
  const state = readState(resolve(runDir)) as unknown as { kind?: string; host?: string; nodes?: unknown[] } | undefined;
  if (!state || !Array.isArray(state.nodes)) throw new ControllerError('NO_CLUSTER', `no cluster state in ${resolve(runDir)} (run \`kvnetlab up\` first)`);
  const nodes: NodeEntry[] = [];
  for (const raw of state.nodes) {
    const n = raw as Partial<NodeEntry> & { kind?: string; nodePort?: number };
    if (typeof n.port !== 'number' || typeof n.id !== 'string' || typeof n.dir !== 'string') continue;
    if (n.kind !== undefined && n.kind !== 'node') continue;
    nodes.push({
      id: n.id, port: n.port, busPort: n.busPort ?? n.port + 10000, adminPort: n.nodePort ?? n.port, pid: n.pid ?? 0, dir: n.dir,
      cmdlineMark: n.cmdlineMark ?? `--port ${n.port}`, argv: Array.isArray(n.argv) ? n.argv : undefined,
    });
  }
  return { kind: state.kind === 'redis' ? 'redis' : 'kvnetlab', host: state.host ?? '127.0.0.1', nodes };
}

/** A node by full id, a unique id prefix (at least 4 characters) or its client port. */
export function findNode(file: ClusterFile, ref: string): NodeEntry {
  const byPort = /^\d{1,5}$/.test(ref) ? file.nodes.find((n) => n.port === Number(ref)) : undefined;
  if (byPort) return byPort;
  const hits = ref.length >= 4 ? file.nodes.filter((n) => n.id.startsWith(ref)) : [];
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new ControllerError('BAD_PARAMS', `node "${ref}" is ambiguous: ${hits.map((n) => n.id.slice(0, 12)).join(', ')}`);
  throw new ControllerError('UNKNOWN_NODE', `no node "${ref}" in the cluster state file (give an id, an id prefix or a port)`);
}

/** One line of CLUSTER NODES (cluster_legacy.c clusterGenNodeDescription). */
export interface NodesLine {
  id: string;
  addr: string;
  flags: string[];
  role: 'master' | 'replica';
  masterId: string;
  linkState: string;
  slots: string[];
}

export function parseClusterNodes(body: string): NodesLine[] {
  return body.trim().split('\n').filter((l) => l.trim() !== '').map((line) => {
    const f = line.trim().split(' ');
    const flags = (f[2] ?? '').split(',');
    return {
      id: f[0]!, addr: f[1] ?? '', flags, role: flags.includes('slave') ? 'replica' : 'master',
      masterId: f[3] === '-' ? '' : (f[3] ?? ''), linkState: f[7] ?? '', slots: f.slice(8),
    };
  });
}

/** CLUSTER NODES as seen by the first node of `nodes` that answers (skipping `except`). */
export async function liveView(file: ClusterFile, except: string[] = []): Promise<{ from: NodeEntry; lines: NodesLine[] } | undefined> {
  for (const n of file.nodes) {
    if (except.includes(n.id)) continue;
    try {
      return { from: n, lines: parseClusterNodes(await callText(file.host, n.adminPort, ['CLUSTER', 'NODES'])) };
    } catch {
      // down or restarting: ask the next one
    }
  }
  return undefined;
}

/**
 * The master-replica group a node belongs to, named by its master's id: a master is
 * its own group, a replica belongs to its master's. Unknown (no node answers): its own id.
 */
export function groupOf(lines: NodesLine[] | undefined, nodeId: string): string {
  const line = lines?.find((l) => l.id === nodeId);
  if (!line) return nodeId;
  return line.role === 'replica' && line.masterId ? line.masterId : nodeId;
}

/** Master-replica groups from a live view: master id -> replica ids (masters with slots only). */
export function groups(lines: NodesLine[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of lines) if (l.role === 'master' && !l.flags.includes('fail') && l.slots.length > 0) out.set(l.id, []);
  for (const l of lines) if (l.role === 'replica' && out.has(l.masterId)) out.get(l.masterId)!.push(l.id);
  return out;
}
