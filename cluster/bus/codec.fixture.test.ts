import { describe, expect, it } from 'vitest';
import { decodeBusMessage, encodeBusMessage } from './codec.js';
import { BusType, MFlag0, NodeFlag } from './constants.js';
import {
  FRAME_FIXTURES,
  loadClusterNodes,
  loadFixture,
  loadManifest,
  type CapturedNode,
} from './fixtures/fixtures.js';
import { type BusMessage, type PingBody, slotBitmapToRanges } from './message.js';

const nodes = loadClusterNodes();
const manifest = loadManifest();
const byPort = (port: number): CapturedNode => {
  const n = nodes.find((x) => x.port === port);
  if (!n) throw new Error(`no captured node on port ${port}`);
  return n;
};
const byName = (name: string): CapturedNode | undefined => nodes.find((x) => x.name === name);

function decodeFixture(name: (typeof FRAME_FIXTURES)[number]): BusMessage {
  return decodeBusMessage(loadFixture(name));
}
function pingBody(m: BusMessage): PingBody {
  if (m.body.kind !== 'ping') throw new Error(`expected a ping body, got ${m.body.kind}`);
  return m.body;
}

describe('bus codec on frames captured from Redis 7.0.15', () => {
  it('bus: the real 6-node PING has the documented raw layout', () => {
    const f = loadFixture('ping-6nodes');
    expect(f.toString('latin1', 0, 4)).toBe('RCmb');
    expect(f.readUInt32BE(4)).toBe(2568);
    expect(f.length).toBe(2568);
    expect(f.readUInt16BE(8)).toBe(1); // ver
    expect(f.readUInt16BE(12)).toBe(BusType.PING);
    expect(f.readUInt16BE(14)).toBe(3); // count = max(3, floor(6/10)) gossip entries
    expect(f.readUInt16BE(2214)).toBe(0); // no extensions: 7.0 only sends a hostname
    expect(f.subarray(2216, 2246).every((b) => b === 0)).toBe(true); // notused1
  });

  it('bus: the real 6-node PING decodes field by field', () => {
    const m = decodeFixture('ping-6nodes');
    const me = byPort(31001);
    const h = m.header;
    expect(h.type).toBe(BusType.PING);
    expect(h.sender).toMatch(/^[0-9a-f]{40}$/);
    expect(h.sender).toBe(me.name);
    expect(h.port).toBe(31001);
    expect(h.cport).toBe(41001);
    expect(h.pport).toBe(0); // plaintext cluster: deriveAnnouncedPorts gives 0
    // myself->flags verbatim: MYSELF included, and MIGRATE_TO, which clusterCron sets on
    // a master that has a working replica (eligible target of replica migration).
    expect(h.flags).toBe(NodeFlag.MASTER | NodeFlag.MYSELF | NodeFlag.MIGRATE_TO);
    expect(h.slaveof).toBeNull();
    expect(h.myip).toBe(''); // no cluster-announce-ip
    expect(h.state).toBe(0);
    expect(h.mflags).toEqual([0, 0, 0]);
    expect(h.reserved).toBeUndefined();
    expect(h.configEpoch).toBe(me.configEpoch);
    expect(h.currentEpoch).toBeGreaterThanOrEqual(6n); // --cluster create gives epochs 1..6
    expect(slotBitmapToRanges(h.myslots)).toEqual(me.slots);
    expect(me.slots).toEqual([[0, 5460]]);

    const body = pingBody(m);
    expect(body.exts).toEqual([]);
    expect(body.gossip).toHaveLength(3);
    const seen = new Set<string>();
    for (const g of body.gossip) {
      const peer = byName(g.nodename);
      expect(peer, `gossip about ${g.nodename}`).toBeDefined();
      expect(g.nodename).not.toBe(h.sender);
      expect(seen.has(g.nodename)).toBe(false);
      seen.add(g.nodename);
      expect(g.ip).toBe('127.0.0.1');
      expect(g.port).toBe(peer!.port);
      expect(g.cport).toBe(peer!.cport);
      expect(g.cport).toBe(g.port + 10000);
      expect(g.pport).toBe(0);
      expect(g.notused).toBeUndefined();
      const role = peer!.flags.includes('master') ? NodeFlag.MASTER : NodeFlag.SLAVE;
      expect(g.flags & (NodeFlag.MASTER | NodeFlag.SLAVE)).toBe(role);
      expect(g.flags & NodeFlag.MYSELF).toBe(0);
      // seconds, not milliseconds (clusterSetGossipEntry divides by 1000)
      expect(g.pongReceived).toBeGreaterThan(1_600_000_000);
      expect(g.pongReceived).toBeLessThan(2 ** 32);
    }
  });

  it('bus: the real 6-node PONG decodes like the PING it answers', () => {
    const m = decodeFixture('pong-6nodes');
    expect(m.header.type).toBe(BusType.PONG);
    expect(m.header.sender).toBe(byPort(31001).name);
    expect(slotBitmapToRanges(m.header.myslots)).toEqual([[0, 5460]]);
    expect(pingBody(m).gossip).toHaveLength(3);
    expect(loadFixture('pong-6nodes').length).toBe(2568);
  });

  it("bus: a replica's PING carries its master's name and slots", () => {
    const m = decodeFixture('ping-replica-6nodes');
    const me = byPort(manifest['ping-replica-6nodes'].senderPort);
    const master = byName(me.master!)!;
    expect(m.header.flags).toBe(NodeFlag.SLAVE | NodeFlag.MYSELF);
    expect(m.header.slaveof).toBe(master.name);
    expect(slotBitmapToRanges(m.header.myslots)).toEqual(master.slots);
    expect(m.header.configEpoch).toBe(master.configEpoch);
    expect(m.header.offset).toBeGreaterThanOrEqual(0n);
  });

  it('bus: an announced hostname travels as a padded ping extension with FLAG0_EXT_DATA', () => {
    const f = loadFixture('ping-hostname');
    const m = decodeBusMessage(f);
    expect(m.header.mflags[0] & MFlag0.EXT_DATA).toBe(MFlag0.EXT_DATA);
    expect(pingBody(m).exts).toEqual([{ kind: 'hostname', hostname: 'node2.kvnetlab.test' }]);
    // 2256 + 3 x 104 + 8 (ext header) + 24 ("node2.kvnetlab.test\0" padded to 8)
    expect(f.length).toBe(2600);
    expect(f.readUInt16BE(2214)).toBe(1);
    expect(f.readUInt32BE(2568)).toBe(32); // ext length comes first ...
    expect(f.readUInt16BE(2572)).toBe(0); // ... then its type (HOSTNAME)
  });

  it('bus: a master paused for a manual failover says so in mflags', () => {
    const m = decodeFixture('ping-paused');
    expect(m.header.mflags[0] & MFlag0.PAUSED).toBe(MFlag0.PAUSED);
    expect(m.header.flags & NodeFlag.MASTER).toBe(NodeFlag.MASTER);
  });

  it('bus: PUBLISH and PUBLISHSHARD carry channel and message', () => {
    const p = decodeFixture('publish');
    expect(p.header.type).toBe(BusType.PUBLISH);
    expect(p.body).toEqual({ kind: 'publish', channel: Buffer.from('kvnetlab-chan'), message: Buffer.from('hello-bus') });
    expect(loadFixture('publish').length).toBe(2256 + 8 + 13 + 9);
    const s = decodeFixture('publishshard');
    expect(s.header.type).toBe(BusType.PUBLISHSHARD);
    expect(s.body).toEqual({ kind: 'publish', channel: Buffer.from('kvnetlab-shard'), message: Buffer.from('hello-shard') });
  });

  it('bus: FAIL names the killed master', () => {
    const m = decodeFixture('fail');
    expect(m.header.type).toBe(BusType.FAIL);
    expect(m.body).toEqual({ kind: 'fail', nodename: byPort(31001).name });
    expect(loadFixture('fail').length).toBe(2296);
  });

  it('bus: failover messages have no body, and a manual one forces the ACK', () => {
    for (const name of ['mfstart', 'auth-request', 'auth-request-forceack', 'auth-ack'] as const) {
      const m = decodeFixture(name);
      expect(m.body).toEqual({ kind: 'empty' });
      expect(loadFixture(name).length).toBe(2256);
    }
    expect(decodeFixture('mfstart').header.type).toBe(BusType.MFSTART);
    expect(decodeFixture('mfstart').header.flags & NodeFlag.SLAVE).toBe(NodeFlag.SLAVE);
    expect(decodeFixture('auth-request').header.type).toBe(BusType.FAILOVER_AUTH_REQUEST);
    expect(decodeFixture('auth-request').header.mflags[0] & MFlag0.FORCEACK).toBe(0);
    expect(decodeFixture('auth-request-forceack').header.mflags[0] & MFlag0.FORCEACK).toBe(MFlag0.FORCEACK);
    expect(decodeFixture('auth-ack').header.type).toBe(BusType.FAILOVER_AUTH_ACK);
    expect(decodeFixture('auth-ack').header.flags & NodeFlag.MASTER).toBe(NodeFlag.MASTER);
  });

  it('bus: UPDATE carries a slot owner, its epoch and its whole bitmap', () => {
    const m = decodeFixture('update');
    expect(loadFixture('update').length).toBe(4352);
    if (m.body.kind !== 'update') throw new Error('not an update');
    expect(m.body.nodename).toMatch(/^[0-9a-f]{40}$/);
    expect(m.body.configEpoch).toBeGreaterThan(0n);
    expect([[[0, 5460]], [[5461, 10922]], [[10923, 16383]]]).toContainEqual(slotBitmapToRanges(m.body.slots));
  });

  it('bus: MEET is a PING-shaped message', () => {
    const m = decodeFixture('meet');
    expect(m.header.type).toBe(BusType.MEET);
    expect(pingBody(m).gossip).toHaveLength(manifest.meet.count);
  });

  it.each(FRAME_FIXTURES)('bus: %s re-encodes byte for byte', (name) => {
    const f = loadFixture(name);
    const m = decodeBusMessage(f);
    expect(m.header.type).toBe(manifest[name].type);
    expect(encodeBusMessage(m).equals(f)).toBe(true);
  });
});
