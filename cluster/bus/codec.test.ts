import { describe, expect, it } from 'vitest';
import { decodeBusMessage, encodeBusMessage } from './codec.js';
import { BUS_HEADER_LEN, BusType, MFlag0, NodeFlag } from './constants.js';
import { BusProtocolError } from './errors.js';
import { loadFixture } from './fixtures/fixtures.js';
import {
  type BusHeader,
  type BusMessage,
  type GossipEntry,
  busHeader,
  slotBitmapFromRanges,
} from './message.js';

const NAMES = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6'].map((p) => p.repeat(20));

function gossip(i: number): GossipEntry {
  return {
    nodename: NAMES[i],
    pingSent: 0,
    pongReceived: 1_795_280_000 + i,
    ip: '127.0.0.1',
    port: 31001 + i,
    cport: 41001 + i,
    flags: i < 3 ? NodeFlag.MASTER : NodeFlag.SLAVE,
    pport: 0,
  };
}

function header(type: number, init: Partial<BusHeader> = {}): BusHeader {
  return busHeader({
    type,
    sender: NAMES[0],
    port: 31001,
    cport: 41001,
    currentEpoch: 6n,
    configEpoch: 1n,
    offset: 1234n,
    myslots: slotBitmapFromRanges([[0, 5460]]),
    flags: NodeFlag.MASTER | NodeFlag.MYSELF,
    ...init,
  });
}

/** One message of every kind the codec knows, with everything set to something. */
const EXAMPLES: Record<string, BusMessage> = {
  ping: { header: header(BusType.PING), body: { kind: 'ping', gossip: [1, 2, 3].map(gossip), exts: [] } },
  pong: { header: header(BusType.PONG), body: { kind: 'ping', gossip: [4, 5].map(gossip), exts: [] } },
  meet: { header: header(BusType.MEET), body: { kind: 'ping', gossip: [], exts: [] } },
  'ping with every extension': {
    header: header(BusType.PING, { mflags: [MFlag0.EXT_DATA, 0, 0] }),
    body: {
      kind: 'ping',
      gossip: [gossip(1)],
      exts: [
        { kind: 'hostname', hostname: 'node1.example' },
        { kind: 'human-nodename', nodename: 'n1' },
        { kind: 'forgotten-node', name: NAMES[5], ttl: 58n },
        { kind: 'shard-id', shardId: '0123456789abcdef0123456789abcdef01234567' },
        { kind: 'raw', type: 77, data: Buffer.from('8 bytes!16 bytes') },
      ],
    },
  },
  fail: { header: header(BusType.FAIL), body: { kind: 'fail', nodename: NAMES[2] } },
  publish: {
    header: header(BusType.PUBLISH),
    body: { kind: 'publish', channel: Buffer.from('news'), message: Buffer.from('odd length message') },
  },
  publishshard: {
    header: header(BusType.PUBLISHSHARD),
    body: { kind: 'publish', channel: Buffer.from('{s}chan'), message: Buffer.alloc(0) },
  },
  'auth request': {
    header: header(BusType.FAILOVER_AUTH_REQUEST, {
      flags: NodeFlag.SLAVE | NodeFlag.MYSELF,
      slaveof: NAMES[1],
      mflags: [MFlag0.FORCEACK, 0, 0],
    }),
    body: { kind: 'empty' },
  },
  'auth ack': { header: header(BusType.FAILOVER_AUTH_ACK), body: { kind: 'empty' } },
  mfstart: { header: header(BusType.MFSTART, { slaveof: NAMES[1] }), body: { kind: 'empty' } },
  update: {
    header: header(BusType.UPDATE),
    body: { kind: 'update', configEpoch: 9n, nodename: NAMES[3], slots: slotBitmapFromRanges([[10923, 16383]]) },
  },
  module: {
    header: header(BusType.MODULE),
    body: { kind: 'module', moduleId: 0x0123456789abcdefn, moduleType: 200, payload: Buffer.from([1, 2, 3]) },
  },
  'unknown type 42': {
    header: header(42, { myip: '10.0.0.1' }),
    body: { kind: 'raw', count: 7, extensions: 1, data: Buffer.from('patch payload') },
  },
};

describe('bus codec', () => {
  it('bus: our 6-node PING is 2568 bytes laid out like the real one', () => {
    const m: BusMessage = { header: header(BusType.PING), body: { kind: 'ping', gossip: [3, 4, 5].map(gossip), exts: [] } };
    const f = encodeBusMessage(m);
    const real = loadFixture('ping-6nodes');
    expect(f.length).toBe(2568);
    expect(f.length).toBe(real.length);
    expect(f.toString('latin1', 0, 4)).toBe('RCmb');
    expect(f.readUInt32BE(4)).toBe(2568);
    expect(f.readUInt16BE(8)).toBe(1);
    expect(f.readUInt16BE(10)).toBe(31001);
    expect(f.readUInt16BE(12)).toBe(BusType.PING);
    expect(f.readUInt16BE(14)).toBe(3);
    expect(f.readBigUInt64BE(16)).toBe(6n);
    expect(f.readBigUInt64BE(24)).toBe(1n);
    expect(f.readBigUInt64BE(32)).toBe(1234n);
    expect(f.toString('latin1', 40, 80)).toBe(NAMES[0]);
    expect(f[80]).toBe(0xff); // slots 0..7
    expect(f[80 + (5460 >> 3)]).toBe(0b0001_1111); // slots 5456..5460
    expect(f[80 + (5461 >> 3)] & (1 << (5461 & 7))).toBe(0);
    expect(f.readUInt16BE(2246)).toBe(0); // pport
    expect(f.readUInt16BE(2248)).toBe(41001);
    expect(f.readUInt16BE(2250)).toBe(NodeFlag.MASTER | NodeFlag.MYSELF);
    for (let i = 0; i < 3; i++) {
      const g = 2256 + i * 104;
      expect(f.toString('latin1', g, g + 40)).toBe(NAMES[3 + i]);
      expect(f.readUInt32BE(g + 44)).toBe(1_795_280_003 + i);
      expect(f.toString('latin1', g + 48, g + 57)).toBe('127.0.0.1');
      expect(f.readUInt16BE(g + 94)).toBe(31004 + i);
      expect(f.readUInt16BE(g + 96)).toBe(41004 + i);
      expect(f.readUInt16BE(g + 98)).toBe(NodeFlag.SLAVE);
    }
    // The bytes Redis leaves zero are zero in both frames, at the same places.
    const zeroRanges: Array<[number, number]> = [
      [2128, 2168], // slaveof of a master
      [2168, 2214], // myip without cluster-announce-ip
      [2214, 2246], // extensions + notused1
      [2252, 2256], // state ok + mflags
    ];
    for (let i = 0; i < 3; i++) zeroRanges.push([2256 + i * 104 + 57, 2256 + i * 104 + 94]); // ip padding
    for (const [a, b] of zeroRanges) {
      expect(f.subarray(a, b).every((x) => x === 0), `ours ${a}..${b}`).toBe(true);
      expect(real.subarray(a, b).every((x) => x === 0), `real ${a}..${b}`).toBe(true);
    }
  });

  it.each(Object.entries(EXAMPLES))('bus: %s round-trips', (_name, m) => {
    const f = encodeBusMessage(m);
    expect(f.readUInt32BE(4)).toBe(f.length);
    expect(decodeBusMessage(f)).toEqual(m);
    expect(encodeBusMessage(decodeBusMessage(f)).equals(f)).toBe(true);
  });

  it('bus: the encoder sets FLAG0_EXT_DATA and counts extensions itself', () => {
    const m: BusMessage = {
      header: header(BusType.PONG),
      body: { kind: 'ping', gossip: [], exts: [{ kind: 'hostname', hostname: 'abcdefg' }] },
    };
    const f = encodeBusMessage(m);
    expect(f[2253] & MFlag0.EXT_DATA).toBe(MFlag0.EXT_DATA);
    expect(f.readUInt16BE(2214)).toBe(1);
    expect(f.length).toBe(2256 + 8 + 8); // "abcdefg\0" is exactly 8
  });

  it('bus: known layouts match their sizes in cluster.c', () => {
    const len = (name: string) => encodeBusMessage(EXAMPLES[name]).length;
    expect(len('fail')).toBe(2296);
    expect(len('update')).toBe(4352);
    expect(len('auth ack')).toBe(BUS_HEADER_LEN);
    expect(len('publish')).toBe(2256 + 8 + 4 + 18);
    expect(len('module')).toBe(2256 + 13 + 3);
  });

  it('bus: the encoder refuses a body that does not fit the type code', () => {
    const bad = { header: header(BusType.PING), body: { kind: 'fail', nodename: NAMES[1] } } as BusMessage;
    expect(() => encodeBusMessage(bad)).toThrow(expect.objectContaining({ code: 'TYPE_MISMATCH' }));
    const unknown = { header: header(99), body: { kind: 'empty' } } as BusMessage;
    expect(() => encodeBusMessage(unknown)).toThrow(expect.objectContaining({ code: 'TYPE_MISMATCH' }));
  });

  it('bus: the encoder refuses fields that do not fit instead of truncating', () => {
    const cases: Array<Partial<BusHeader>> = [
      { sender: 'short' },
      { slaveof: 'x'.repeat(41) },
      { myip: 'x'.repeat(47) },
      { myip: 'a\0b' },
      { port: 65536 },
      { flags: -1 },
      { state: 256 },
      { currentEpoch: -1n },
      { offset: 2n ** 64n },
      { mflags: [0, 0, 300] },
      { mflags: [0] as unknown as [number, number, number] },
      { myslots: new Uint8Array(10) },
      { reserved: new Uint8Array(29) },
      { sender: '\u0100'.repeat(40) },
    ];
    for (const c of cases) {
      const m: BusMessage = { header: header(BusType.MFSTART, c), body: { kind: 'empty' } };
      expect(() => encodeBusMessage(m), JSON.stringify(Object.keys(c))).toThrow(BusProtocolError);
    }
    const ext: BusMessage = {
      header: header(BusType.PING),
      body: { kind: 'ping', gossip: [], exts: [{ kind: 'raw', type: 9, data: Buffer.alloc(5) }] },
    };
    expect(() => encodeBusMessage(ext)).toThrow(expect.objectContaining({ code: 'BAD_FIELD' }));
  });
});

describe('bus decoder validation (cluster.c clusterProcessPacket)', () => {
  const ping = () => Buffer.from(encodeBusMessage(EXAMPLES.ping));
  const code = (f: Buffer) => {
    try {
      decodeBusMessage(f);
    } catch (e) {
      expect(e).toBeInstanceOf(BusProtocolError);
      return (e as BusProtocolError).code;
    }
    return 'OK';
  };

  it('bus: a wrong signature is BAD_SIGNATURE', () => {
    const f = ping();
    f.write('RCmB', 0, 'latin1');
    expect(code(f)).toBe('BAD_SIGNATURE');
  });

  it('bus: a frame shorter than its prefix or than a header is BAD_LENGTH', () => {
    expect(code(Buffer.from('RCmb'))).toBe('BAD_LENGTH');
    const f = ping().subarray(0, 100);
    f.writeUInt32BE(100, 4);
    expect(code(Buffer.from(f))).toBe('BAD_LENGTH');
  });

  it('bus: totlen other than the bytes given is LENGTH_MISMATCH', () => {
    const f = ping();
    expect(code(f.subarray(0, f.length - 1))).toBe('LENGTH_MISMATCH');
    expect(code(Buffer.concat([f, Buffer.alloc(1)]))).toBe('LENGTH_MISMATCH');
  });

  it('bus: a version other than 1 is BAD_VERSION', () => {
    const f = ping();
    f.writeUInt16BE(2, 8);
    expect(code(f)).toBe('BAD_VERSION');
  });

  it('bus: a count that disagrees with totlen is LENGTH_MISMATCH', () => {
    for (const count of [0, 2, 4, 65535]) {
      const f = ping();
      f.writeUInt16BE(count, 14);
      expect(code(f)).toBe('LENGTH_MISMATCH');
    }
  });

  it('bus: every fixed layout insists on its exact length', () => {
    for (const type of [BusType.FAIL, BusType.UPDATE, BusType.FAILOVER_AUTH_ACK, BusType.MFSTART]) {
      const f = ping(); // 2568 bytes: right for a PING, wrong for these
      f.writeUInt16BE(type, 12);
      expect(code(f)).toBe('LENGTH_MISMATCH');
    }
  });

  it('bus: PUBLISH lengths that overflow 32 bits do not wrap around', () => {
    const f = Buffer.from(encodeBusMessage(EXAMPLES.publish));
    // 7.0 adds these in a uint32_t: 0xFFFFFFFF + 23 wraps to 22 = the real lengths' sum.
    f.writeUInt32BE(0xffffffff, 2256);
    f.writeUInt32BE(23, 2260);
    expect(code(f)).toBe('LENGTH_MISMATCH');
  });

  it('bus: a truncated extension or one of a bad length is BAD_EXTENSION', () => {
    const good = Buffer.from(encodeBusMessage(EXAMPLES['ping with every extension']));
    const firstExt = 2256 + 104;
    // 0x10008: 7.0 validates the length as a uint16_t (8, fine) but walks with the u32.
    for (const len of [0, 4, 12, 0x10008, 1_000_000]) {
      const f = Buffer.from(good);
      f.writeUInt32BE(len, firstExt);
      expect(code(f), `length ${len}`).toBe('BAD_EXTENSION');
    }
    const more = Buffer.from(good);
    more.writeUInt16BE(6, 2214); // one more extension than the frame holds
    expect(code(more)).toBe('BAD_EXTENSION');
    const noFlag = Buffer.from(good);
    noFlag[2253] &= ~MFlag0.EXT_DATA;
    expect(code(noFlag)).toBe('BAD_EXTENSION');
  });

  it('bus: a frame of an unknown type decodes to a raw body and re-encodes identically', () => {
    for (const type of [11, 12, 200, 65535]) {
      const f = ping();
      f.writeUInt16BE(type, 12);
      const m = decodeBusMessage(f);
      expect(m.body.kind).toBe('raw');
      expect(m.body).toMatchObject({ count: 3, extensions: 0 });
      expect(encodeBusMessage(m).equals(f)).toBe(true);
    }
  });
});
