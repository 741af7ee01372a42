import { KV_BUS_TYPES, UNFRAMED_TYPE } from '../cluster/bus/constants.js';

/**
 * The names the proxy writes into TrafficRow.msg_type and the `msg_type` metric label.
 * Redis' CLUSTERMSG_TYPE_* constants (cluster.h) without the prefix; codes 7.0 does not
 * know (11+, e.g. the live patch messages to come) are named by their number, and bytes
 * the scanner could not frame (a malformed header and everything after it) are `unknown`.
 */
const BUS_MSG_NAMES: readonly string[] = [
  'PING', // 0
  'PONG', // 1
  'MEET', // 2
  'FAIL', // 3
  'PUBLISH', // 4
  'FAILOVER_AUTH_REQUEST', // 5
  'FAILOVER_AUTH_ACK', // 6
  'UPDATE', // 7
  'MFSTART', // 8
  'MODULE', // 9
  'PUBLISHSHARD', // 10
];

export const UNKNOWN_MSG_TYPE = 'unknown';

/** kvnetlab's live patch types keep the bus table's names (`patch-request`, `patch`). */
const KV_NAMES = new Map<number, string>(KV_BUS_TYPES.map((t) => [t.code, t.name]));

export function busMsgName(code: number): string {
  if (code === UNFRAMED_TYPE) return UNKNOWN_MSG_TYPE;
  return BUS_MSG_NAMES[code] ?? KV_NAMES.get(code) ?? String(code);
}

/** Which listener a connection came in on. */
export type ListenerKind = 'client' | 'bus';

/** Index into per-direction counters: what the node wrote / what the node read. */
export const SENT = 0;
export const RECEIVED = 1;
export type DirIndex = typeof SENT | typeof RECEIVED;
export const DIRECTIONS = ['sent', 'received'] as const;

/** Rows are stamped with the start of their 100 ms bucket (TrafficRow.ts_ms). */
export const BUCKET_MS = 100;
export const bucketOf = (ms: number): number => ms - (ms % BUCKET_MS);
