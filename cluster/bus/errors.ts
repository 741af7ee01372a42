/**
 * Errors of the cluster bus codec. A Redis node answers every one of these by dropping the
 * packet or freeing the link (cluster.c clusterReadHandler / clusterProcessPacket); callers
 * here get a typed error with a stable code instead.
 */
export type BusErrorCode =
  /** The frame does not start with "RCmb". */
  | 'BAD_SIGNATURE'
  /** Declared totlen below the minimum (CLUSTERMSG_MIN_LEN, 2256, by default). */
  | 'BAD_LENGTH'
  /** totlen differs from the bytes given, or from what the type's fields imply. */
  | 'LENGTH_MISMATCH'
  /** Declared totlen above the framer's limit: refused before allocating anything. */
  | 'TOO_LARGE'
  /** ver is not CLUSTER_PROTO_VER (1). */
  | 'BAD_VERSION'
  /** A ping extension whose length is not a multiple of 8, too short, or overruns. */
  | 'BAD_EXTENSION'
  /** Encoder: a field that cannot be represented (name not 40 chars, port > 65535, ...). */
  | 'BAD_FIELD'
  /** Encoder: the header's type code does not fit the body's kind. */
  | 'TYPE_MISMATCH';

export class BusProtocolError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    /** The frame's type code, when it was known. */
    readonly type?: number,
  ) {
    super(message);
    this.name = 'BusProtocolError';
  }
}
