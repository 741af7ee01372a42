import { describe, expect, it } from 'vitest';
import { encodeBusMessage } from '../cluster/bus/codec.js';
import { busHeader } from '../cluster/bus/message.js';
import { MemorySink } from '../telemetry/local-sinks.js';
import type { TrafficRow } from '../telemetry/rows.js';
import { Attribution } from './attribution.js';
import { decodeTcp, encodeTcpFrame, newPacket, TCP_ACK, TCP_FIN, TCP_SYN } from './decode.js';
import { portMapFromList } from './port-map.js';

const bulk = (...args: string[]) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
const NODE_A = 'a'.repeat(40);
const NODE_B = 'b'.repeat(40);

/** A capture on ports 30001/40001 (node A) and 30002/40002 (node B) fed frames built by hand. */
function rig() {
  const sink = new MemorySink();
  const ports = portMapFromList('30001,30002,40001,40002', '127.0.0.1');
  ports.get(30001)!.node = NODE_A;
  ports.get(40001)!.node = NODE_A;
  ports.get(30002)!.node = NODE_B;
  ports.get(40002)!.node = NODE_B;
  const cap = new Attribution({ runId: 'r', ports: () => ports, sink });
  let t = 1_000_000;
  const seqs = new Map<string, number>();
  const p = newPacket();
  /** One segment of connection `from -> to`, with its own running sequence number. */
  const send = (from: number, to: number, data: string | Buffer = '', flags = TCP_ACK, resend = false) => {
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    const k = `${from}>${to}`;
    const seq = seqs.get(k) ?? 1000 * from;
    const f = encodeTcpFrame({ src: '127.0.0.1', dst: '127.0.0.1', srcPort: from, dstPort: to, seq, flags, payload });
    if (!resend) seqs.set(k, seq + payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0));
    expect(decodeTcp(f, f.length, p)).toBe(true);
    cap.packet(p, f, f.length, t);
    return f.length;
  };
  const rows = (): TrafficRow[] => {
    t += 5000;
    cap.tick(t, true);
    return sink.take('traffic');
  };
  return { cap, send, rows, advance: (ms: number) => (t += ms) };
}

const sum = (rows: TrafficRow[], f: Partial<TrafficRow>, field: 'bytes' | 'messages' | 'wire_bytes' | 'retransmits' = 'bytes') =>
  rows.filter((r) => Object.entries(f).every(([k, v]) => r[k as keyof TrafficRow] === v)).reduce((a, r) => a + r[field], 0);

describe('capture attribution', () => {
  it('capture: a replica connection is replication (the proxy sniffer decides), peer named by its bus header', () => {
    const r = rig();
    // Node B's bus link to A announces B's client port 30002: that names replica B.
    const ping = encodeBusMessage({ header: busHeader({ type: 0, sender: NODE_B, port: 30002 }), body: { kind: 'raw', count: 0, extensions: 0, data: Buffer.alloc(0) } });
    r.send(51000, 40001, '', TCP_SYN);
    r.send(51000, 40001, ping);
    const handshake = bulk('PING') + bulk('REPLCONF', 'listening-port', '30002') + bulk('PSYNC', '?', '-1');
    r.send(52000, 30001, '', TCP_SYN);
    r.send(52000, 30001, handshake);
    r.send(30001, 52000, '+FULLRESYNC x 0\r\n');
    const rows = r.rows();
    expect(sum(rows, { node: NODE_A, channel: 'bus', direction: 'received', peer: NODE_B })).toBe(ping.length);
    expect(sum(rows, { node: NODE_A, channel: 'replication', direction: 'received', peer: NODE_B })).toBe(handshake.length);
    expect(sum(rows, { node: NODE_A, channel: 'replication', direction: 'sent', peer: NODE_B })).toBe('+FULLRESYNC x 0\r\n'.length);
    expect(rows.every((x) => x.source === 'capture' && x.msg_type === '')).toBe(true);
  });

  it('capture: one client port towards two nodes is two connections (the full 4-tuple, not the source port)', () => {
    const r = rig();
    r.send(50000, 30001, bulk('GET', 'k'));
    r.send(50000, 30002, bulk('SET', 'k', 'v'));
    r.send(30002, 50000, '+OK\r\n');
    const rows = r.rows();
    expect(sum(rows, { node: NODE_A, channel: 'client', direction: 'received', peer: '127.0.0.1:50000' })).toBe(bulk('GET', 'k').length);
    expect(sum(rows, { node: NODE_B, channel: 'client', direction: 'received', peer: '127.0.0.1:50000' })).toBe(bulk('SET', 'k', 'v').length);
    expect(sum(rows, { node: NODE_B, direction: 'sent' })).toBe(5);
    expect(sum(rows, { node: NODE_A, direction: 'sent' })).toBe(0);
  });

  it('capture: counts frames and wire bytes of every segment, a retransmitted payload once in bytes', () => {
    const r = rig();
    let wire = r.send(50001, 30001, '', TCP_SYN);
    wire += r.send(50001, 30001, bulk('GET', 'k'), TCP_ACK, true);
    wire += r.send(50001, 30001, bulk('GET', 'k'));
    wire += r.send(50001, 30001, ''); // bare ACK
    const rows = r.rows();
    const f = { node: NODE_A, direction: 'received' as const };
    expect(sum(rows, f)).toBe(bulk('GET', 'k').length);
    expect(sum(rows, f, 'messages')).toBe(4);
    expect(sum(rows, f, 'wire_bytes')).toBe(wire);
    expect(sum(rows, f, 'retransmits')).toBe(1);
    expect(r.cap.totals()).toMatchObject({ frames: 4, retransmits: 1, missingBytes: 0 });
  });

  it('capture: a bus link waits for its peer name; traffic on unlisted ports is counted apart', () => {
    const r = rig();
    const pong = encodeBusMessage({ header: busHeader({ type: 1, sender: NODE_A, port: 30001 }), body: { kind: 'raw', count: 0, extensions: 0, data: Buffer.alloc(0) } });
    r.send(40001, 51001, pong); // A answers on a link whose peer has not spoken yet
    r.send(6379, 51002, 'x');
    r.advance(5000);
    const rows = r.rows();
    expect(sum(rows, { node: NODE_A, channel: 'bus', direction: 'sent', peer: '127.0.0.1:51001' })).toBe(pong.length);
    expect(r.cap.totals().otherFrames).toBe(1);
  });
});
