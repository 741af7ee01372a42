import { describe, expect, it } from 'vitest';
import { decodeTcp, encodeTcpFrame, ipNumber, ipString, newPacket, TCP_ACK, TCP_SYN } from './decode.js';

describe('capture decode', () => {
  it('capture: decodes the addresses, ports, sequence, flags and payload of a loopback frame', () => {
    const payload = Buffer.from('*1\r\n$4\r\nPING\r\n');
    const f = encodeTcpFrame({ src: '127.0.0.1', dst: '127.0.0.2', srcPort: 50123, dstPort: 30001, seq: 0xfffffff0, flags: TCP_ACK, payload });
    const p = newPacket();
    expect(decodeTcp(f, f.length, p)).toBe(true);
    expect(ipString(p.srcIp)).toBe('127.0.0.1');
    expect(ipString(p.dstIp)).toBe('127.0.0.2');
    expect([p.srcPort, p.dstPort, p.seq, p.flags]).toEqual([50123, 30001, 0xfffffff0, TCP_ACK]);
    expect(f.subarray(p.payloadOffset, p.payloadOffset + p.payloadLen).toString()).toBe(payload.toString());
    expect(p.wireLen).toBe(f.length);
  });

  it('capture: takes lengths from the headers when the snaplen cut the frame', () => {
    const f = encodeTcpFrame({ src: '127.0.0.1', dst: '127.0.0.1', srcPort: 1, dstPort: 2, seq: 1, flags: TCP_ACK, payload: Buffer.alloc(1000, 7) });
    const p = newPacket();
    expect(decodeTcp(f, 100, p)).toBe(true);
    expect(p.payloadLen).toBe(1000);
    expect(p.wireLen).toBe(14 + 20 + 20 + 1000);
  });

  it('capture: TCP options move the payload start (data offset)', () => {
    const f = encodeTcpFrame({ src: '127.0.0.1', dst: '127.0.0.1', srcPort: 1, dstPort: 2, seq: 1, flags: TCP_SYN, payload: Buffer.alloc(12) });
    f[46] = 8 << 4; // 32-byte TCP header: 12 bytes of options, no payload
    const p = newPacket();
    expect(decodeTcp(f, f.length, p)).toBe(true);
    expect(p.payloadLen).toBe(0);
    expect(p.payloadOffset).toBe(14 + 20 + 32);
  });

  it('capture: refuses IPv6, UDP, later fragments and cut headers', () => {
    const p = newPacket();
    const f = encodeTcpFrame({ src: '127.0.0.1', dst: '127.0.0.1', srcPort: 1, dstPort: 2, seq: 1, flags: 0 });
    const v6 = Buffer.from(f);
    v6.writeUInt16BE(0x86dd, 12);
    const udp = Buffer.from(f);
    udp[23] = 17;
    const frag = Buffer.from(f);
    frag[21] = 10;
    expect([decodeTcp(v6, v6.length, p), decodeTcp(udp, udp.length, p), decodeTcp(frag, frag.length, p), decodeTcp(f, 40, p)]).toEqual([false, false, false, false]);
  });

  it('capture: IPv4 text and numbers round-trip', () => {
    expect(ipString(ipNumber('255.1.0.127'))).toBe('255.1.0.127');
    expect(() => ipNumber('1.2.3')).toThrow(/not an IPv4/);
  });
});
