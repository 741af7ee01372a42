/**
 * Errors of the persistence area (STYLE.md 4). A snapshot that cannot be trusted is
 * refused as a whole with one of these stable codes; nothing it held is used.
 */
export type SnapshotErrorCode =
  /** The first bytes are not "KVNLSNAP": not a snapshot at all. */
  | 'BAD_MAGIC'
  /** A format version this code does not read. */
  | 'BAD_VERSION'
  /** Header fields out of range (reserved bits, replid not hex) or its CRC is wrong. */
  | 'BAD_HEADER'
  /** A record starts with a byte that is neither an entry nor the end marker. */
  | 'BAD_OPCODE'
  /** An entry whose key, expiry or value payload does not parse (or a duplicate key). */
  | 'BAD_ENTRY'
  /** The trailer's key count or byte length disagrees with what was read. */
  | 'BAD_LENGTH'
  /** The CRC-32 over the whole file does not match the trailer. */
  | 'BAD_CHECKSUM'
  /** The input ended before the trailer. */
  | 'TRUNCATED'
  /** Bytes after the trailer where none may be (a file). */
  | 'TRAILING_BYTES'
  /** The file could not be read or written. */
  | 'IO'
  /** A writer was stopped before it finished (replica gone, node shutting down). */
  | 'ABORTED';

export class SnapshotError extends Error {
  constructor(
    readonly code: SnapshotErrorCode,
    readonly detail: string,
    /** Byte position in the snapshot where the fault was found, when it is known. */
    readonly offset?: number,
  ) {
    super(`snapshot ${code}${offset !== undefined ? ` at byte ${offset}` : ''}: ${detail}`);
    this.name = 'SnapshotError';
  }
}
