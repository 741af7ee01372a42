/** Stable codes for replication failures (STYLE.md 4). */
export type ReplicationErrorCode =
  | 'BAD_SIZE' // a memory value CONFIG/flags could not parse
  | 'HANDSHAKE' // the master answered a handshake step with an error or garbage
  | 'PAYLOAD' // the snapshot payload is malformed
  | 'LINK_DOWN'; // the link closed in the middle of a transfer

export class ReplicationError extends Error {
  constructor(
    readonly code: ReplicationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReplicationError';
  }
}
