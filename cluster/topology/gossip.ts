import { F } from './node-flags.js';
import { type ClusterNode, inHandshake } from './cluster-node.js';
import type { ClusterState } from './state.js';
import type { GossipEntry } from '../bus/message.js';

/**
 * Which nodes a PING/PONG/MEET tells about (cluster.c clusterSendPing, Redis 7.0):
 *
 *   wanted = max(3, floor(known / 10)), at most known - 2 (not us, not the receiver);
 *   up to 3 x wanted random picks, skipping ourselves, PFAIL nodes (added below),
 *   nodes in handshake or without address, and nodes with neither link nor slots;
 *   then every PFAIL node, so failure reports spread fast.
 *
 * In a 6-node cluster that is 3 entries: 2256 + 3 x 104 = 2568 bytes per message,
 * the size that dominates an idle Redis cluster's bus traffic.
 */
export function pickGossip(
  state: ClusterState,
  hasLink: (n: ClusterNode) => boolean,
  random: () => number = Math.random,
): ClusterNode[] {
  const all = [...state.nodes.values()];
  let fresh = all.length - 2;
  let wanted = Math.max(3, Math.floor(all.length / 10));
  if (wanted > fresh) wanted = fresh;

  const picked = new Set<ClusterNode>();
  let iterations = wanted * 3;
  while (fresh > 0 && picked.size < wanted && iterations-- > 0) {
    const n = all[Math.floor(random() * all.length)];
    if (n === state.myself) continue;
    if (n.flags & F.PFAIL) continue;
    if (n.flags & (F.HANDSHAKE | F.NOADDR) || (!hasLink(n) && n.numSlots === 0)) continue;
    if (picked.has(n)) continue;
    picked.add(n);
    fresh--;
  }
  for (const n of all) {
    if (n.flags & F.PFAIL && !inHandshake(n) && !(n.flags & F.NOADDR)) picked.add(n);
  }
  return [...picked];
}

/** clusterSetGossipEntry: times go out in seconds, as Redis truncates them. */
export function gossipEntry(n: ClusterNode): GossipEntry {
  return {
    nodename: n.name,
    pingSent: Math.floor(n.pingSent / 1000),
    pongReceived: Math.floor(n.pongReceived / 1000),
    ip: n.ip,
    port: n.port,
    cport: n.cport,
    flags: n.flags,
    pport: 0,
  };
}
