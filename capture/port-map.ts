import type { LocalClusterState } from '../cluster/launcher/state-file.js';
import { CaptureError } from './errors.js';

/**
 * Which listening ports belong to which node, and whether they are client or bus ports:
 * what capture attributes connections by. A packet's connection is its full 4-tuple
 * (DESIGN.md "Measurement definitions"); the listening end of it names the node.
 *
 * Which leg (with proxies every proxied byte crosses loopback twice):
 *
 *   client ──(a) public port──> proxy ──(b) node port──> node
 *
 * `public` (the default) captures leg (a), the ports the nodes announce (cluster.json
 * `port`/`busPort`): the connection the proxy accepted and labels (its peer is the
 * client's own address, its direction is the proxy's downstream), so capture and proxy
 * count the same connection, and the same code covers a cluster without proxies, where
 * the public ports are the nodes' own. `node` captures leg (b) (`nodePort`/`nodeBusPort`):
 * what the node's own sockets carry, with the proxy's address as every peer.
 */
export type Leg = 'public' | 'node';

export interface PortEntry {
  /** The node's name (40-hex id) or host:port while it is not known. */
  node: string;
  kind: 'client' | 'bus';
}

export type PortMap = Map<number, PortEntry>;

/** The ports of a cluster started by `kvnetlab up`, from its cluster.json. */
export function portMapFromState(state: LocalClusterState, leg: Leg = 'public'): PortMap {
  const map: PortMap = new Map();
  for (const n of state.nodes) {
    const client = leg === 'public' ? n.port : n.nodePort;
    const bus = leg === 'public' ? n.busPort : n.nodeBusPort;
    // Rows are labelled like the proxy's: the node id, else its public address.
    const node = n.id || `${state.host}:${n.port}`;
    map.set(client, { node, kind: 'client' });
    map.set(bus, { node, kind: 'bus' });
  }
  if (map.size === 0) throw new CaptureError('CAPTURE_NO_PORTS', 'the cluster state lists no nodes');
  return map;
}

/**
 * A port list given by hand (`--ports 30001,30002,40001,40002`): a port P is a bus port
 * when P - 10000 is in the list too (Redis' bus port offset), and is labelled with that
 * client port's address, so both ports of a node give one node label.
 */
export function portMapFromList(list: string, host: string): PortMap {
  const ports = list.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new CaptureError('CAPTURE_NO_PORTS', `--ports wants auto or a comma-separated list of ports, got "${list}"`);
  }
  const set = new Set(ports);
  const map: PortMap = new Map();
  for (const p of ports) {
    const bus = set.has(p - 10000);
    map.set(p, { node: `${host}:${bus ? p - 10000 : p}`, kind: bus ? 'bus' : 'client' });
  }
  return map;
}

/**
 * The BPF filter for a port map (pcap-filter(7)): TCP to or from those ports. A packet
 * socket on Linux loopback gets every packet twice, as it leaves (PACKET_OUTGOING) and
 * as it arrives; libpcap drops the outgoing copy in user space, so each packet is seen
 * once, but both copies take a slot in the ring and count in the kernel's counters.
 * `inbound` would drop the copy in the kernel instead, but with it libpcap loses
 * packets: the first one after opening (cap, TPACKET_V2) and hundreds per ten thousand
 * with tcpdump/tshark (TPACKET_V3: "10050 packets received by filter", 9278 written, 0
 * dropped), seen here with libpcap 1.10 on Linux 6.18. So no `inbound`.
 */
export function bpfFilter(map: PortMap): string {
  const ports = [...map.keys()].sort((a, b) => a - b);
  if (ports.length === 0) throw new CaptureError('CAPTURE_NO_PORTS', 'no ports to capture');
  return `tcp and (${ports.map((p) => `port ${p}`).join(' or ')})`;
}
