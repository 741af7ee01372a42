import type { ClusterNode } from './cluster-node.js';
import { transition } from './transition.js';

/** cluster.h CLUSTER_MF_TIMEOUT: a manual failover is aborted after 5 s. */
export const MF_TIMEOUT_MS = 5000;
/** cluster.h CLUSTER_MF_PAUSE_MULT: the master pauses client writes for 2 x the timeout. */
export const MF_PAUSE_MULT = 2;

/**
 * Manual failover (cluster.c "CLUSTER manual failover"), both sides in one machine,
 * since a node is on one side at a time:
 *
 *   replica: CLUSTER FAILOVER ──MFSTART──> master: pause writes, PING flagged PAUSED
 *            waiting-offset <──────────────        (every cron while paused)
 *            catching-up (offset < master's)
 *            ready (offsets equal: mf_can_start) -> election with FORCEACK (failover.ts)
 *   FORCE:   none -> ready at once.  TAKEOVER: none -> takeover -> none (no vote).
 *   master:  none -> paused -> none (timeout, or demoted by the new master's PONG)
 *
 * Every state other than none means cluster->mf_end != 0.
 */
export type ManualFailoverState = 'none' | 'waiting-offset' | 'catching-up' | 'ready' | 'takeover' | 'paused';

const LEGAL: Record<ManualFailoverState, readonly ManualFailoverState[]> = {
  none: ['waiting-offset', 'ready', 'takeover', 'paused'],
  'waiting-offset': ['catching-up', 'ready', 'none'],
  'catching-up': ['ready', 'none'],
  ready: ['none'],
  takeover: ['none'],
  paused: ['none'],
};

export interface ManualFailoverDeps {
  /** replicationGetSlaveOffset: what this replica has processed. */
  offset(): bigint;
  pauseWrites(untilMs: number): void;
  resumeWrites(): void;
  log(line: string): void;
  now(): number;
}

export class ManualFailover {
  state: ManualFailoverState = 'none';
  /** mf_end: when the attempt is aborted; 0 = none in progress. */
  end = 0;
  /** mf_slave: on a master, the replica that asked (by name). */
  replica: string | null = null;
  /** mf_master_offset: the paused master's offset; null = not received yet (-1 in Redis). */
  masterOffset: bigint | null = null;

  constructor(private readonly deps: ManualFailoverDeps) {}

  get inProgress(): boolean {
    return this.end !== 0;
  }

  /** mf_can_start: the election may run with FORCEACK. */
  get canStart(): boolean {
    return this.state === 'ready';
  }

  /** resetManualFailover: a master that paused its clients resumes them, whatever the outcome. */
  reset(): void {
    if (this.replica !== null) this.deps.resumeWrites();
    this.end = 0;
    this.replica = null;
    this.masterOffset = null;
    this.to('none');
  }

  /** CLUSTER FAILOVER on a replica (the caller checked the preconditions and sends MFSTART). */
  startOnReplica(mode: 'default' | 'force' | 'takeover'): void {
    this.reset();
    this.end = this.deps.now() + MF_TIMEOUT_MS;
    this.to(mode === 'default' ? 'waiting-offset' : mode === 'force' ? 'ready' : 'takeover');
  }

  /** MFSTART from one of our replicas: pause writes for 2 x MF timeout, ping it flagged PAUSED. */
  startOnMaster(replica: ClusterNode): void {
    this.reset();
    const now = this.deps.now();
    this.end = now + MF_TIMEOUT_MS;
    this.replica = replica.name;
    this.deps.pauseWrites(now + MF_TIMEOUT_MS * MF_PAUSE_MULT);
    this.deps.log(`Manual failover requested by replica ${replica.name}.`);
    this.to('paused');
  }

  /** On a master: the replica to PING every cron while paused. */
  pinging(node: ClusterNode): boolean {
    return this.state === 'paused' && this.replica === node.name;
  }

  /** A packet from our master flagged PAUSED: the first one fixes the offset to reach. */
  onPausedOffset(offset: bigint): boolean {
    if (this.state !== 'waiting-offset' || this.masterOffset !== null) return false;
    this.masterOffset = offset;
    this.deps.log(`Received replication offset for paused master manual failover: ${offset}`);
    return true;
  }

  /** clusterHandleManualFailover (replica, cron and ASAP): true when it just became ready. */
  handle(): boolean {
    if (this.state !== 'waiting-offset' && this.state !== 'catching-up') return false;
    if (this.masterOffset === null) return false;
    if (this.masterOffset === this.deps.offset()) {
      this.deps.log('All master replication stream processed, manual failover can start.');
      this.to('ready');
      return true;
    }
    this.to('catching-up');
    return false;
  }

  /** manualFailoverCheckTimeout. */
  checkTimeout(): void {
    if (this.end !== 0 && this.end < this.deps.now()) {
      this.deps.log('Manual failover timed out.');
      this.reset();
    }
  }

  private to(next: ManualFailoverState): void {
    this.state = transition('manual failover', LEGAL, this.state, next, this.deps.log);
  }
}
