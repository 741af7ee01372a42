import type { ClusterState } from './state.js';
import { type ClusterNode, isMaster, isReplica } from './cluster-node.js';
import { Election, type FailoverSettings } from './failover.js';
import { Voter } from './failover-vote.js';
import { ManualFailover } from './manual-failover.js';
import { BusType as MSG, MFlag0 } from '../bus/constants.js';
import type { BusHeader } from '../bus/message.js';

/** What failover needs from the bus engine and the node: a few sends, replication's four calls. */
export interface FailoverHooksDeps {
  state: ClusterState;
  settings(): FailoverSettings;
  /** cluster/replication/control.ts. */
  offset(): bigint;
  masterLinkDownMs(nowMs: number): number;
  pauseWrites(untilMs: number): void;
  resumeWrites(): void;
  /** A bare header (AUTH_ACK, MFSTART) over our link to `node`; false without one. */
  sendTo(node: ClusterNode, type: number): boolean;
  /** AUTH_REQUEST to every node, mflags[0] as given. */
  broadcastAuthRequest(mflags0: number): void;
  broadcastPong(target: 'all' | 'local-replicas'): void;
  bumpEpochWithoutConsensus(): boolean;
  save(): void;
  /** nodes.conf on disk before the call returns (the vote). */
  saveNow(): void;
  log(line: string): void;
  now(): number;
}

/**
 * Where failover plugs into the bus engine (cluster.c clusterProcessPacket's
 * FAILOVER_AUTH_REQUEST / FAILOVER_AUTH_ACK / MFSTART branches, clusterCron's replica
 * part, clusterBeforeSleep), holding the three failover state machines: the replica's
 * election (failover.ts), the master's vote (failover-vote.ts), and the manual failover
 * (manual-failover.ts).
 */
export class FailoverHooks {
  readonly manual: ManualFailover;
  readonly election: Election;
  private readonly voter: Voter;
  /** clusterDoBeforeSleep(CLUSTER_TODO_HANDLE_MANUALFAILOVER), run after the packet. */
  private todoManualFailover = false;

  constructor(private readonly deps: FailoverHooksDeps) {
    this.manual = new ManualFailover({ ...deps, offset: () => deps.offset() });
    this.election = new Election({
      ...deps,
      manual: this.manual,
      requestVotes: (forceAck) => deps.broadcastAuthRequest(forceAck ? MFlag0.FORCEACK : 0),
      random: () => Math.random(),
    });
    this.voter = new Voter({
      ...deps,
      nodeTimeout: () => deps.settings().nodeTimeout,
      sendAck: (node) => deps.sendTo(node, MSG.FAILOVER_AUTH_ACK),
      // lastVoteEpoch on disk before the ack leaves: a node killed right after must not vote twice in one epoch.
      save: () => deps.saveNow(),
    });
  }

  /** mflags[0] of our headers: a master paused for a manual failover flags every packet. */
  headerFlags(): number {
    return isMaster(this.deps.state.myself) && this.manual.inProgress ? MFlag0.PAUSED : 0;
  }

  /** A master paused for a manual failover PINGs that replica every cron. */
  pinging(node: ClusterNode): boolean {
    return isMaster(this.deps.state.myself) && this.manual.pinging(node);
  }

  /** Any packet from a known node: our master's first one flagged PAUSED fixes the offset to reach. */
  onHeader(sender: ClusterNode, h: BusHeader): void {
    const me = this.deps.state.myself;
    if (!this.manual.inProgress || !isReplica(me) || me.slaveof !== sender.name || !(h.mflags[0] & MFlag0.PAUSED)) return;
    if (this.manual.onPausedOffset(h.offset)) this.todoManualFailover = true;
  }

  /**
   * FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART; false for other types. `pingBack`
   * answers MFSTART at once on the link it came in on, with a PING carrying our offset.
   */
  onMessage(h: BusHeader, sender: ClusterNode | undefined, pingBack: () => void): boolean {
    const me = this.deps.state.myself;
    switch (h.type) {
      case MSG.FAILOVER_AUTH_REQUEST:
        if (sender) this.voter.onRequest(sender, h);
        return true;
      case MSG.FAILOVER_AUTH_ACK:
        if (sender) this.election.onAck(sender, h.currentEpoch);
        return true;
      case MSG.MFSTART:
        // Only from one of our replicas.
        if (!sender || sender.slaveof !== me.name || !isMaster(me)) return true;
        this.manual.startOnMaster(sender);
        pingBack();
        return true;
      default:
        return false;
    }
  }

  /**
   * clusterBeforeSleep's CLUSTER_TODO_HANDLE_MANUALFAILOVER: once the paused master's
   * offset is known, check it against ours without waiting for the cron. (Redis also
   * re-checks on every event-loop turn while catching up; here the cron and the
   * master's PAUSED PINGs, every 100 ms, do that.)
   */
  afterPacket(): void {
    if (!this.todoManualFailover) return;
    this.todoManualFailover = false;
    if (isReplica(this.deps.state.myself)) this.replicaCron();
  }

  /** clusterCron's end: manualFailoverCheckTimeout, then a replica's failover steps. */
  cron(): void {
    this.manual.checkTimeout();
    if (isReplica(this.deps.state.myself)) this.replicaCron();
  }

  /** CLUSTER FAILOVER [FORCE|TAKEOVER] on a replica; the command checked the preconditions. */
  startManual(mode: 'default' | 'force' | 'takeover'): void {
    const { state } = this.deps;
    const master = state.masterOf(state.myself);
    if (!master) return;
    this.manual.startOnReplica(mode);
    if (mode === 'takeover') {
      // No vote: a new epoch without consensus, the slots, and a PONG to everyone.
      this.deps.log('Taking over the master (user request).');
      this.deps.bumpEpochWithoutConsensus();
      this.election.replaceYourMaster();
    } else if (mode === 'force') {
      this.deps.log('Forced failover user request accepted.');
    } else {
      this.deps.log('Manual failover user request accepted.');
      this.deps.sendTo(master, MSG.MFSTART);
    }
  }

  /** clusterHandleManualFailover, then clusterHandleSlaveFailover. */
  private replicaCron(): void {
    this.manual.handle();
    this.election.handle();
  }
}
