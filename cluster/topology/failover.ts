import { F } from './node-flags.js';
import type { ClusterState } from './state.js';
import { type ClusterNode, SLOTS, isFailing, isMaster } from './cluster-node.js';
import { transition } from './transition.js';

/**
 * A replica's failover election (cluster.c clusterHandleSlaveFailover), run from the
 * cron and as soon as a vote arrives:
 *
 *   idle --master FAIL (or manual failover ready)--> delayed   (500 + 0..500 + rank x 1000 ms;
 *                                                               none when manual)
 *   delayed --delay over: currentEpoch++, AUTH_REQUEST to all--> voting
 *   voting  --ACKs from a majority of slot-serving masters-----> won -> idle (now a master)
 *   delayed/voting --auth_timeout = max(2 x node_timeout, 2 s)--> expired
 *   expired --2 x auth_timeout after the start--> delayed (a new election, a new epoch)
 *   any --master back / no longer a replica--> idle
 *
 * Like Redis, leaving for idle keeps the timers: a master failing again within the
 * retry time resumes the same election rather than starting one.
 */
export type ElectionState = 'idle' | 'delayed' | 'voting' | 'expired' | 'won';

const LEGAL: Record<ElectionState, readonly ElectionState[]> = {
  idle: ['delayed', 'voting', 'expired', 'won'],
  delayed: ['voting', 'expired', 'idle'],
  voting: ['won', 'expired', 'idle'],
  expired: ['delayed', 'idle'],
  won: ['idle'],
};

/** cluster.h CLUSTER_CANT_FAILOVER_RELOG_PERIOD (seconds). */
const CANT_FAILOVER_RELOG_MS = 10_000;

export interface FailoverSettings {
  nodeTimeout: number;
  /** cluster-replica-validity-factor: 0 = a replica may always fail over. */
  replicaValidityFactor: number;
  /** cluster-replica-no-failover: never start an automatic election. */
  replicaNoFailover: boolean;
  /** repl-ping-replica-period (seconds): part of the data-age limit. */
  replPingReplicaPeriod: number;
}

/** What the election reads of the manual failover (manual-failover.ts). */
export interface ManualFailoverView {
  readonly inProgress: boolean;
  readonly canStart: boolean;
  reset(): void;
}

export interface ElectionDeps {
  state: ClusterState;
  settings(): FailoverSettings;
  /** replicationGetSlaveOffset. */
  offset(): bigint;
  /** 0 while the replication link is up, else how long it has been down. */
  masterLinkDownMs(nowMs: number): number;
  manual: ManualFailoverView;
  /** clusterRequestFailoverAuth: AUTH_REQUEST to every node, FORCEACK when manual. */
  requestVotes(forceAck: boolean): void;
  /** clusterBroadcastPong(CLUSTER_BROADCAST_LOCAL_SLAVES | CLUSTER_BROADCAST_ALL). */
  broadcastPong(target: 'all' | 'local-replicas'): void;
  /** Persist nodes.conf if dirty. */
  save(): void;
  log(line: string): void;
  now(): number;
  random(): number;
}

type CantFailover = 'none' | 'data-age' | 'waiting-delay' | 'expired' | 'waiting-votes';
const CANT_TEXT: Record<Exclude<CantFailover, 'none'>, string> = {
  'data-age': "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option.",
  'waiting-delay': 'Waiting the delay before I can start a new failover.',
  expired: 'Failover attempt expired.',
  'waiting-votes': 'Waiting for votes, but majority still not reached.',
};

export class Election {
  state: ElectionState = 'idle';
  /** failover_auth_time: when the election may start (or started). 0 = never. */
  authTime = 0;
  authCount = 0;
  authSent = false;
  authRank = 0;
  authEpoch = 0n;
  private cantReason: CantFailover = 'none';
  private cantLoggedAt = 0;

  constructor(private readonly deps: ElectionDeps) {}

  /** clusterGetSlaveRank: replicas of our master (able to fail over) with a larger offset. */
  rank(): number {
    const { state } = this.deps;
    const master = state.masterOf(state.myself);
    if (!master) return 0;
    const mine = this.deps.offset();
    return state.replicasOf(master).filter((r) => r !== state.myself && !(r.flags & F.NOFAILOVER) && r.replOffset > mine).length;
  }

  /** A FAILOVER_AUTH_ACK: counts if a slot-serving master sent it from our election's epoch on. */
  onAck(sender: ClusterNode, senderCurrentEpoch: bigint): void {
    if (!isMaster(sender) || sender.numSlots === 0 || senderCurrentEpoch < this.authEpoch) return;
    this.authCount++;
    this.handle(); // CLUSTER_TODO_HANDLE_FAILOVER: check the quorum at once
  }

  /** clusterHandleSlaveFailover. */
  handle(): void {
    const { state } = this.deps;
    const s = this.deps.settings();
    const now = this.deps.now();
    const me = state.myself;
    const master = state.masterOf(me);
    const manual = this.deps.manual.inProgress && this.deps.manual.canStart;
    const authAge = now - this.authTime;
    const quorum = Math.floor(state.size / 2) + 1;
    const authTimeout = Math.max(s.nodeTimeout * 2, 2000);
    const retryTime = authTimeout * 2;

    if (isMaster(me) || !master || (!isFailing(master) && !manual) || (s.replicaNoFailover && !manual) || master.numSlots === 0) {
      this.cantReason = 'none';
      this.to('idle');
      return;
    }
    // Data age: time without news from the master, minus the node timeout it took to
    // flag it FAIL; too old and this replica's data is not trusted (manual overrides).
    let dataAge = this.deps.masterLinkDownMs(now);
    if (dataAge > s.nodeTimeout) dataAge -= s.nodeTimeout;
    if (s.replicaValidityFactor && dataAge > s.replPingReplicaPeriod * 1000 + s.nodeTimeout * s.replicaValidityFactor && !manual) {
      this.cantFailover('data-age', master, now);
      this.to('idle');
      return;
    }

    if (authAge > retryTime) {
      this.authTime = now + 500 + Math.floor(this.deps.random() * 500); // let FAIL propagate
      this.authCount = 0;
      this.authSent = false;
      this.authRank = this.rank();
      this.authTime += this.authRank * 1000; // the least up-to-date replicas wait longer
      if (this.deps.manual.inProgress) {
        this.authTime = now;
        this.authRank = 0;
      }
      this.deps.log(`Start of election delayed for ${this.authTime - now} milliseconds (rank #${this.authRank}, offset ${this.deps.offset()}).`);
      this.to('delayed');
      // Our offset to the other replicas of our master, so that their ranks are right.
      this.deps.broadcastPong('local-replicas');
      // A manual failover has no delay: go on at once (CLUSTER_TODO_HANDLE_FAILOVER).
      if (this.deps.manual.inProgress) this.handle();
      return;
    }

    // Offsets heard since the delay was computed may lower our rank (not when manual).
    if (!this.authSent && !this.deps.manual.inProgress) {
      const rank = this.rank();
      if (rank > this.authRank) {
        const added = (rank - this.authRank) * 1000;
        this.authTime += added;
        this.authRank = rank;
        this.deps.log(`Replica rank updated to #${rank}, added ${added} milliseconds of delay.`);
      }
    }
    if (now < this.authTime) {
      this.cantFailover('waiting-delay', master, now);
      this.to('delayed');
      return;
    }
    if (authAge > authTimeout) {
      this.cantFailover('expired', master, now);
      this.to('expired');
      return;
    }
    if (!this.authSent) {
      state.currentEpoch++;
      this.authEpoch = state.currentEpoch;
      this.deps.log(`Starting a failover election for epoch ${state.currentEpoch}.`);
      this.deps.requestVotes(this.deps.manual.inProgress);
      this.authSent = true;
      state.dirty = true;
      this.deps.save();
      this.to('voting');
      return;
    }
    if (this.authCount >= quorum) {
      this.deps.log('Failover election won: I\'m the new master.');
      if (me.configEpoch < this.authEpoch) {
        me.configEpoch = this.authEpoch;
        this.deps.log(`configEpoch set to ${me.configEpoch} after successful failover`);
      }
      this.to('won');
      this.replaceYourMaster();
      return;
    }
    this.cantFailover('waiting-votes', master, now);
    this.to('voting');
  }

  /**
   * clusterFailoverReplaceYourMaster, the end of every failover (TAKEOVER included):
   * myself becomes a master owning the old master's slots, saves, and PONGs everyone.
   * Replication sees myself.slaveof gone and promotes itself (its reconcile step).
   */
  replaceYourMaster(): void {
    const { state } = this.deps;
    const me = state.myself;
    const old = state.masterOf(me);
    if (isMaster(me) || !old) return;
    me.flags = (me.flags & ~F.SLAVE) | F.MASTER;
    me.slaveof = null;
    for (let s = 0; s < SLOTS; s++) {
      if (state.slots[s] !== old) continue;
      state.unassignSlot(s);
      state.assignSlot(s, me);
    }
    state.dirty = true;
    state.updateHealth();
    this.deps.save();
    this.deps.broadcastPong('all');
    this.deps.manual.reset();
    this.to('idle');
  }

  /** clusterLogCantFailover: once per reason change or 10 s, and not in the first node_timeout + 5 s. */
  private cantFailover(reason: Exclude<CantFailover, 'none'>, master: ClusterNode, now: number): void {
    if (reason === this.cantReason && now - this.cantLoggedAt < CANT_FAILOVER_RELOG_MS) return;
    this.cantReason = reason;
    if (isFailing(master) && now - master.failTime < this.deps.settings().nodeTimeout + 5000) return;
    this.cantLoggedAt = now;
    this.deps.log(`Currently unable to failover: ${CANT_TEXT[reason]}`);
  }

  private to(next: ElectionState): void {
    this.state = transition('failover election', LEGAL, this.state, next, this.deps.log);
  }
}
