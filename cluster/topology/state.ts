import { F } from './node-flags.js';
import { slotBitmapEmpty, slotBitmapSet } from '../bus/slot-bitmap.js';
import { type ClusterNode, SLOTS, isMaster, newClusterNode, randomNodeName } from './cluster-node.js';

export type ClusterHealth = 'ok' | 'fail';

/**
 * The cluster as this node sees it (cluster.h clusterState): the node table, who
 * serves each slot, open migrations, epochs. Pure bookkeeping; the bus engine
 * (bus-engine.ts) and the CLUSTER command decide when to change it. Every change that
 * Redis persists marks `dirty`, and the owner saves nodes.conf before the next reply.
 */
export class ClusterState {
  readonly nodes = new Map<string, ClusterNode>();
  readonly slots: Array<ClusterNode | null> = new Array(SLOTS).fill(null);
  /** slot -> node we import it from (CLUSTER SETSLOT IMPORTING). */
  readonly importing = new Map<number, string>();
  /** slot -> node we migrate it to (CLUSTER SETSLOT MIGRATING). */
  readonly migrating = new Map<number, string>();
  currentEpoch = 0n;
  lastVoteEpoch = 0n;
  health: ClusterHealth = 'fail';
  /** Masters serving at least one slot (cluster->size): the failure-detection quorum base. */
  size = 0;
  dirty = false;
  myself: ClusterNode;

  constructor(myself?: ClusterNode) {
    this.myself = myself ?? newClusterNode({ name: randomNodeName(), flags: F.MYSELF | F.MASTER });
    this.myself.flags |= F.MYSELF;
    this.nodes.set(this.myself.name, this.myself);
  }

  lookup(name: string): ClusterNode | undefined {
    return this.nodes.get(name);
  }

  add(node: ClusterNode): void {
    this.nodes.set(node.name, node);
    this.dirty = true;
  }

  /** clusterDelNode: drop its slots, its failure reports and the reports it made. */
  remove(node: ClusterNode): void {
    for (let s = 0; s < SLOTS; s++) {
      if (this.slots[s] === node) this.unassignSlot(s);
      if (this.importing.get(s) === node.name) this.importing.delete(s);
      if (this.migrating.get(s) === node.name) this.migrating.delete(s);
    }
    for (const other of this.nodes.values()) other.failReports.delete(node.name);
    for (const other of this.nodes.values()) if (other.slaveof === node.name) other.slaveof = null;
    this.nodes.delete(node.name);
    this.dirty = true;
  }

  /** clusterRenameNode: a handshake node learns its real name from the first PONG. */
  rename(node: ClusterNode, name: string): void {
    this.nodes.delete(node.name);
    node.name = name;
    this.nodes.set(name, node);
    this.dirty = true;
  }

  assignSlot(slot: number, node: ClusterNode): boolean {
    if (this.slots[slot]) return false;
    this.slots[slot] = node;
    node.numSlots++;
    this.dirty = true;
    return true;
  }

  unassignSlot(slot: number): boolean {
    const owner = this.slots[slot];
    if (!owner) return false;
    owner.numSlots--;
    this.slots[slot] = null;
    this.dirty = true;
    return true;
  }

  /** Slot ranges served by `node`, as [start, end] pairs. */
  slotRanges(node: ClusterNode): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    let start = -1;
    for (let s = 0; s <= SLOTS; s++) {
      const mine = s < SLOTS && this.slots[s] === node;
      if (mine && start < 0) start = s;
      if (!mine && start >= 0) {
        ranges.push([start, s - 1]);
        start = -1;
      }
    }
    return ranges;
  }

  /** A node's slot bitmap as carried in the bus header (bit s&7 of byte s>>3). */
  slotBitmap(node: ClusterNode): Uint8Array {
    const bitmap = slotBitmapEmpty();
    for (let s = 0; s < SLOTS; s++) if (this.slots[s] === node) slotBitmapSet(bitmap, s);
    return bitmap;
  }

  masterOf(node: ClusterNode): ClusterNode | undefined {
    return node.slaveof ? this.nodes.get(node.slaveof) : undefined;
  }

  replicasOf(master: ClusterNode): ClusterNode[] {
    return [...this.nodes.values()].filter((n) => n.slaveof === master.name && n.flags & F.SLAVE);
  }

  /** The master whose slots this node serves: itself, or its master when a replica. */
  shardMaster(node: ClusterNode): ClusterNode {
    return node.flags & F.SLAVE ? (this.masterOf(node) ?? node) : node;
  }

  maxConfigEpoch(): bigint {
    let max = 0n;
    for (const n of this.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    return max;
  }

  /**
   * clusterUpdateState: ok when every slot is served by a node not flagged FAIL
   * (cluster-require-full-coverage yes) and we are in the majority partition.
   */
  updateHealth(): void {
    let ok = true;
    for (let s = 0; s < SLOTS; s++) {
      const owner = this.slots[s];
      if (!owner || owner.flags & F.FAIL) {
        ok = false;
        break;
      }
    }
    let size = 0;
    let reachable = 0;
    for (const n of this.nodes.values()) {
      if (isMaster(n) && n.numSlots > 0) {
        size++;
        if (!(n.flags & (F.FAIL | F.PFAIL))) reachable++;
      }
    }
    this.size = size;
    if (ok && reachable < Math.floor(size / 2) + 1) ok = false;
    this.health = ok ? 'ok' : 'fail';
  }

  countSlotsIn(flagMask: number): number {
    let n = 0;
    for (let s = 0; s < SLOTS; s++) if (this.slots[s] && this.slots[s]!.flags & flagMask) n++;
    return n;
  }

  assignedSlots(): number {
    let n = 0;
    for (let s = 0; s < SLOTS; s++) if (this.slots[s]) n++;
    return n;
  }
}
