import { randomBytes } from 'node:crypto';
import { ReplBacklog } from './backlog.js';

export const NULL_REPLID = '0000000000000000000000000000000000000000';

export function randomReplid(): string {
  return randomBytes(20).toString('hex');
}

/**
 * A node's replication history, PSYNC2 style (replication.c): the ID of the history
 * it is part of, the offset reached in it, the previous ID and up to where that one is
 * valid, and the backlog. Masters and replicas keep the same fields: a replica's
 * `replid`/`offset` are its master's, as far as it has processed them, which is what
 * lets it serve PSYNC to its master's other replicas once promoted.
 */
export class ReplHistory {
  replid = randomReplid();
  replid2 = NULL_REPLID;
  /** second_repl_offset: the last offset+1 where replid2 is valid, -1 without one. */
  secondReplOffset = -1;
  /** master_repl_offset. */
  offset = 0;
  backlog: ReplBacklog | undefined;
  /** Redis' slaveseldb = -1: the next propagated command is preceded by SELECT 0. */
  needSelect = true;

  /** Every byte of the stream goes through here: the offset, then the backlog. */
  feed(data: Buffer): void {
    this.offset += data.length;
    this.backlog?.append(data);
  }

  createBacklog(size: number): void {
    this.backlog = new ReplBacklog(size, this.offset);
  }

  /** replication.c changeReplicationId + clearReplicationId2: a history with no past. */
  restart(): void {
    this.replid = randomReplid();
    this.replid2 = NULL_REPLID;
    this.secondReplOffset = -1;
  }

  /**
   * shiftReplicationId: a replica promoted to master (or a replica told by +CONTINUE that
   * its master's ID changed) keeps the old ID valid up to here, so the old master's other
   * replicas can PSYNC with it partially.
   */
  shift(newId = randomReplid()): void {
    this.replid2 = this.replid;
    this.secondReplOffset = this.offset + 1;
    this.replid = newId;
  }

  /** After a full sync: the master's history, from its offset, with a fresh backlog. */
  adopt(replid: string, offset: number, backlogSize: number): void {
    this.replid = replid;
    this.replid2 = NULL_REPLID;
    this.secondReplOffset = -1;
    this.offset = offset;
    this.createBacklog(backlogSize);
  }

  /**
   * masterTryPartialResynchronization: the stream from `from` (the replica's offset + 1)
   * if this node can continue `replid` from there, else null.
   */
  continueFrom(replid: string, from: number): Buffer | null {
    const sameHistory = replid === this.replid || (replid === this.replid2 && from <= this.secondReplOffset);
    if (!sameHistory || !this.backlog) return null;
    return this.backlog.from(from);
  }
}
