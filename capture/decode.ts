/**
 * Ethernet / IPv4 / TCP header decoding of one captured frame, into a reused object (no
 * allocation per packet). Linux loopback is DLT_EN10MB: a 14-byte Ethernet header with
 * zero MACs, then IP.
 *
 *   0        6        12   14                    14+IHL*4             +DOFF*4
 *   | dst MAC| src MAC|type| IPv4 header (20-60) | TCP header (20-60) | payload ... |
 *                      0x0800  total length = IP header + TCP header + payload
 *
 * Lengths come from the headers, not from the captured length: cap (0.2.1) fixes the
 * snaplen at 65535, and a loopback frame can be 14 + 65535 bytes, so the last bytes of
 * the largest segments are cut. The wire length of a frame is 14 + IP total length,
 * the number tshark shows as frame.len.
 */
export interface TcpPacket {
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  flags: number;
  /** Offset of the TCP payload in the captured buffer. */
  payloadOffset: number;
  /** TCP payload length from the headers (may exceed what was captured). */
  payloadLen: number;
  /** Frame length on the wire: Ethernet header + IP total length. */
  wireLen: number;
}

export const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_TCP = 6;
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export const newPacket = (): TcpPacket => ({ srcIp: 0, dstIp: 0, srcPort: 0, dstPort: 0, seq: 0, flags: 0, payloadOffset: 0, payloadLen: 0, wireLen: 0 });

/**
 * Decodes `buf[0, caplen)` into `out`. Returns false for anything that is not a whole
 * IPv4 TCP header set (other ethertypes, IPv6, fragments after the first, cut headers).
 */
export function decodeTcp(buf: Uint8Array, caplen: number, out: TcpPacket): boolean {
  if (caplen < ETH_HEADER + 20) return false;
  if (((buf[12] << 8) | buf[13]) !== ETHERTYPE_IPV4) return false;
  const ip = ETH_HEADER;
  if (buf[ip] >> 4 !== 4) return false;
  const ihl = (buf[ip] & 0x0f) * 4;
  const total = (buf[ip + 2] << 8) | buf[ip + 3];
  if (ihl < 20 || buf[ip + 9] !== IPPROTO_TCP || total < ihl + 20) return false;
  // A non-first fragment carries no TCP header (fragment offset != 0).
  if ((((buf[ip + 6] & 0x1f) << 8) | buf[ip + 7]) !== 0) return false;
  const tcp = ip + ihl;
  if (caplen < tcp + 20) return false;
  const doff = (buf[tcp + 12] >> 4) * 4;
  if (doff < 20 || total < ihl + doff || caplen < tcp + doff) return false;
  out.srcIp = ((buf[ip + 12] << 24) | (buf[ip + 13] << 16) | (buf[ip + 14] << 8) | buf[ip + 15]) >>> 0;
  out.dstIp = ((buf[ip + 16] << 24) | (buf[ip + 17] << 16) | (buf[ip + 18] << 8) | buf[ip + 19]) >>> 0;
  out.srcPort = (buf[tcp] << 8) | buf[tcp + 1];
  out.dstPort = (buf[tcp + 2] << 8) | buf[tcp + 3];
  out.seq = ((buf[tcp + 4] << 24) | (buf[tcp + 5] << 16) | (buf[tcp + 6] << 8) | buf[tcp + 7]) >>> 0;
  out.flags = buf[tcp + 13];
  out.payloadOffset = tcp + doff;
  out.payloadLen = total - ihl - doff;
  out.wireLen = ETH_HEADER + total;
  return true;
}

export function ipString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

export function ipNumber(s: string): number {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not an IPv4 address: ${s}`);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** Builds a frame as loopback carries it (for tests and the benchmark's fixtures). */
export function encodeTcpFrame(o: { src: string; dst: string; srcPort: number; dstPort: number; seq: number; flags: number; payload?: Uint8Array }): Buffer {
  const payload = o.payload ?? new Uint8Array(0);
  const ipLen = 20 + 20 + payload.length;
  const b = Buffer.alloc(ETH_HEADER + ipLen);
  b.writeUInt16BE(ETHERTYPE_IPV4, 12);
  b[14] = 0x45;
  b.writeUInt16BE(ipLen, 16);
  b[14 + 8] = 64;
  b[14 + 9] = IPPROTO_TCP;
  b.writeUInt32BE(ipNumber(o.src), 26);
  b.writeUInt32BE(ipNumber(o.dst), 30);
  b.writeUInt16BE(o.srcPort, 34);
  b.writeUInt16BE(o.dstPort, 36);
  b.writeUInt32BE(o.seq >>> 0, 38);
  b[46] = 5 << 4;
  b[47] = o.flags;
  b.writeUInt16BE(65535, 48);
  b.set(payload, 54);
  return b;
}
