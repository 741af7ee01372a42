import type { RowSink, TrafficRow } from '../telemetry/rows.js';
import { DIRECTIONS, RECEIVED, SENT, type DirIndex, bucketOf } from '../proxy/names.js';
import { type TcpPacket, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, ipString } from './decode.js';
import { Flow } from './flow.js';
import type { PortMap } from './port-map.js';
import { type Accepted } from './seq-tracker.js';

/**
 * Decoded packets -> connections -> 100 ms rows (source `capture`), for every node of a
 * port map at once. A connection is its full 4-tuple, never a source port alone (Linux
 * reuses one ephemeral port towards different peers); its listening end names the node.
 * Direction is the node's, as in the proxy: `sent` = towards the client/peer.
 *
 * Per row: `bytes` = new TCP payload bytes (a retransmitted byte once), `messages` = TCP
 * segments (frames, bare ACKs included), `wire_bytes` = those frames' length on the wire
 * (Ethernet + IP + TCP headers + payload, retransmissions included), `retransmits` =
 * segments that carried sequence numbers seen before. `msg_type` is '' also on the bus:
 * a segment can hold pieces of several bus messages, so frames and wire bytes cannot
 * be split by message type.
 */
export interface CaptureTotals {
  frames: number;
  wireBytes: number;
  payloadBytes: number;
  retransmits: number;
  /** Stream bytes the capture never saw (open sequence holes): packets lost by the capture. */
  missingBytes: number;
  holes: number;
  /** Frames on filtered ports that were not IPv4/TCP or matched no listening port. */
  otherFrames: number;
  flowsOpen: number;
  flowsSeen: number;
}

export interface AttributionOptions {
  runId: string;
  /** The current port map (re-read while node ids are not known yet). */
  ports: () => PortMap;
  sink: RowSink;
  /** Whether the port map names every node by its id (default: yes); until then rows wait, at most `undecidedMs`. */
  namesKnown?: () => boolean;
  /** As the proxy: a connection that sent only PING/AUTH this long is `client`; a bus peer without a header is labelled by address. */
  undecidedMs?: number;
  /** A closed connection is forgotten this long after its last FIN/RST (late ACKs still belong to it). */
  lingerMs?: number;
  log?: (line: string) => void;
}

const ZERO: Accepted = { skip: 0, fresh: 0, retransmit: false, gap: 0 };

export class Attribution {
  private readonly flows = new Map<string, Flow>();
  /** `${ip}:${announced client port}` -> node name, from bus headers (as NodeProxy's). */
  private readonly peers = new Map<string, string>();
  private clock = 0;
  /** Hole bytes of connections already forgotten. */
  private missingGone = 0;
  private readonly accepted: Accepted = { ...ZERO };
  private readonly undecidedMs: number;
  private readonly lingerMs: number;
  private readonly t: CaptureTotals = {
    frames: 0, wireBytes: 0, payloadBytes: 0, retransmits: 0, missingBytes: 0, holes: 0, otherFrames: 0, flowsOpen: 0, flowsSeen: 0,
  };
  private readonly env = {
    now: () => this.clock,
    bucketOf,
    learnPeer: (ip: string, port: number, name: string) => void this.peers.set(`${ip}:${port}`, name),
    learnNode: () => undefined,
    log: (line: string) => this.o.log?.(line),
  };

  constructor(private readonly o: AttributionOptions) {
    this.undecidedMs = o.undecidedMs ?? 2000;
    this.lingerMs = o.lingerMs ?? 1000;
  }

  /** A frame that did not decode as IPv4/TCP (counted so frame totals match other tools). */
  other(wireLen: number): void {
    this.t.frames++;
    this.t.otherFrames++;
    this.t.wireBytes += wireLen;
  }

  /** One decoded packet; `buf[0, caplen)` is the captured frame, `now` the time it was read. */
  packet(p: TcpPacket, buf: Uint8Array, caplen: number, now: number): void {
    this.clock = now;
    this.t.frames++;
    this.t.wireBytes += p.wireLen;
    const ports = this.o.ports();
    let toNode = true;
    let entry = ports.get(p.dstPort);
    if (entry === undefined) {
      toNode = false;
      entry = ports.get(p.srcPort);
      if (entry === undefined) {
        this.t.otherFrames++;
        return;
      }
    }
    const clientIp = toNode ? p.srcIp : p.dstIp;
    const clientPort = toNode ? p.srcPort : p.dstPort;
    const serverPort = toNode ? p.dstPort : p.srcPort;
    const key = `${clientIp}:${clientPort}>${toNode ? p.dstIp : p.srcIp}:${serverPort}`;
    const syn = (p.flags & TCP_SYN) !== 0;
    let flow = this.flows.get(key);
    // A SYN to a port on a tuple we know, other than a retransmitted one: a new connection
    // reusing the tuple (the old one is over).
    if (flow !== undefined && syn && toNode && (p.flags & TCP_ACK) === 0 && !flow.seq[RECEIVED].expects((p.seq + 1) >>> 0)) {
      if (!flow.closed) flow.finish(RECEIVED, now, true);
      this.flows.set(`${key}#${now}:${this.t.flowsSeen}`, flow); // kept until its rows are out
      flow = undefined;
    }
    if (flow === undefined) {
      flow = new Flow(entry.kind, ipString(clientIp), clientPort, serverPort, this.env);
      this.flows.set(key, flow);
      this.t.flowsSeen++;
    }
    const dir: DirIndex = toNode ? RECEIVED : SENT;
    const fin = (p.flags & TCP_FIN) !== 0;
    const a = flow.seq[dir].accept(p.seq, p.payloadLen, syn, fin, this.accepted);
    flow.count(bucketOf(now), dir, p.wireLen, a.retransmit);
    if (a.retransmit) this.t.retransmits++;
    if (a.gap > 0) this.t.holes++;
    if (a.fresh > 0 && !flow.closed) {
      const from = p.payloadOffset + a.skip;
      const to = from + a.fresh;
      // The last bytes of a frame longer than the snaplen are not in the buffer: their
      // count is known from the headers, so zeros stand in for them (see decode.ts).
      const chunk = to <= caplen ? buf.subarray(from, to) : padded(buf, from, caplen, a.fresh);
      if (dir === RECEIVED) flow.session.fromDown(chunk as Buffer);
      else flow.session.fromUp(chunk as Buffer);
      this.t.payloadBytes += a.fresh;
    }
    if ((p.flags & TCP_RST) !== 0) flow.finish(dir, now, true);
    else if (fin) flow.finish(dir, now, false);
  }

  /** Emit every ended bucket (all with `final`); returns the rows written to the sink. */
  tick(now: number, final = false): TrafficRow[] {
    const cut = final ? Infinity : bucketOf(now);
    const ports = this.o.ports();
    const merged = new Map<string, TrafficRow>();
    let open = 0;
    // `up` writes the node ids into cluster.json just before the proxies start: rows of
    // the first connections wait for them, so they carry the names the proxy uses.
    const named = this.o.namesKnown?.() ?? true;
    let missing = this.missingGone;
    for (const [key, f] of this.flows) {
      missing += f.seq[0].missing + f.seq[1].missing;
      const s = f.session;
      if (final && !f.closed) f.finish(RECEIVED, now, true);
      if (!f.closed) open++;
      const overdue = now - s.openedAt >= this.undecidedMs;
      if (s.state === 'undecided') {
        if (!overdue && !final) continue;
        s.decide('client');
      }
      if (s.kind === 'bus' && s.peerName === undefined && !overdue && !f.closed && !final) continue;
      if (!named && !overdue && !final) continue;
      const node = ports.get(f.serverPort)?.node ?? `${f.serverPort}`;
      const peer = this.peerOf(f);
      const row = (ts: number, dir: DirIndex): TrafficRow => {
        const k = `${ts}\0${node}\0${peer}\0${s.channel}\0${dir}`;
        let r = merged.get(k);
        if (r === undefined) {
          r = {
            run_id: this.o.runId, ts_ms: ts, source: 'capture', node, peer, channel: s.channel, direction: DIRECTIONS[dir],
            msg_type: '', bytes: 0, messages: 0, wire_bytes: 0, retransmits: 0,
          };
          merged.set(k, r);
        }
        return r;
      };
      for (const b of s.tally.takeBefore(f.closed ? Infinity : cut)) {
        for (const cell of b.cells.values()) {
          if (cell[SENT] > 0) row(b.ts, SENT).bytes += cell[SENT];
          if (cell[RECEIVED] > 0) row(b.ts, RECEIVED).bytes += cell[RECEIVED];
        }
      }
      for (const b of f.takeWireBefore(f.closed ? Infinity : cut)) {
        for (const dir of [SENT, RECEIVED] as const) {
          if (b.c[dir] === 0) continue;
          const r = row(b.ts, dir);
          r.messages += b.c[dir];
          r.wire_bytes += b.c[2 + dir];
          r.retransmits += b.c[4 + dir];
        }
      }
      if (f.closed && f.idle && (final || now - f.closedAt >= this.lingerMs)) {
        this.flows.delete(key);
        this.missingGone += f.seq[0].missing + f.seq[1].missing;
      }
    }
    this.t.flowsOpen = open;
    this.t.missingBytes = missing;
    const rows = [...merged.values()];
    if (rows.length > 0) this.o.sink.write('traffic', rows);
    return rows;
  }

  totals(): CaptureTotals {
    return { ...this.t };
  }

  /** As NodeProxy.peerOf: bus by the sender name, replication by the replica's announced port. */
  private peerOf(f: Flow): string {
    const s = f.session;
    if (s.kind === 'bus') return s.peerName ?? s.peerAddress;
    if (s.state === 'replication' && s.replicaPort !== undefined) {
      const addr = `${s.replicaIp ?? s.peerIp}:${s.replicaPort}`;
      return this.peers.get(addr) ?? addr;
    }
    return s.peerAddress;
  }
}

function padded(buf: Uint8Array, from: number, caplen: number, len: number): Buffer {
  const out = Buffer.alloc(len);
  if (caplen > from) out.set(buf.subarray(from, caplen), 0);
  return out;
}
