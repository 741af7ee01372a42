/**
 * In-process tests of the cluster bus engine against Redis 7.0.15's cluster.c, in the
 * simulated cluster of test/support/bus-sim.ts (in-memory links, fake clock).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { F } from './node-flags.js';
import { SLOTS } from './cluster-node.js';
import { BUS_HEADER_LEN, BusType, GOSSIP_ENTRY_LEN, HDR } from '../bus/constants.js';
import { encodeBusMessage } from '../bus/codec.js';
import { busHeader } from '../bus/message.js';
import { seeded } from '../../test/support/seeded-random.js';
import { HOST, START, type SimNode, SimCluster } from '../../test/support/bus-sim.js';

/** BUS_TEST_SEED=<n> replays the suite with another random sequence. */
const SEED = Number(process.env.BUS_TEST_SEED ?? 0x5eed);
beforeEach(() => {
  vi.spyOn(Math, 'random').mockImplementation(seeded(SEED));
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('bus engine (in-process cluster, fake clock)', () => {
  it('bus: two nodes complete a MEET handshake, learn real names and each other\'s slots', async () => {
    const c = new SimCluster();
    const a = c.add();
    const b = c.add();
    c.addSlots(a, 0, 8191);
    c.addSlots(b, 8192, SLOTS - 1);

    // CLUSTER MEET on A: a HANDSHAKE|MEET node with a random name until B's first PONG.
    expect(a.engine.startHandshake(HOST, b.port, b.cport)).toBe(true);
    expect(a.engine.startHandshake(HOST, b.port, b.cport)).toBe(false);
    const pending = [...a.state.nodes.values()].find((n) => n !== a.state.myself)!;
    expect(pending.flags & (F.HANDSHAKE | F.MEET)).toBe(F.HANDSHAKE | F.MEET);
    expect(pending.name).not.toBe(b.name);

    // Names are learned from the first PONG each way; slots from the first PING or PONG
    // after that (the packet that completes a handshake is processed as from an unknown
    // sender), which the ~1/s random-ping rule sends within a second or two.
    const doneAt = await c.until(() => c.converged() && b.state.slots[0] !== null && a.state.slots[SLOTS - 1] !== null, 3_000, 'names and slots');
    expect(doneAt - START).toBeLessThanOrEqual(2_000);
    for (const [me, other] of [
      [a, b],
      [b, a],
    ]) {
      expect(me.state.nodes.size).toBe(2);
      const v = c.view(me, other);
      expect(v.flags & (F.HANDSHAKE | F.MEET | F.NOADDR)).toBe(0);
      expect(v.flags & F.MASTER).toBe(F.MASTER);
      expect([v.ip, v.port, v.cport]).toEqual([HOST, other.port, other.cport]);
      expect(me.engine.hasLink(v)).toBe(true);
    }
    // The slots came with the PINGs' myslots bitmaps (clusterUpdateSlotsConfigWith).
    expect(b.state.slots[0]).toBe(c.view(b, a));
    expect(b.state.slots[8191]).toBe(c.view(b, a));
    expect(a.state.slots[8192]).toBe(c.view(a, b));
    expect(a.state.slots[SLOTS - 1]).toBe(c.view(a, b));
    expect(c.view(a, b).numSlots).toBe(8192);
    expect(c.view(b, a).numSlots).toBe(8192);
    expect(a.state.health).toBe('ok');
    expect(b.state.health).toBe('ok');
    // Exactly one MEET: the first packet on A's new link (clusterLinkConnectHandler).
    expect(c.net.frames.filter((f) => f.type === BusType.MEET)).toHaveLength(1);
    expect(c.net.frames.filter((f) => f.type === BusType.MEET)[0].from).toBe(a.cport);
  });

  it('bus: six nodes MEETing one seed learn each other through gossip; PING/PONG are 2256 + 104 x entries bytes', async () => {
    const c = new SimCluster();
    for (let i = 0; i < 6; i++) c.add();
    const joinedAt = await c.join();
    expect(joinedAt - START).toBeLessThan(5_000);
    for (const n of c.nodes) {
      expect(n.state.nodes.size).toBe(6); // cluster_known_nodes
      expect([...n.state.nodes.values()].filter((v) => v.flags & F.HANDSHAKE)).toHaveLength(0);
    }
    // cluster.c clusterProcessGossipSection adds a node it hears of under its real name
    // and PINGs it; only the five CLUSTER MEETs put MEET packets on the wire.
    expect(c.net.frames.filter((f) => f.type === BusType.MEET)).toHaveLength(5);

    c.clearCounters();
    await c.tick(20_000);
    const pingLike = c.net.frames.filter((f) => f.type === BusType.PING || f.type === BusType.PONG);
    expect(pingLike.length).toBeGreaterThan(6 * 20); // about 2 per node per second
    expect(c.net.frames.every((f) => f.type === BusType.PING || f.type === BusType.PONG)).toBe(true);
    const histogram = new Map<number, number>();
    for (const f of pingLike) {
      // Fixed header, then `count` gossip entries, no extension (no hostname announced).
      expect(f.bytes).toBe(BUS_HEADER_LEN + GOSSIP_ENTRY_LEN * f.count);
      histogram.set(f.count, (histogram.get(f.count) ?? 0) + 1);
    }
    // wanted = max(3, floor(6/10)) = 3 out of 4 "fresh" nodes, found by at most 3 x 3
    // random dictGetRandomKey picks that may hit ourselves or repeat. Redis gives up
    // after 9 picks: P(only 2 distinct) ~ C(5,2)/2^9 ~ 2 %, P(only 1) ~ 5/3^9 ~ 0.03 %.
    // That is DESIGN.md's "98 % of bus segments 2568 B" measured on redis-server 7.0.
    expect([...histogram.keys()].every((k) => k >= 1 && k <= 3)).toBe(true);
    expect((histogram.get(3) ?? 0) / pingLike.length).toBeGreaterThan(0.95);
    expect(histogram.get(2) ?? 0).toBeLessThan(pingLike.length * 0.05);
  });

  it('bus: an idle 6-node cluster sends about one PING per node per second, each answered by a PONG', async () => {
    const c = new SimCluster();
    for (let i = 0; i < 6; i++) c.add(); // cluster-node-timeout 15000 (the default)
    await c.join();
    await c.tick(5_000);
    c.clearCounters();
    await c.tick(60_000);

    // Expected PINGs per node per simulated minute (cluster.c clusterCron):
    //  - 600 cron runs; on the 60 with iteration % 10 == 0, one PING to the node with the
    //    oldest pong_received among 5 dictGetRandomKey picks. A run sends nothing only if
    //    no pick is eligible (not myself, linked, no ping in flight); PONGs here come back
    //    within the same 100 ms, so P(skip) = (1/6)^5 ~ 1e-4: about 60 PINGs.
    //  - plus a PING to any peer whose pong_received is older than node_timeout/2 = 7.5 s,
    //    at most once per 7.5 s per peer: at most 5 x 8 = 40 more. Gossip refreshes
    //    pong_received too (clusterProcessGossipSection), so few of these fire.
    //  => 57 <= PINGs <= 100; every PING gets its PONG on the same link.
    const perNode: Array<{ ping: number; pong: number; pongIn: number; bytes: number }> = [];
    for (const n of c.nodes) {
      const ping = c.sent(n, BusType.PING).length;
      const pong = c.sent(n, BusType.PONG).length;
      const pongIn = c.net.frames.filter((f) => f.to === n.cport && f.type === BusType.PONG).length;
      const bytes = c.net.frames.filter((f) => f.from === n.cport).reduce((s, f) => s + f.bytes, 0);
      perNode.push({ ping, pong, pongIn, bytes });
      expect(ping).toBeGreaterThanOrEqual(57);
      expect(ping).toBeLessThanOrEqual(100);
      expect(n.engine.sent.get('ping')).toBe(ping);
      // Every PING this node sent came back as a PONG...
      expect(pongIn).toBe(ping);
      expect(n.engine.received.get('pong')).toBe(ping);
      // ...and it answered every PING it got.
      expect(pong).toBe(n.engine.received.get('ping'));
    }
    expect(c.net.frames.every((f) => !f.heldBack)).toBe(true);
    const pings = perNode.reduce((s, p) => s + p.ping, 0);
    const pongs = perNode.reduce((s, p) => s + p.pong, 0);
    expect(pongs).toBe(pings);
    // About (1 PING + 1 PONG) x 2568 B per second per node: DESIGN.md's real-Redis
    // anchor is 4.85 KiB/s per node.
    for (const p of perNode) {
      const kibPerSec = p.bytes / 60 / 1024;
      expect(kibPerSec).toBeGreaterThan(4);
      expect(kibPerSec).toBeLessThan(7);
    }
    // No failure detection fired in an idle, healthy cluster.
    for (const n of c.nodes) for (const v of n.state.nodes.values()) expect(v.flags & (F.PFAIL | F.FAIL)).toBe(0);
    console.log(
      `idle 6-node minute, per node [PING sent, PONG sent, KiB/s sent]: ${perNode.map((p) => `[${p.ping},${p.pong},${(p.bytes / 60 / 1024).toFixed(2)}]`).join(' ')}`,
    );
  });

  it('bus: a blackholed master goes PFAIL after node_timeout, FAIL by majority; FAIL clears only after node_timeout x 2', async () => {
    const nodeTimeout = 2_000;
    const c = new SimCluster();
    const masters = c.addThreeMasters({ nodeTimeout });
    const replicas = masters.map(() => c.add({ nodeTimeout }));
    // Failure detection alone: no replica may take over (failover.test.ts covers that).
    for (const r of replicas) r.settings.replicaNoFailover = true;
    await c.join();
    replicas.forEach((r, i) => c.replicate(r, masters[i]));
    await c.until(
      () => c.nodes.every((n) => n.state.health === 'ok' && replicas.every((r) => n === r || c.view(n, r).slaveof === masters[replicas.indexOf(r)].name)),
      10_000,
      'slots and roles known everywhere',
    );
    await c.tick(2_000);

    const victim = masters[0];
    const others = c.nodes.filter((n) => n !== victim);
    const pfailAt = new Map<SimNode, number>();
    const failAt = new Map<SimNode, number>();
    const watch = (): void => {
      for (const o of others) {
        const v = c.view(o, victim);
        if (v.flags & F.PFAIL && !pfailAt.has(o)) pfailAt.set(o, c.now);
        if (v.flags & F.FAIL && !failAt.has(o)) failAt.set(o, c.now);
      }
    };
    c.clearCounters();
    const cutAt = c.now;
    c.net.isolate(victim.cport);

    await c.until(() => others.every((o) => c.view(o, victim).flags & F.FAIL), 10_000, 'FAIL everywhere', watch);
    // PFAIL: the first PING after the cut goes out within node_timeout/2 (+1 tick), and
    // the node is flagged when that PING is older than node_timeout (clusterCron).
    for (const o of masters.slice(1)) {
      const t = pfailAt.get(o) ?? failAt.get(o)!;
      expect(t - cutAt).toBeGreaterThan(nodeTimeout);
      expect(t - cutAt).toBeLessThanOrEqual(nodeTimeout + nodeTimeout / 2 + 300);
    }
    // FAIL: two reports of the 3 masters (quorum = 3/2 + 1 = 2), one of them our own PFAIL.
    for (const o of others) expect(failAt.get(o)! - cutAt).toBeLessThan(nodeTimeout * 2 + 1_000);
    const broadcasters = others.filter((o) => (o.engine.sent.get('fail') ?? 0) > 0);
    expect(broadcasters.length).toBeGreaterThanOrEqual(1);
    for (const b of broadcasters) {
      expect(b.logs.some((l) => l.includes(`Marking node ${victim.name} as failing (quorum reached)`))).toBe(true);
      // clusterSendFail: one FAIL per linked node, about the victim.
      expect(b.engine.sent.get('fail')).toBeGreaterThanOrEqual(4);
      expect(b.engine.sent.get('fail')).toBeLessThanOrEqual(5);
    }
    for (const o of others) {
      if (broadcasters.includes(o)) continue;
      expect(o.engine.received.get('fail') ?? 0).toBeGreaterThanOrEqual(1);
      expect(o.logs.some((l) => l.includes(`FAIL message received from`) && l.includes(`about ${victim.name}`))).toBe(true);
    }
    // Its slots are uncovered: cluster_state fail everywhere else (no failover here).
    for (const o of others) expect(o.state.health).toBe('fail');
    // The victim alone: every other node PFAIL, a minority, no quorum to mark anyone FAIL.
    await c.until(() => others.every((o) => c.view(victim, o).flags & F.PFAIL), nodeTimeout, 'the victim suspects everyone');
    expect(victim.state.health).toBe('fail');
    for (const o of others) expect(c.view(victim, o).flags & (F.PFAIL | F.FAIL)).toBe(F.PFAIL);
    expect(victim.engine.sent.get('fail') ?? 0).toBe(0);
    // Meanwhile each side drops its silent link once it is older than node_timeout with
    // a PING pending for node_timeout/2 and no data for as long (clusterCron), and dials
    // again at the next cron: a new connection about every node_timeout.
    for (const o of others) {
      const opened = c.net.links.filter((l) => l.from === o.cport && l.to === victim.cport).map((l) => l.at);
      const duringCut = opened.filter((t) => t > cutAt);
      expect(duringCut.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < opened.length; i++) if (opened[i] > cutAt) expect(opened[i] - opened[i - 1]).toBeGreaterThan(nodeTimeout);
    }

    // Reconnect it. A master that still serves slots keeps FAIL until now - fail_time >
    // node_timeout x 2 (clearNodeFailureIfNeeded), even though it answers PINGs again.
    const healAt = c.now;
    c.net.heal(victim.cport);
    const failTime = new Map(others.map((o) => [o, c.view(o, victim).failTime]));
    const pongWhileFail = new Set<SimNode>();
    const clearedAt = new Map<SimNode, number>();
    await c.until(
      () => others.every((o) => !(c.view(o, victim).flags & F.FAIL)),
      nodeTimeout * 4,
      'FAIL cleared everywhere',
      () => {
        for (const o of others) {
          const v = c.view(o, victim);
          if (v.flags & F.FAIL && v.pongReceived > healAt) pongWhileFail.add(o);
          if (!(v.flags & F.FAIL) && !clearedAt.has(o)) clearedAt.set(o, c.now);
        }
      },
    );
    expect(pongWhileFail.size).toBeGreaterThan(0);
    for (const o of others) {
      expect(clearedAt.get(o)! - failTime.get(o)!).toBeGreaterThan(nodeTimeout * 2);
      expect(o.logs.some((l) => l.includes(`Clear FAIL state for node ${victim.name}`))).toBe(true);
    }
    await c.until(() => c.nodes.every((n) => n.state.health === 'ok'), 5_000, 'cluster ok again');
    for (const n of c.nodes) for (const v of n.state.nodes.values()) expect(v.flags & (F.PFAIL | F.FAIL)).toBe(0);
  });

  it('bus: a FAILed replica is cleared as soon as it answers again', async () => {
    const nodeTimeout = 2_000;
    const c = new SimCluster();
    const masters = c.addThreeMasters({ nodeTimeout });
    const replica = c.add({ nodeTimeout });
    await c.join();
    c.replicate(replica, masters[0]);
    await c.until(() => c.nodes.every((n) => n.state.health === 'ok' && (n === replica || c.view(n, replica).flags & F.SLAVE)), 10_000, 'replica known');
    await c.tick(2_000);

    c.net.isolate(replica.cport);
    await c.until(() => masters.every((m) => c.view(m, replica).flags & F.FAIL), 10_000, 'replica FAIL');
    // A failed replica uncovers no slot.
    for (const m of masters) expect(m.state.health).toBe('ok');
    const healAt = c.now;
    c.net.heal(replica.cport);
    const clearedAt = new Map<SimNode, number>();
    await c.until(
      () => masters.every((m) => !(c.view(m, replica).flags & F.FAIL)),
      nodeTimeout * 4,
      'replica FAIL cleared',
      () => {
        for (const m of masters) {
          const v = c.view(m, replica);
          // clearNodeFailureIfNeeded: "replica is reachable again", on the first PONG.
          if (v.pongReceived > healAt && !clearedAt.has(m)) {
            expect(v.flags & F.FAIL).toBe(0);
            clearedAt.set(m, c.now);
          }
        }
      },
    );
    for (const m of masters) {
      expect(clearedAt.get(m)! - c.view(m, replica).failTime).toBeLessThan(nodeTimeout * 2);
      expect(m.logs.some((l) => l.includes(`Clear FAIL state for node ${replica.name}`))).toBe(true);
    }
  });

  it('bus: of two masters with the same configEpoch, the one with the smaller name takes a new epoch', async () => {
    const c = new SimCluster();
    const small = c.add({ configEpoch: 7n });
    const large = c.add({ configEpoch: 7n });
    expect(small.name < large.name).toBe(true);
    c.addSlots(small, 0, 99);
    c.addSlots(large, 100, 199);
    expect(large.engine.startHandshake(HOST, small.port, small.cport)).toBe(true);
    await c.until(() => c.converged() && small.state.myself.configEpoch !== 7n, 3_000, 'collision handled');
    await c.tick(5_000);

    // clusterHandleConfigEpochCollision: "if this node has the lexicographically smaller
    // Node ID ... it will assign itself the greatest configuration epoch currently
    // detected among nodes plus 1"; the greater Node ID never moves.
    expect(small.state.myself.configEpoch).toBe(8n);
    expect(large.state.myself.configEpoch).toBe(7n);
    expect(small.state.currentEpoch).toBe(8n);
    expect(large.state.currentEpoch).toBe(8n);
    expect(c.view(large, small).configEpoch).toBe(8n);
    expect(c.view(small, large).configEpoch).toBe(7n);
    expect(small.logs.filter((l) => l.includes('configEpoch collision'))).toHaveLength(1);
    expect(large.logs.filter((l) => l.includes('configEpoch collision'))).toHaveLength(0);
  });

  it('bus: colliding config epochs of several masters all end unique, the largest name keeps its epoch', async () => {
    const c = new SimCluster();
    for (let i = 0; i < 4; i++) c.add(); // fresh nodes: configEpoch 0 everywhere
    await c.join();
    const epochs = () => c.nodes.map((n) => n.state.myself.configEpoch);
    await c.until(() => new Set(epochs()).size === 4, 10_000, 'unique epochs');
    const settled = epochs();
    await c.tick(5_000);
    expect(epochs()).toEqual(settled);
    expect(settled[3]).toBe(0n);
    // Everyone agrees on everyone's epoch and on the largest as currentEpoch.
    const max = settled.reduce((a, b) => (a > b ? a : b));
    for (const n of c.nodes) {
      expect(n.state.currentEpoch).toBe(max);
      for (const o of c.nodes) if (o !== n) expect(c.view(n, o).configEpoch).toBe(o.state.myself.configEpoch);
    }
  });

  it('bus: a master still claiming slots with an older epoch gets an UPDATE and gives them up', async () => {
    const c = new SimCluster();
    const [a, b, third] = c.addThreeMasters();
    await c.join();
    await c.until(() => c.nodes.every((n) => n.state.health === 'ok'), 5_000, 'slots known');
    a.keys.set(42, 3);

    // B takes slots 0..99 from A with a new epoch (what a failover or SETSLOT NODE does),
    // while A and B cannot talk: A only hears of it through the third node.
    c.net.cut(a.cport, b.cport);
    const aInB = c.view(b, a);
    for (let s = 0; s <= 99; s++) {
      b.state.unassignSlot(s);
      b.state.assignSlot(s, b.state.myself);
    }
    b.state.currentEpoch = 4n;
    b.state.myself.configEpoch = 4n;
    expect(aInB.numSlots).toBe(5461 - 100);

    c.clearCounters();
    await c.until(() => a.state.slots[0] === c.view(a, b), 5_000, 'A gives slot 0 to B');
    await c.tick(1_000);
    // clusterProcessPacket: the third node sees A claim slots whose owner (B, epoch 4)
    // is newer than A's epoch 1, and sends A an UPDATE about B (clusterSendUpdate).
    expect(third.engine.sent.get('update') ?? 0).toBeGreaterThanOrEqual(1);
    expect(a.engine.received.get('update') ?? 0).toBeGreaterThanOrEqual(1);
    const updates = c.net.frames.filter((f) => f.type === BusType.UPDATE && !f.heldBack);
    expect(updates.every((f) => f.from === third.cport && f.to === a.cport)).toBe(true);
    expect(c.net.frames.some((f) => f.from === b.cport && f.to === a.cport && !f.heldBack)).toBe(false);
    // A: slots 0..99 are B's now, the rest stays A's; the keys of slot 42 are dropped.
    for (const s of [0, 42, 99]) expect(a.state.slots[s]).toBe(c.view(a, b));
    expect(a.state.slots[100]).toBe(a.state.myself);
    expect(a.state.myself.numSlots).toBe(5461 - 100);
    expect(a.state.myself.flags & F.MASTER).toBe(F.MASTER);
    expect(c.view(a, b).configEpoch).toBe(4n);
    expect(a.deletedSlots).toEqual([42]);
    // Once A stops claiming them, no more UPDATEs.
    const before = third.engine.sent.get('update');
    await c.tick(5_000);
    expect(third.engine.sent.get('update')).toBe(before);
  });

  it('bus: a node that cannot even be dialled is still flagged PFAIL after node_timeout', async () => {
    for (const how of ['refused', 'throws'] as const) {
      const nodeTimeout = 2_000;
      const c = new SimCluster();
      for (let i = 0; i < 3; i++) c.add({ nodeTimeout });
      await c.join();
      await c.tick(3_000);
      const [a, b, dead] = c.nodes;
      const killedAt = c.now;
      c.kill(dead, how);
      await c.net.settle();
      expect(a.engine.hasLink(c.view(a, dead)), how).toBe(false);
      const seen = await c.until(() => [a, b].every((n) => c.view(n, dead).flags & (F.PFAIL | F.FAIL)), nodeTimeout * 2, `${how}: PFAIL`);
      // refused: the PING queued on each new link starts the clock. throws: no link at
      // all, so clusterNodeCronHandleReconnect claims a PING was sent when dialling failed.
      expect(seen - killedAt, how).toBeGreaterThan(nodeTimeout);
      expect(seen - killedAt, how).toBeLessThanOrEqual(nodeTimeout + 300);
    }
  });

  it('bus: an unreachable node moves to the address a peer gossips, unless that peer suspects it too', async () => {
    const nodeTimeout = 2_000;
    const c = new SimCluster();
    for (let i = 0; i < 3; i++) c.add({ nodeTimeout });
    await c.join();
    await c.tick(1_000);
    const [a, b, moved] = c.nodes;
    c.net.isolate(moved.cport);
    // (No slots, so cluster size 0 and quorum 1: B's report may turn PFAIL into FAIL at once.)
    await c.until(() => (c.view(a, moved).flags & (F.PFAIL | F.FAIL)) !== 0, nodeTimeout * 2, 'PFAIL');

    // A PING from B (B's real header) whose gossip says where `moved` is now.
    const ping = (flags: number): Buffer => {
      const v = c.view(b, moved);
      return encodeBusMessage({
        header: b.engine.header(BusType.PING),
        body: { kind: 'ping', gossip: [{ nodename: v.name, pingSent: 0, pongReceived: 0, ip: HOST, port: 7100, cport: 17100, flags, pport: 0 }], exts: [] },
      });
    };
    const link = c.net.outbound(a.cport, b.cport)!;
    // The peer reports it PFAIL as well: its address is no better than ours (cluster.c 7.0).
    link.server!.write(ping(F.MASTER | F.PFAIL));
    await c.net.settle();
    expect([c.view(a, moved).port, c.view(a, moved).cport]).toEqual([moved.port, moved.cport]);
    // The peer sees it healthy there: take that address, drop the old link.
    link.server!.write(ping(F.MASTER));
    await c.net.settle();
    expect([c.view(a, moved).ip, c.view(a, moved).port, c.view(a, moved).cport]).toEqual([HOST, 7100, 17100]);
    expect(a.engine.hasLink(c.view(a, moved))).toBe(false);
  });

  it('bus: a PING sent back on an inbound link (as MFSTART is answered) does not start the failure-detection clock', async () => {
    const c = new SimCluster();
    for (let i = 0; i < 2; i++) c.add();
    await c.join();
    await c.tick(1_000);
    const [a, b] = c.nodes;
    c.replicate(b, a);
    await c.until(() => c.view(a, b).slaveof === a.name, 3_000, 'A knows B replicates it');
    // cluster.c answers MFSTART with clusterSendPing(link, PING) on the link it came in
    // on; ping_sent is only set `if (!link->inbound && type == CLUSTERMSG_TYPE_PING)`.
    const bToA = c.net.outbound(b.cport, a.cport)!; // A's inbound link
    const pingsBefore = b.engine.received.get('ping') ?? 0;
    bToA.client.write(encodeBusMessage({ header: b.engine.header(BusType.MFSTART), body: { kind: 'empty' } }));
    await c.net.settle();
    expect(a.engine.received.get('mfstart')).toBe(1);
    expect(b.engine.received.get('ping')).toBe(pingsBefore + 1);
    expect(c.view(a, b).pingSent).toBe(0);
  });

  it('bus: a frame with a bad signature or length drops only its link, and the next cron reconnects it', async () => {
    const c = new SimCluster();
    for (let i = 0; i < 3; i++) c.add();
    await c.join();
    await c.tick(1_000);
    const [a, b, other] = c.nodes;

    // clusterReadHandler checks the first 8 bytes ("RCmb", totlen >= CLUSTERMSG_MIN_LEN);
    // past a bad prefix the stream cannot be resynchronised: handleLinkIOError frees it.
    const tooShort = Buffer.alloc(100);
    tooShort.write('RCmb', 0, 'latin1');
    tooShort.writeUInt32BE(100, HDR.totlen);
    const garbage: Array<[string, Buffer]> = [
      ['bad signature', Buffer.concat([Buffer.from('XXXX'), Buffer.alloc(BUS_HEADER_LEN)])],
      ['totlen below the 2256-byte header', tooShort],
    ];
    for (const [what, bytes] of garbage) {
      const logsBefore = a.logs.length;
      const bInA = c.view(a, b);
      const link = c.net.outbound(a.cport, b.cport)!;
      const toOther = c.net.outbound(a.cport, other.cport)!;
      expect(link, what).toBeDefined();
      // B's end of A's outbound link writes the bad bytes to A.
      link.server!.write(bytes);
      await c.net.settle();
      expect(a.logs.slice(logsBefore).some((l) => l.includes('bus: dropping link')), what).toBe(true);
      expect(a.engine.hasLink(bInA), what).toBe(false);
      expect(link.client.destroyed, what).toBe(true);
      expect(link.server!.destroyed, what).toBe(true); // B saw the close
      // Only that link: A's link to the third node is untouched.
      expect(toOther.client.destroyed, what).toBe(false);
      expect(a.engine.hasLink(c.view(a, other)), what).toBe(true);

      await c.tick(100);
      expect(a.engine.hasLink(bInA), what).toBe(true);
      const fresh = c.net.outbound(a.cport, b.cport)!;
      expect(fresh).not.toBe(link);
      const pongsBefore = a.engine.received.get('pong') ?? 0;
      await c.tick(20_000);
      expect(a.engine.received.get('pong') ?? 0).toBeGreaterThan(pongsBefore);
      expect(fresh.client.destroyed, what).toBe(false);
      for (const n of c.nodes) for (const v of n.state.nodes.values()) expect(v.flags & (F.PFAIL | F.FAIL), what).toBe(0);
      expect(c.converged(), what).toBe(true);
    }

    // The same on an inbound link: A drops it, B sees the close and reconnects.
    const inbound = c.net.outbound(b.cport, a.cport)!;
    inbound.client.write(garbage[0][1]);
    await c.net.settle();
    expect(inbound.server!.destroyed).toBe(true);
    expect(inbound.client.destroyed).toBe(true);
    expect(b.engine.hasLink(c.view(b, a))).toBe(false);
    await c.tick(100);
    expect(b.engine.hasLink(c.view(b, a))).toBe(true);
  });

  it('bus: a well-framed packet whose content is invalid is ignored and its link kept', async () => {
    const c = new SimCluster();
    for (let i = 0; i < 3; i++) c.add();
    await c.join();
    await c.tick(1_000);
    const [a, b] = c.nodes;
    const ping = (): Buffer => encodeBusMessage({ header: busHeader({ type: BusType.PING, sender: b.name }), body: { kind: 'ping', gossip: [], exts: [] } });

    // clusterProcessPacket `return 1` (packet dropped, link kept) for these.
    const badVersion = ping();
    badVersion.writeUInt16BE(2, HDR.ver);
    const badCount = ping();
    badCount.writeUInt16BE(1, HDR.count);
    for (const [what, bytes] of [
      ['protocol version 2', badVersion],
      ['totlen not matching the gossip count', badCount],
    ] as Array<[string, Buffer]>) {
      const logsBefore = a.logs.length;
      const link = c.net.outbound(a.cport, b.cport)!;
      const pingsIn = a.engine.received.get('ping') ?? 0;
      link.server!.write(bytes);
      await c.net.settle();
      expect(a.logs.slice(logsBefore).some((l) => l.includes('bus: ignoring packet')), what).toBe(true);
      expect(a.logs.slice(logsBefore).some((l) => l.includes('bus: dropping link')), what).toBe(false);
      expect(link.client.destroyed, what).toBe(false);
      expect(a.engine.received.get('ping') ?? 0, what).toBe(pingsIn); // not processed, not answered
      // The next valid frames on the same link are processed as usual.
      const pongsBefore = a.engine.received.get('pong') ?? 0;
      await c.tick(10_000);
      expect(c.net.outbound(a.cport, b.cport), what).toBe(link);
      expect(a.engine.received.get('pong') ?? 0, what).toBeGreaterThan(pongsBefore);
    }
  });
});
