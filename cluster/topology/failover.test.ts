/**
 * Automatic and manual failover against Redis 7.0's cluster.c (clusterHandleSlaveFailover,
 * clusterSendFailoverAuthIfNeeded, clusterHandleManualFailover), in the simulated cluster
 * of test/support/bus-sim.ts: in-memory links, a fake clock, fake replication offsets.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { F } from './node-flags.js';
import { BusType, MFlag0 } from '../bus/constants.js';
import { encodeBusMessage } from '../bus/codec.js';
import { seeded } from '../../test/support/seeded-random.js';
import { type SimNode, SimCluster, type WireFrame } from '../../test/support/bus-sim.js';

const SEED = Number(process.env.BUS_TEST_SEED ?? 0x5eed);
beforeEach(() => {
  vi.spyOn(Math, 'random').mockImplementation(seeded(SEED));
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** 3 masters (epochs 1..3, all slots) with `perMaster` replicas each, settled and healthy. */
async function cluster3(nodeTimeout: number, replicasOf: number[] = [0, 1, 2]) {
  const c = new SimCluster();
  const masters = c.addThreeMasters({ nodeTimeout });
  const replicas = replicasOf.map(() => c.add({ nodeTimeout }));
  await c.join();
  replicas.forEach((r, i) => c.replicate(r, masters[replicasOf[i]]));
  await c.until(
    () => c.nodes.every((n) => n.state.health === 'ok' && replicas.every((r, i) => n === r || c.view(n, r).slaveof === masters[replicasOf[i]].name)),
    // Roles travel in each node's own PING/PONG: with node_timeout 15 s a node may wait
    // up to node_timeout/2 for a given peer to talk to it.
    nodeTimeout + 5_000,
    'slots and roles known everywhere',
  );
  await c.tick(2_000);
  return { c, masters, replicas };
}

const isMasterOf = (c: SimCluster, observer: SimNode, subject: SimNode, from: number, to: number): boolean => {
  const v = c.view(observer, subject);
  return (v.flags & F.MASTER) !== 0 && observer.state.slots[from] === v && observer.state.slots[to] === v;
};

/** The cluster's current epoch before an event (the joins bump it: masters of epoch 0 collide). */
const maxEpoch = (c: SimCluster): bigint => c.nodes.reduce((m, n) => (n.state.currentEpoch > m ? n.state.currentEpoch : m), 0n);

const framesOf = (c: SimCluster, type: number, from?: SimNode): WireFrame[] =>
  c.net.frames.filter((f) => f.type === type && !f.heldBack && (from === undefined || f.from === from.cport));

describe('failover (in-process cluster, fake clock)', () => {
  it('failover: the replica of a killed master wins the election: one epoch bump, its slots on every node, soon after FAIL', async () => {
    const nodeTimeout = 2_000;
    const { c, masters, replicas } = await cluster3(nodeTimeout);
    const [victim] = masters;
    const [heir] = replicas;
    const live = c.nodes.filter((n) => n !== victim);
    c.clearCounters();
    const epoch = maxEpoch(c) + 1n;
    const killedAt = c.now;
    c.kill(victim, 'refused');

    let failAt = 0;
    const promotedAt = await c.until(
      () => live.every((n) => isMasterOf(c, n, heir, 0, 5460)),
      nodeTimeout * 4,
      'the heir serves 0..5460 everywhere',
      () => {
        if (!failAt && c.view(heir, victim).flags & F.FAIL) failAt = c.now;
      },
    );
    expect(failAt).toBeGreaterThan(killedAt + nodeTimeout);
    // The election: 500 + 0..500 ms after FAIL (rank 0), then one round trip of votes
    // (+1 cron of rounding).
    expect(promotedAt - failAt).toBeGreaterThanOrEqual(500);
    expect(promotedAt - failAt).toBeLessThanOrEqual(1_100);
    // From the kill: PFAIL within node_timeout + node_timeout/2, FAIL once a second master
    // reports it, then the election: 3.1-3.7 s over 30 seeds with node_timeout 2 s; the
    // worst case of that chain is about 2 x node_timeout + 1 s.
    expect(promotedAt - killedAt).toBeLessThanOrEqual(nodeTimeout * 2 + 1_000);

    // One new epoch: the cluster's current epoch + 1, the heir's configEpoch, known to all.
    expect(heir.state.myself.configEpoch).toBe(epoch);
    for (const n of live) {
      expect(n.state.currentEpoch).toBe(epoch);
      expect(c.view(n, heir).configEpoch).toBe(epoch);
      expect(n.state.health).toBe('ok');
    }
    expect(heir.state.myself.flags & (F.MASTER | F.SLAVE)).toBe(F.MASTER);
    expect(heir.state.myself.slaveof).toBeNull();
    expect(heir.state.myself.numSlots).toBe(5461);

    // On the wire: the heir alone asked for votes, once, with the new epoch and no FORCEACK;
    // the two live masters said yes; the heir then PONGed everyone.
    const requests = framesOf(c, BusType.FAILOVER_AUTH_REQUEST);
    expect(requests.length).toBeGreaterThanOrEqual(4);
    expect(requests.every((f) => f.from === heir.cport && f.currentEpoch === epoch && (f.mflags0 & MFlag0.FORCEACK) === 0)).toBe(true);
    const acks = framesOf(c, BusType.FAILOVER_AUTH_ACK);
    expect(acks.map((f) => f.from).sort()).toEqual([masters[1].cport, masters[2].cport].sort());
    expect(acks.every((f) => f.to === heir.cport)).toBe(true);
    const lastAck = Math.max(...acks.map((f) => f.at));
    const pongsAfter = framesOf(c, BusType.PONG, heir).filter((f) => f.at >= lastAck);
    expect(new Set(pongsAfter.map((f) => f.to))).toEqual(new Set(live.filter((n) => n !== heir).map((n) => n.cport)));
    expect(heir.logs.some((l) => l.includes(`Starting a failover election for epoch ${epoch}.`))).toBe(true);
    expect(heir.logs.some((l) => l.includes("Failover election won: I'm the new master."))).toBe(true);
    expect(heir.logs.some((l) => l.includes('failover election: delayed -> voting'))).toBe(true);
    expect(heir.logs.some((l) => l.includes('failover election: voting -> won'))).toBe(true);
    for (const m of masters.slice(1)) expect(m.logs.some((l) => l.includes(`Failover auth granted to ${heir.name} for epoch ${epoch}`))).toBe(true);
    // The other replicas' masters are fine: they never ran an election.
    for (const r of replicas.slice(1)) expect(r.engine.sent.get('auth-req') ?? 0).toBe(0);
  });

  it('failover: replicas rank by offset: the most up-to-date one is elected, the other waits 1000 ms more and then follows it', async () => {
    const nodeTimeout = 2_000;
    const { c, masters, replicas } = await cluster3(nodeTimeout, [0, 0]);
    const [behind, ahead] = replicas;
    behind.repl.offset = 500n;
    ahead.repl.offset = 900n;
    await c.tick(2_000); // the offsets travel in PING/PONG headers
    expect(c.view(behind, ahead).replOffset).toBe(900n);
    expect(behind.engine.failover.election.rank()).toBe(1);
    expect(ahead.engine.failover.election.rank()).toBe(0);

    c.kill(masters[0], 'refused');
    const live = c.nodes.filter((n) => n !== masters[0]);
    await c.until(() => live.every((n) => isMasterOf(c, n, ahead, 0, 5460)), nodeTimeout * 4, 'the ahead replica is master everywhere');
    await c.until(() => behind.state.myself.slaveof === ahead.name, 2_000, 'the other replica follows the new master');
    expect(ahead.logs.some((l) => /Start of election delayed for \d+ milliseconds \(rank #0, offset 900\)/.test(l))).toBe(true);
    const delay = behind.logs.map((l) => /Start of election delayed for (\d+) milliseconds \(rank #1, offset 500\)/.exec(l)).find(Boolean);
    expect(delay).toBeTruthy();
    expect(Number(delay![1])).toBeGreaterThanOrEqual(1500);
    expect(Number(delay![1])).toBeLessThan(2000);
    expect(behind.engine.sent.get('auth-req') ?? 0).toBe(0);
    expect(behind.logs.some((l) => l.includes(`Reconfiguring myself as a replica of ${ahead.name}`))).toBe(true);
    await c.until(() => live.every((n) => c.view(n, behind).slaveof === ahead.name), 2_000, 'everyone sees the new replication');
  });

  it('failover: a master votes once per epoch: a second candidate asking in the same epoch is refused', async () => {
    const nodeTimeout = 2_000;
    const { c, masters, replicas } = await cluster3(nodeTimeout, [0, 0]);
    const [first, second] = replicas;
    const epoch = maxEpoch(c) + 1n;
    c.kill(masters[0], 'refused');
    await c.until(() => replicas.every((r) => r.engine.failover.election.state === 'delayed'), nodeTimeout * 4, 'both replicas scheduled an election');
    // Both drew the same delay: they ask in the same cron, for the same new epoch. The
    // first one's request reaches each master first (crons run in node order).
    second.engine.failover.election.authTime = first.engine.failover.election.authTime;
    const live = c.nodes.filter((n) => n !== masters[0]);
    await c.until(() => live.every((n) => isMasterOf(c, n, first, 0, 5460)), nodeTimeout * 2, 'the first candidate is master everywhere');

    const requests = framesOf(c, BusType.FAILOVER_AUTH_REQUEST);
    expect(new Set(requests.map((f) => f.from))).toEqual(new Set([first.cport, second.cport]));
    expect(requests.every((f) => f.currentEpoch === epoch)).toBe(true);
    for (const m of masters.slice(1)) {
      expect(m.logs.some((l) => l.includes(`Failover auth granted to ${first.name} for epoch ${epoch}`))).toBe(true);
      expect(m.logs.some((l) => l.includes(`Failover auth denied to ${second.name}: already voted for epoch ${epoch}`))).toBe(true);
      expect(m.state.lastVoteEpoch).toBe(epoch);
    }
    expect(framesOf(c, BusType.FAILOVER_AUTH_ACK).every((f) => f.to === first.cport)).toBe(true);
    expect(second.engine.failover.election.authCount).toBe(0);
    await c.until(() => second.state.myself.slaveof === first.name, 2_000, 'the loser follows the winner');
  });

  it('failover: the old master, back after the failover, sees a newer epoch on its slots and becomes a replica of the winner', async () => {
    const nodeTimeout = 2_000;
    const { c, masters, replicas } = await cluster3(nodeTimeout);
    const [old] = masters;
    const [heir] = replicas;
    old.keys.set(7, 3);
    const epoch = maxEpoch(c) + 1n;
    c.net.isolate(old.cport);
    const others = c.nodes.filter((n) => n !== old);
    await c.until(() => others.every((n) => isMasterOf(c, n, heir, 0, 5460)), nodeTimeout * 4, 'failover done');
    // Cut off, the old master still believes it owns its slots with its old epoch 1.
    expect(old.state.slots[0]).toBe(old.state.myself);
    expect(old.state.myself.configEpoch).toBe(1n);

    c.net.heal(old.cport);
    await c.until(() => old.state.myself.slaveof === heir.name, nodeTimeout * 2, 'the old master replicates the heir');
    expect(old.state.myself.flags & (F.MASTER | F.SLAVE)).toBe(F.SLAVE);
    expect(old.state.myself.numSlots).toBe(0);
    expect(old.state.slots[0]).toBe(c.view(old, heir));
    expect(c.view(old, heir).configEpoch).toBe(epoch);
    expect(old.logs.some((l) => l.includes(`Configuration change detected. Reconfiguring myself as a replica of ${heir.name}`))).toBe(true);
    // Demoted, not resharded: its keys stay for the resync to replace (no delKeysInSlot).
    expect(old.deletedSlots).toEqual([]);
    await c.until(() => others.every((n) => c.view(n, old).slaveof === heir.name && !(c.view(n, old).flags & F.FAIL)), nodeTimeout * 3, 'everyone sees it as a replica');
    for (const n of c.nodes) expect(n.state.health).toBe('ok');
  });

  it('failover: an election without a majority expires after max(2 x node_timeout, 2 s) and is retried with a new epoch after twice that', async () => {
    const nodeTimeout = 2_000;
    const authTimeout = Math.max(nodeTimeout * 2, 2_000);
    const { c, masters, replicas } = await cluster3(nodeTimeout, [0]);
    const [dead, voter, silent] = masters;
    const [heir] = replicas;
    const epoch = maxEpoch(c) + 1n;
    c.kill(dead, 'refused');
    await c.until(() => (c.view(heir, dead).flags & F.FAIL) !== 0 && (c.view(silent, dead).flags & F.FAIL) !== 0, nodeTimeout * 4, 'FAIL known');
    // One of the two live masters goes silent: one vote of the two needed.
    c.net.isolate(silent.cport);
    const starts: Array<{ at: number; epoch: bigint }> = [];
    const watch = (): void => {
      const e = heir.state.currentEpoch;
      if (heir.engine.failover.election.state === 'voting' && !starts.some((x) => x.epoch === e)) starts.push({ at: c.now, epoch: e });
    };
    await c.until(() => starts.length >= 2, authTimeout * 4, 'a second election', watch);
    expect(starts.map((x) => x.epoch)).toEqual([epoch, epoch + 1n]);
    // auth_retry_time = 2 x auth_timeout after the first one was scheduled (its start
    // came 500-1000 ms after that); the second waits its own 500-1000 ms delay too.
    expect(starts[1].at - starts[0].at).toBeGreaterThan(authTimeout * 2 - 1_000);
    expect(starts[1].at - starts[0].at).toBeLessThanOrEqual(authTimeout * 2 + 1_100);
    expect(heir.logs.some((l) => l.includes('failover election: voting -> expired'))).toBe(true);
    expect(heir.logs.some((l) => l.includes('failover election: expired -> delayed'))).toBe(true);
    expect(heir.state.myself.flags & F.SLAVE).toBe(F.SLAVE);
    // The voter said yes once per election: its 2 x node_timeout window had passed.
    expect(voter.logs.filter((l) => l.includes(`Failover auth granted to ${heir.name}`))).toHaveLength(2);

    // The silent master is back: a later election gets both votes.
    c.net.heal(silent.cport);
    await c.until(() => c.nodes.filter((n) => n !== dead).every((n) => isMasterOf(c, n, heir, 0, 5460)), authTimeout * 4, 'the heir wins at last');
    expect(heir.state.myself.configEpoch).toBeGreaterThan(epoch + 1n);
    expect(heir.state.myself.configEpoch).toBe(heir.engine.failover.election.authEpoch);
  });

  it('failover: with cluster-replica-no-failover the replica announces nofailover and never asks for votes; a manual FORCE still works', async () => {
    const nodeTimeout = 2_000;
    const { c, masters, replicas } = await cluster3(nodeTimeout, [0]);
    const [replica] = replicas;
    replica.settings.replicaNoFailover = true;
    await c.until(() => masters.every((m) => (c.view(m, replica).flags & F.NOFAILOVER) !== 0), 3_000, 'nofailover known');
    c.kill(masters[0], 'refused');
    await c.until(() => (c.view(replica, masters[0]).flags & F.FAIL) !== 0, nodeTimeout * 3, 'master FAIL');
    await c.tick(3_000);
    expect(replica.engine.sent.get('auth-req') ?? 0).toBe(0);
    expect(replica.state.myself.flags & F.SLAVE).toBe(F.SLAVE);
    replica.engine.failover.startManual('force');
    const live = c.nodes.filter((n) => n !== masters[0]);
    await c.until(() => live.every((n) => isMasterOf(c, n, replica, 0, 5460)), 2_000, 'promoted by hand');
  });

  it('failover: a replica disconnected for longer than the validity factor allows does not fail over; factor 0 lets it', async () => {
    const nodeTimeout = 2_000;
    for (const factor of [10, 0]) {
      const { c, masters, replicas } = await cluster3(nodeTimeout, [0]);
      const [stale] = replicas;
      stale.settings.replicaValidityFactor = factor;
      // Link down for a minute: data age 60 s - node_timeout > 10 s ping period + 10 x 2 s.
      stale.repl.linkDownSince = c.now - 60_000;
      c.kill(masters[0], 'refused');
      await c.until(() => (c.view(stale, masters[0]).flags & F.FAIL) !== 0, nodeTimeout * 3, 'master FAIL');
      await c.tick(nodeTimeout + 6_000);
      if (factor === 0) {
        expect(stale.state.myself.flags & F.MASTER).toBe(F.MASTER);
      } else {
        expect(stale.state.myself.flags & F.SLAVE).toBe(F.SLAVE);
        expect(stale.engine.sent.get('auth-req') ?? 0).toBe(0);
        expect(stale.logs.some((l) => l.includes("Currently unable to failover: Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option."))).toBe(true);
      }
    }
  });
});

/** Default node timeout; the first master at offset 1000, its replica behind at 900; counters cleared. */
async function replicaBehind() {
  const { c, masters, replicas } = await cluster3(15_000);
  const [master] = masters;
  const [replica] = replicas;
  master.repl.offset = 1000n;
  replica.repl.offset = 900n;
  c.clearCounters();
  return { c, masters, master, replica };
}

describe('manual failover (in-process cluster, fake clock)', () => {
  it('manual failover: MFSTART, the master pauses and PINGs its offset flagged PAUSED, the replica catches up, asks with FORCEACK, wins', async () => {
    const { c, masters, master, replica } = await replicaBehind();
    const epoch = maxEpoch(c) + 1n;
    const startedAt = c.now;
    replica.engine.failover.startManual('default');
    await c.tick(1_000);

    // The master got MFSTART, paused writes for 2 x 5000 ms and PINGs the replica every
    // cron with the PAUSED flag; the replica, behind, waits.
    const mfstart = framesOf(c, BusType.MFSTART);
    expect(mfstart.map((f) => [f.from, f.to])).toEqual([[replica.cport, master.cport]]);
    expect(master.repl.pauses).toHaveLength(1);
    expect(master.repl.pauses[0] - startedAt).toBeGreaterThanOrEqual(10_000);
    expect(master.repl.pauses[0] - startedAt).toBeLessThanOrEqual(10_100);
    const paused = framesOf(c, BusType.PING, master).filter((f) => f.to === replica.cport && f.mflags0 & MFlag0.PAUSED);
    expect(paused.length).toBeGreaterThanOrEqual(9);
    expect(replica.engine.failover.manual.state).toBe('catching-up');
    expect(replica.engine.failover.manual.masterOffset).toBe(1000n);
    expect(framesOf(c, BusType.FAILOVER_AUTH_REQUEST)).toHaveLength(0);

    // Replication delivers the rest: offsets equal, the election starts with no delay.
    replica.repl.offset = 1000n;
    await c.until(() => c.nodes.every((n) => isMasterOf(c, n, replica, 0, 5460)), 2_000, 'the replica is master everywhere');
    const requests = framesOf(c, BusType.FAILOVER_AUTH_REQUEST);
    expect(requests.length).toBeGreaterThanOrEqual(5);
    expect(requests.every((f) => f.from === replica.cport && f.mflags0 & MFlag0.FORCEACK)).toBe(true);
    // Every master votes, the paused one too: FORCEACK makes "its master is up" no obstacle.
    const acks = framesOf(c, BusType.FAILOVER_AUTH_ACK);
    expect(new Set(acks.map((f) => f.from))).toEqual(new Set(masters.map((m) => m.cport)));
    const order = [mfstart[0].at, paused[0].at, requests[0].at, acks[0].at];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(replica.logs.some((l) => l.includes('All master replication stream processed, manual failover can start.'))).toBe(true);
    expect(replica.logs.join('\n')).toMatch(/manual failover: none -> waiting-offset[\s\S]*waiting-offset -> catching-up[\s\S]*catching-up -> ready[\s\S]*ready -> none/);

    // The old master learns it from the PONG, becomes a replica and resumes its clients.
    await c.until(() => master.state.myself.slaveof === replica.name, 1_000, 'the old master follows');
    expect(master.repl.resumes).toBe(1);
    expect(master.engine.failover.manual.state).toBe('none');
    expect(replica.state.myself.configEpoch).toBe(epoch);
  });

  it('manual failover: FORCE skips the offset handshake and works with the master unreachable', async () => {
    const nodeTimeout = 15_000;
    const { c, masters, replicas } = await cluster3(nodeTimeout);
    const [master] = masters;
    const [replica] = replicas;
    c.net.isolate(master.cport);
    c.clearCounters();
    replica.engine.failover.startManual('force');
    const others = c.nodes.filter((n) => n !== master);
    await c.until(() => others.every((n) => isMasterOf(c, n, replica, 0, 5460)), 2_000, 'promoted without FAIL');
    expect(framesOf(c, BusType.MFSTART)).toHaveLength(0);
    expect(master.repl.pauses).toEqual([]);
    expect(c.view(replica, master).flags & F.FAIL).toBe(0);
    expect(framesOf(c, BusType.FAILOVER_AUTH_REQUEST).every((f) => f.mflags0 & MFlag0.FORCEACK)).toBe(true);
    expect(new Set(framesOf(c, BusType.FAILOVER_AUTH_ACK).map((f) => f.from))).toEqual(new Set([masters[1].cport, masters[2].cport]));
  });

  it('manual failover: TAKEOVER asks nobody: a local epoch bump, the slots, a PONG to all', async () => {
    const { c, masters, replicas } = await cluster3(15_000);
    const [master] = masters;
    const [replica] = replicas;
    c.clearCounters();
    replica.engine.failover.startManual('takeover');
    expect(replica.state.myself.flags & F.MASTER).toBe(F.MASTER);
    // clusterBumpConfigEpochWithoutConsensus: the greatest epoch of the cluster, and its
    // own (a new one unless it already held the greatest), above the old master's.
    expect(replica.state.myself.configEpoch).toBe(maxEpoch(c));
    expect(replica.state.myself.configEpoch).toBeGreaterThan(c.view(replica, master).configEpoch);
    for (const v of replica.state.nodes.values()) if (v !== replica.state.myself) expect(v.configEpoch).not.toBe(replica.state.myself.configEpoch);
    expect(replica.state.slots[0]).toBe(replica.state.myself);
    await c.until(() => c.nodes.every((n) => isMasterOf(c, n, replica, 0, 5460)), 1_000, 'everyone accepts the takeover');
    expect(framesOf(c, BusType.FAILOVER_AUTH_REQUEST)).toHaveLength(0);
    expect(framesOf(c, BusType.FAILOVER_AUTH_ACK)).toHaveLength(0);
    expect(framesOf(c, BusType.MFSTART)).toHaveLength(0);
    expect(new Set(framesOf(c, BusType.PONG, replica).map((f) => f.to))).toEqual(new Set(c.nodes.filter((n) => n !== replica).map((n) => n.cport)));
    expect(replica.logs.some((l) => l.includes('Taking over the master (user request).'))).toBe(true);
    await c.until(() => master.state.myself.slaveof === replica.name, 1_000, 'the old master follows');
  });

  it('manual failover: an offset that never catches up times out after 5 s on both sides; writes resume, no election', async () => {
    const { c, masters, master, replica } = await replicaBehind();
    const startedAt = c.now;
    replica.engine.failover.startManual('default');
    await c.until(() => replica.engine.failover.manual.state === 'none' && master.engine.failover.manual.state === 'none', 6_000, 'both sides gave up');
    expect(c.now - startedAt).toBeGreaterThan(5_000);
    expect(replica.logs.some((l) => l.includes('Manual failover timed out.'))).toBe(true);
    expect(master.logs.some((l) => l.includes('Manual failover timed out.'))).toBe(true);
    expect(master.repl.resumes).toBe(1);
    expect(framesOf(c, BusType.FAILOVER_AUTH_REQUEST)).toHaveLength(0);
    expect(replica.state.myself.flags & F.SLAVE).toBe(F.SLAVE);
    expect(c.view(replica, master).numSlots).toBe(5461);
    // Unpaused, the master's packets lose the PAUSED flag.
    const since = c.now;
    await c.tick(2_000);
    const later = framesOf(c, BusType.PING, master).filter((f) => f.at > since);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((f) => (f.mflags0 & MFlag0.PAUSED) === 0)).toBe(true);
  });
});

describe('failover vote rules (clusterSendFailoverAuthIfNeeded)', () => {
  it('failover: no vote for a replica whose master is up (without FORCEACK), nor twice for one master within 2 x node_timeout', async () => {
    const nodeTimeout = 2_000;
    const { c, masters, replicas } = await cluster3(nodeTimeout, [0, 0]);
    const voter = masters[1];
    const [a, b] = replicas;
    // An AUTH_REQUEST written straight onto `from`'s link to `to`, with a chosen epoch.
    const send = async (from: SimNode, epoch: bigint, forceAck: boolean, to = voter): Promise<void> => {
      from.state.currentEpoch = epoch;
      const header = from.engine.header(BusType.FAILOVER_AUTH_REQUEST);
      if (forceAck) header.mflags[0] |= MFlag0.FORCEACK;
      c.net.outbound(from.cport, to.cport)!.client.write(encodeBusMessage({ header, body: { kind: 'empty' } }));
      await c.net.settle();
    };
    c.clearCounters();
    await send(a, 10n, false);
    expect(voter.logs.some((l) => l.includes(`Failover auth denied to ${a.name}: its master is up`))).toBe(true);
    await send(a, 11n, true);
    expect(voter.logs.some((l) => l.includes(`Failover auth granted to ${a.name} for epoch 11`))).toBe(true);
    await send(b, 12n, true);
    expect(voter.logs.some((l) => l.includes(`Failover auth denied to ${b.name}: can't vote about this master before`))).toBe(true);
    c.now += nodeTimeout * 2;
    await send(b, 13n, true);
    expect(voter.logs.some((l) => l.includes(`Failover auth granted to ${b.name} for epoch 13`))).toBe(true);
    // An old epoch is refused whatever else holds.
    c.now += nodeTimeout * 2;
    await send(a, 5n, true);
    expect(voter.logs.some((l) => l.includes(`Failover auth denied to ${a.name}: reqEpoch (5) < curEpoch(13)`))).toBe(true);
    await send(a, 14n, true);
    expect(voter.logs.some((l) => l.includes(`Failover auth granted to ${a.name} for epoch 14`))).toBe(true);
    // Neither a replica nor a master without slots has a vote.
    await send(a, 15n, true, b);
    expect(framesOf(c, BusType.FAILOVER_AUTH_ACK).map((f) => [f.from, f.to])).toEqual([
      [voter.cport, a.cport],
      [voter.cport, b.cport],
      [voter.cport, a.cport],
    ]);
    expect(voter.state.lastVoteEpoch).toBe(14n);
  });
});
