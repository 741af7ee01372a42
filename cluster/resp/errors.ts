/**
 * Malformed RESP input, as a typed value with a stable code (STYLE.md 4).
 *
 * "Need more bytes" is not an error: decoders just wait. A ProtocolError means the
 * stream cannot be parsed any further, and the connection must be closed.
 *
 * `redisMessage` is the error line without the leading '-' and without CRLF. For the
 * server-side codes it is byte for byte what Redis 7.0 sends before closing the
 * connection (networking.c processInlineBuffer / processMultibulkBuffer, through
 * addReplyError, which prepends "ERR "). The client-side codes (marked below) have no
 * Redis counterpart, since Redis never parses replies; their text follows the same style.
 */
export type ProtocolErrorCode =
  // Server side: what networking.c answers.
  | 'RESP_INVALID_MULTIBULK_LENGTH'
  | 'RESP_INVALID_BULK_LENGTH'
  | 'RESP_UNEXPECTED_TYPE'
  | 'RESP_TOO_BIG_INLINE'
  | 'RESP_UNBALANCED_QUOTES'
  | 'RESP_TOO_BIG_MBULK_COUNT'
  | 'RESP_TOO_BIG_BULK_COUNT'
  // Client side only (ReplyDecoder).
  | 'RESP_TOO_BIG_LINE'
  | 'RESP_EXPECTED_CRLF'
  | 'RESP_INVALID_INTEGER'
  | 'RESP_INVALID_DOUBLE'
  | 'RESP_INVALID_BOOLEAN'
  | 'RESP_INVALID_NULL'
  | 'RESP_INVALID_BIGNUM'
  | 'RESP_INVALID_VERBATIM';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    readonly code: ProtocolErrorCode,
    /** The error line to send, e.g. `ERR Protocol error: invalid bulk length`. */
    readonly redisMessage: string,
  ) {
    super(redisMessage);
  }
}

const make = (code: ProtocolErrorCode, what: string): ProtocolError =>
  new ProtocolError(code, `ERR Protocol error: ${what}`);

/** One constructor per failure, so the wording lives in exactly one place. */
export const protocolErrors = {
  invalidMultibulkLength: () => make('RESP_INVALID_MULTIBULK_LENGTH', 'invalid multibulk length'),
  invalidBulkLength: () => make('RESP_INVALID_BULK_LENGTH', 'invalid bulk length'),
  /**
   * Redis formats the byte with "%c" and then maps CR and LF to spaces
   * (addReplyErrorFormatInternal), so the line stays one line. A byte >= 0x80 is
   * kept as the char with that code; on the wire Redis sends the raw byte.
   */
  expectedDollar: (got: number) => {
    const c = got === 0x0d || got === 0x0a ? ' ' : String.fromCharCode(got);
    return make('RESP_UNEXPECTED_TYPE', `expected '$', got '${c}'`);
  },
  tooBigInline: () => make('RESP_TOO_BIG_INLINE', 'too big inline request'),
  unbalancedQuotes: () => make('RESP_UNBALANCED_QUOTES', 'unbalanced quotes in request'),
  tooBigMbulkCount: () => make('RESP_TOO_BIG_MBULK_COUNT', 'too big mbulk count string'),
  tooBigBulkCount: () => make('RESP_TOO_BIG_BULK_COUNT', 'too big bulk count string'),

  // Client side (ReplyDecoder): no Redis counterpart.
  unknownType: (got: number) => {
    const c = got === 0x0d || got === 0x0a ? ' ' : String.fromCharCode(got);
    return make('RESP_UNEXPECTED_TYPE', `unknown reply type '${c}'`);
  },
  tooBigLine: () => make('RESP_TOO_BIG_LINE', 'too big reply line'),
  expectedCrlf: () => make('RESP_EXPECTED_CRLF', 'expected CRLF'),
  invalidInteger: () => make('RESP_INVALID_INTEGER', 'invalid integer'),
  invalidDouble: () => make('RESP_INVALID_DOUBLE', 'invalid double'),
  invalidBoolean: () => make('RESP_INVALID_BOOLEAN', 'invalid boolean'),
  invalidNull: () => make('RESP_INVALID_NULL', 'invalid null'),
  invalidBignum: () => make('RESP_INVALID_BIGNUM', 'invalid big number'),
  invalidVerbatim: () => make('RESP_INVALID_VERBATIM', 'invalid verbatim string'),
} as const;
