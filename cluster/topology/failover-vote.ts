import type { ClusterState } from './state.js';
import { type ClusterNode, SLOTS, isFailing, isMaster } from './cluster-node.js';
import { slotBitmapGet } from '../bus/slot-bitmap.js';
import { MFlag0 } from '../bus/constants.js';
import type { BusHeader } from '../bus/message.js';

export interface VoterDeps {
  state: ClusterState;
  nodeTimeout(): number;
  /** FAILOVER_AUTH_ACK to the candidate, over our link to it (clusterSendFailoverAuth). */
  sendAck(candidate: ClusterNode): void;
  /** Persist nodes.conf now: lastVoteEpoch must be on disk before the vote leaves. */
  save(): void;
  log(line: string): void;
  now(): number;
}

/**
 * The master's side of an election (cluster.c clusterSendFailoverAuthIfNeeded): a
 * master serving slots gives at most one vote per epoch, at most one per failing
 * master every 2 x node_timeout, and only to a replica whose claimed slots are not
 * served by anyone with a newer config epoch.
 */
export class Voter {
  /** clusterNode->voted_time of each master: when we last voted for one of its replicas. */
  private readonly votedTime = new Map<string, number>();

  constructor(private readonly deps: VoterDeps) {}

  /** A FAILOVER_AUTH_REQUEST from `candidate` (known, out of handshake). True if we voted. */
  onRequest(candidate: ClusterNode, h: BusHeader): boolean {
    const { state } = this.deps;
    const me = state.myself;
    const deny = (why: string): false => {
      this.deps.log(`Failover auth denied to ${candidate.name}: ${why}`);
      return false;
    };
    // Only masters serving slots are part of the cluster size the quorum counts.
    if (!isMaster(me) || me.numSlots === 0) return false;
    // Our currentEpoch already took the request's if it was greater (clusterProcessPacket).
    if (h.currentEpoch < state.currentEpoch) return deny(`reqEpoch (${h.currentEpoch}) < curEpoch(${state.currentEpoch})`);
    if (state.lastVoteEpoch === state.currentEpoch) return deny(`already voted for epoch ${state.currentEpoch}`);
    const master = state.masterOf(candidate);
    const forceAck = (h.mflags[0] & MFlag0.FORCEACK) !== 0;
    if (isMaster(candidate)) return deny('it is a master node');
    if (!master) return deny("I don't know its master");
    if (!isFailing(master) && !forceAck) return deny('its master is up');
    const now = this.deps.now();
    const window = this.deps.nodeTimeout() * 2;
    const since = now - (this.votedTime.get(master.name) ?? 0);
    if (since < window) return deny(`can't vote about this master before ${window - since} milliseconds`);
    for (let s = 0; s < SLOTS; s++) {
      if (!slotBitmapGet(h.myslots, s)) continue;
      const owner = state.slots[s];
      if (!owner || owner.configEpoch <= h.configEpoch) continue;
      return deny(`slot ${s} epoch (${owner.configEpoch}) > reqEpoch (${h.configEpoch})`);
    }
    state.lastVoteEpoch = state.currentEpoch;
    this.votedTime.set(master.name, now);
    state.dirty = true;
    this.deps.save();
    this.deps.sendAck(candidate);
    this.deps.log(`Failover auth granted to ${candidate.name} for epoch ${state.currentEpoch}`);
    return true;
  }
}
