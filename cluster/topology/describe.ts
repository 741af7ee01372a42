import { F, flagsToString } from './node-flags.js';
import type { ClusterNode } from './cluster-node.js';
import type { ClusterState } from './state.js';
import { type Reply, array, bulk, int, map } from '../resp/reply.js';

/**
 * The views of the cluster state that clients parse: CLUSTER NODES (also the body of
 * nodes.conf), CLUSTER SLOTS, CLUSTER SHARDS. Shapes follow Redis 7.0.15 byte for byte
 * (checked against a real redis-server: no trailing comma after `ip:port@cport` when
 * no hostname is announced; an empty metadata map in CLUSTER SLOTS).
 */

export interface LinkView {
  /** Whether we hold an outbound bus link to this node (`connected` in CLUSTER NODES). */
  connected(node: ClusterNode): boolean;
}

/** clusterGenNodeDescription. */
export function nodeLine(state: ClusterState, node: ClusterNode, links: LinkView): string {
  const parts = [
    node.name,
    `${node.ip}:${node.port}@${node.cport}`,
    flagsToString(node.flags),
    node.slaveof ?? '-',
    String(node.pingSent),
    String(node.pongReceived),
    String(state.shardMaster(node).configEpoch),
    node === state.myself || links.connected(node) ? 'connected' : 'disconnected',
  ];
  // Replicas print no slots, even though they serve their master's for reads.
  if (node.flags & F.MASTER) {
    for (const [a, b] of state.slotRanges(node)) parts.push(a === b ? String(a) : `${a}-${b}`);
  }
  if (node === state.myself) {
    for (const [slot, to] of [...state.migrating].sort((x, y) => x[0] - y[0])) parts.push(`[${slot}->-${to}]`);
    for (const [slot, from] of [...state.importing].sort((x, y) => x[0] - y[0])) parts.push(`[${slot}-<-${from}]`);
  }
  return parts.join(' ');
}

export function clusterNodes(state: ClusterState, links: LinkView): string {
  let out = '';
  for (const node of state.nodes.values()) out += nodeLine(state, node, links) + '\n';
  return out;
}

function nodeEndpoint(node: ClusterNode): Reply {
  // [ip, port, id, metadata-map]; the map is empty without announced hostnames.
  return array([bulk(node.ip), int(node.port), bulk(node.name), map([])]);
}

/** CLUSTER SLOTS: one entry per contiguous range, master first, then healthy replicas. */
export function clusterSlots(state: ClusterState): Reply {
  const entries: Reply[] = [];
  for (const node of state.nodes.values()) {
    if (!(node.flags & F.MASTER) || node.numSlots === 0) continue;
    const replicas = state.replicasOf(node).filter((r) => !(r.flags & F.FAIL));
    for (const [a, b] of state.slotRanges(node)) {
      entries.push(array([int(a), int(b), nodeEndpoint(node), ...replicas.map(nodeEndpoint)]));
    }
  }
  return array(entries);
}

function shardNode(state: ClusterState, node: ClusterNode): Reply {
  const health = node.flags & F.FAIL ? 'fail' : 'online';
  return map([
    [bulk('id'), bulk(node.name)],
    [bulk('port'), int(node.port)],
    [bulk('ip'), bulk(node.ip)],
    [bulk('endpoint'), bulk(node.ip)],
    [bulk('role'), bulk(node.flags & F.SLAVE ? 'replica' : 'master')],
    [bulk('replication-offset'), int(Number(node.replOffset))],
    [bulk('health'), bulk(health)],
  ]);
}

/** CLUSTER SHARDS (7.0): one map per master (with or without slots) and its replicas. */
export function clusterShards(state: ClusterState): Reply {
  const shards: Reply[] = [];
  for (const node of state.nodes.values()) {
    if (!(node.flags & F.MASTER) || node.flags & F.HANDSHAKE) continue;
    const slots: Reply[] = [];
    for (const [a, b] of state.slotRanges(node)) slots.push(int(a), int(b));
    const members = [node, ...state.replicasOf(node)].map((n) => shardNode(state, n));
    shards.push(map([
      [bulk('slots'), array(slots)],
      [bulk('nodes'), array(members)],
    ]));
  }
  return array(shards);
}

export interface BusStats {
  sent: Map<string, number>;
  received: Map<string, number>;
}

/** CLUSTER INFO, with Redis' field names and order. */
export function clusterInfo(state: ClusterState, stats: BusStats): string {
  const lines = [
    `cluster_state:${state.health}`,
    `cluster_slots_assigned:${state.assignedSlots()}`,
    `cluster_slots_ok:${state.assignedSlots() - state.countSlotsIn(F.PFAIL | F.FAIL)}`,
    `cluster_slots_pfail:${state.countSlotsIn(F.PFAIL)}`,
    `cluster_slots_fail:${state.countSlotsIn(F.FAIL)}`,
    `cluster_known_nodes:${state.nodes.size}`,
    `cluster_size:${state.size}`,
    `cluster_current_epoch:${state.currentEpoch}`,
    `cluster_my_epoch:${state.shardMaster(state.myself).configEpoch}`,
  ];
  let sent = 0;
  for (const [type, n] of stats.sent) {
    lines.push(`cluster_stats_messages_${type}_sent:${n}`);
    sent += n;
  }
  lines.push(`cluster_stats_messages_sent:${sent}`);
  let received = 0;
  for (const [type, n] of stats.received) {
    lines.push(`cluster_stats_messages_${type}_received:${n}`);
    received += n;
  }
  lines.push(`cluster_stats_messages_received:${received}`);
  lines.push('total_cluster_links_buffer_limit_exceeded:0');
  return lines.join('\r\n') + '\r\n';
}
