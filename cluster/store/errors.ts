/**
 * Errors of the keyspace area (STYLE.md 4). Each carries a stable `code` for programs and
 * `redisText`, the exact error line Redis 7.0 sends for the same condition (without the
 * leading '-'), so a command turns any of them into a reply with `err(e.redisText)`.
 */
export type StoreErrorCode =
  | 'WRONGTYPE'
  | 'NOT_INTEGER'
  | 'NOT_FLOAT'
  | 'SYNTAX'
  | 'OVERFLOW'
  | 'BUSYKEY'
  | 'INVALID_CURSOR'
  | 'DUMP_PAYLOAD'
  | 'DUMP_FORMAT'
  /** Any other `ERR ...` line whose text is given at the throw site. */
  | 'ERR';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly redisText: string,
  ) {
    super(redisText);
    this.name = 'StoreError';
  }
}

/** Redis' shared error objects (server.c createSharedObjects), word for word. */
export const TEXT = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  syntax: 'ERR syntax error',
  overflow: 'ERR increment or decrement would overflow',
  busyKey: 'BUSYKEY Target key name already exists.',
  invalidCursor: 'ERR invalid cursor',
  /** cluster.c restoreCommand after verifyDumpPayload() fails. */
  dumpPayload: 'ERR DUMP payload version or checksum are wrong',
  /** cluster.c restoreCommand when rdbLoadObject() fails on a payload whose checksum is right. */
  dumpFormat: 'ERR Bad data format',
} as const;

export const wrongType = (): StoreError => new StoreError('WRONGTYPE', TEXT.wrongType);
export const notInteger = (text: string = TEXT.notInteger): StoreError => new StoreError('NOT_INTEGER', text);
export const notFloat = (text: string = TEXT.notFloat): StoreError => new StoreError('NOT_FLOAT', text);
export const syntaxError = (): StoreError => new StoreError('SYNTAX', TEXT.syntax);
export const overflow = (text: string = TEXT.overflow): StoreError => new StoreError('OVERFLOW', text);
/** `text` is the whole line, `ERR ...` included. */
export const errLine = (text: string): StoreError => new StoreError('ERR', text);

/** Why a DUMP payload was refused; see dump.ts for the layout being checked. */
export type DumpFault = 'truncated' | 'magic' | 'version' | 'checksum' | 'format';

/**
 * A DUMP payload RESTORE cannot load. Damage to the envelope (length, magic, version,
 * CRC) answers like Redis' verifyDumpPayload; a payload whose checksum is right but whose
 * body does not parse answers like a failed rdbLoadObject.
 */
export class DumpPayloadError extends StoreError {
  constructor(
    readonly fault: DumpFault,
    readonly detail: string,
  ) {
    super(fault === 'format' ? 'DUMP_FORMAT' : 'DUMP_PAYLOAD', fault === 'format' ? TEXT.dumpFormat : TEXT.dumpPayload);
    this.name = 'DumpPayloadError';
    this.message = `${this.redisText} (${fault}: ${detail})`;
  }
}
