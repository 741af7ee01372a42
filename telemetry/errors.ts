/**
 * Typed errors of the telemetry store, with stable codes (STYLE.md 4).
 *
 * `transient` is what a writer acts on: a transient failure (store down, timeout,
 * overloaded) is retried with the same batch id; a permanent one (bad SQL, a row the
 * schema refuses) would fail again, so its rows are counted as dropped at once.
 */
export type StoreErrorCode =
  | 'STORE_LOCKED' // another live process owns the chDB data directory
  | 'STORE_NO_STORE' // nothing to talk to: no collector, no chDB directory, no URL
  | 'STORE_UNAVAILABLE' // network error, connection refused, 5xx: try again later
  | 'STORE_REJECTED' // the store refused the request (bad SQL, bad rows): do not retry
  | 'STORE_BAD_TABLE' // not one of runs, traffic, events, ops
  | 'STORE_CLOSED'; // used after close()

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** ClickHouse's own error code (e.g. 62 = SYNTAX_ERROR) when the engine answered. */
    readonly clickhouseCode?: number,
  ) {
    super(message);
    this.name = 'StoreError';
  }

  get transient(): boolean {
    return this.code === 'STORE_UNAVAILABLE';
  }
}

/**
 * ClickHouse error codes that mean "the server is busy or briefly unable", not "your
 * request is wrong" (src/Common/ErrorCodes.cpp): worth retrying with the same token.
 */
const TRANSIENT_CLICKHOUSE_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  164, // READONLY (server starting / replica read-only)
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  252, // TOO_MANY_PARTS
  425, // SYSTEM_ERROR
]);

/** Read `Code: 62.` (or the `clickhouseCode`/`code` field) from an engine error. */
export function clickhouseCodeOf(e: unknown): number | undefined {
  const err = e as { clickhouseCode?: unknown; code?: unknown; message?: unknown };
  if (typeof err?.clickhouseCode === 'number') return err.clickhouseCode;
  if (typeof err?.code === 'string' && /^\d+$/.test(err.code)) return Number(err.code);
  const m = /Code: (\d+)/.exec(String(err?.message ?? ''));
  return m ? Number(m[1]) : undefined;
}

/** Wrap an error the ClickHouse engine (chDB or a server) raised. */
export function engineError(e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const code = clickhouseCodeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  if (code === undefined) return new StoreError('STORE_UNAVAILABLE', message);
  return new StoreError(TRANSIENT_CLICKHOUSE_CODES.has(code) ? 'STORE_UNAVAILABLE' : 'STORE_REJECTED', message, code);
}
