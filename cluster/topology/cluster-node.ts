import { randomBytes } from 'node:crypto';
import { F } from './node-flags.js';

/** 16384 slots, 2048-byte bitmaps (cluster.h CLUSTER_SLOTS). */
export const SLOTS = 16384;

/**
 * What this node knows about one node of the cluster, itself included
 * (cluster.h clusterNode). Times are ms since the epoch, 0 meaning "never".
 */
export interface ClusterNode {
  name: string;
  flags: number;
  /** Announced address: what clients, replicas and peers use (a proxy's, when proxied). */
  ip: string;
  port: number;
  cport: number;
  /** Master's name when this node is a replica. */
  slaveof: string | null;
  configEpoch: bigint;
  ctime: number;
  pingSent: number;
  pongReceived: number;
  dataReceived: number;
  failTime: number;
  replOffset: bigint;
  /** Number of slots this node serves (maintained by ClusterState.assignSlot). */
  numSlots: number;
  /** Reporter name -> time of its latest PFAIL/FAIL report about this node. */
  failReports: Map<string, number>;
}

export function randomNodeName(): string {
  return randomBytes(20).toString('hex');
}

export function newClusterNode(init: Partial<ClusterNode> & { name: string }): ClusterNode {
  return {
    flags: F.MASTER,
    ip: '',
    port: 0,
    cport: 0,
    slaveof: null,
    configEpoch: 0n,
    ctime: Date.now(),
    pingSent: 0,
    pongReceived: 0,
    dataReceived: 0,
    failTime: 0,
    replOffset: 0n,
    numSlots: 0,
    failReports: new Map(),
    ...init,
  };
}

export const isMaster = (n: ClusterNode): boolean => (n.flags & F.MASTER) !== 0;
export const isReplica = (n: ClusterNode): boolean => (n.flags & F.SLAVE) !== 0;
export const inHandshake = (n: ClusterNode): boolean => (n.flags & F.HANDSHAKE) !== 0;
export const isFailing = (n: ClusterNode): boolean => (n.flags & F.FAIL) !== 0;
export const isPFailing = (n: ClusterNode): boolean => (n.flags & F.PFAIL) !== 0;
