/**
 * What the failover code needs from replication, and nothing more (STYLE.md 9).
 * Implemented by Replication (replication.ts).
 */
export interface ReplicationControl {
  /** master_repl_offset on a master; processed offset on a replica (for the bus header's offset and failover ranking). */
  offset(): bigint;
  /** ms the replica's link to its master has been down (0 when up); for cluster-replica-validity-factor. */
  masterLinkDownMs(nowMs: number): number;
  /** Manual failover, master side: hold writes from normal clients until untilMs (or resume()). */
  pauseWrites(untilMs: number): void;
  resumeWrites(): void;
}
