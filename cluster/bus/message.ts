/**
 * Typed view of one cluster bus frame (cluster.h clusterMsg): a fixed header and a body
 * whose layout depends on the type code. Epochs and offsets are u64 on the wire, so
 * bigint here. Text fields (node names, IPs, hostnames) are Latin-1: one character per
 * byte, so any byte sequence survives decode + encode (Redis only ever puts ASCII there).
 */
import { BusType, type BodyLayout } from './constants.js';
import { type SlotBitmap, slotBitmapEmpty } from './slot-bitmap.js';

export {
  type SlotBitmap,
  type SlotRange,
  slotBitmapCount,
  slotBitmapEmpty,
  slotBitmapFromRanges,
  slotBitmapGet,
  slotBitmapSet,
  slotBitmapToRanges,
} from './slot-bitmap.js';

/**
 * The fixed 2256-byte part. `sig`, `ver` (always 1), `totlen`, and for PING/PONG/MEET
 * `count` and `extensions` are not here: the encoder derives them from the body.
 */
export interface BusHeader {
  /** CLUSTERMSG_TYPE_* (BusType); any u16, unknown codes travel with a raw body. */
  type: number;
  /** Announced client port (cluster-announce-port, or port). */
  port: number;
  /** Plaintext client port when `port` is TLS; 0 otherwise (deriveAnnouncedPorts). */
  pport: number;
  /** Announced bus port (cluster-announce-bus-port, or cluster-port, or port + 10000). */
  cport: number;
  currentEpoch: bigint;
  /** The sender's configEpoch, or its master's when the sender is a replica. */
  configEpoch: bigint;
  /** Replication offset: master_repl_offset, or the replica's processed offset. */
  offset: bigint;
  /** Sender's node name, 40 hex chars. */
  sender: string;
  /** Slots the sender serves; a replica sends its master's (clusterBuildMessageHdr). */
  myslots: SlotBitmap;
  /** Master's name when the sender is a replica; null travels as 40 zero bytes. */
  slaveof: string | null;
  /** cluster-announce-ip; '' (all zero) lets the receiver use the link's peer address. */
  myip: string;
  /** Sender's CLUSTER_NODE_* flags, MYSELF included (Redis copies myself->flags). */
  flags: number;
  /** CLUSTER_OK (0) or CLUSTER_FAIL (1) as the sender sees it. */
  state: number;
  /**
   * CLUSTERMSG_FLAG0_* in mflags[0]; mflags[1..2] are unused in 7.0. The encoder sets
   * FLAG0_EXT_DATA itself when a PING/PONG/MEET carries extensions.
   */
  mflags: [number, number, number];
  /** notused1[30]; present only when some byte is not zero (Redis sends zeros). */
  reserved?: Uint8Array;
}

/** clusterMsgDataGossip: what the sender knows about one other node. */
export interface GossipEntry {
  nodename: string;
  /** Seconds since the epoch (ms / 1000, truncated to u32), 0 = no ping in flight. */
  pingSent: number;
  /** Seconds since the epoch (u32) of the last PONG the sender received from it. */
  pongReceived: number;
  ip: string;
  port: number;
  cport: number;
  flags: number;
  pport: number;
  /** notused1; present only when not zero. */
  notused?: number;
}

/**
 * One ping extension (clusterMsgPingExt). Known types decode to a structure only when
 * their bytes are exactly what Redis would write (so re-encoding is byte exact);
 * anything else, unknown types included, stays `raw`.
 */
export type PingExt =
  /** type 0, 7.0+: cluster-announce-hostname, NUL terminated, zero padded to 8. */
  | { kind: 'hostname'; hostname: string }
  /** type 1, 7.2+: cluster-announce-human-nodename, same layout as hostname. */
  | { kind: 'human-nodename'; nodename: string }
  /** type 2, 7.2+: a node CLUSTER FORGET put on the blacklist, ttl in seconds. */
  | { kind: 'forgotten-node'; name: string; ttl: bigint }
  /** type 3, 7.2+: the sender's shard id, 40 hex chars. */
  | { kind: 'shard-id'; shardId: string }
  /** Any other extension: `data` is everything after the 8-byte header (8-aligned). */
  | { kind: 'raw'; type: number; unused?: number; data: Buffer };

/** PING, PONG, MEET: gossip entries then (if FLAG0_EXT_DATA) extensions. */
export interface PingBody {
  kind: 'ping';
  gossip: GossipEntry[];
  exts: PingExt[];
}
/** FAIL: the node the sender marks as failed. */
export interface FailBody {
  kind: 'fail';
  nodename: string;
}
/** PUBLISH and PUBLISHSHARD: channel_len, message_len, channel bytes, message bytes. */
export interface PublishBody {
  kind: 'publish';
  channel: Buffer;
  message: Buffer;
}
/** FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART: the header says it all. */
export interface EmptyBody {
  kind: 'empty';
}
/** UPDATE: tells the receiver that `nodename` owns `slots` at `configEpoch`. */
export interface UpdateBody {
  kind: 'update';
  configEpoch: bigint;
  nodename: string;
  slots: SlotBitmap;
}
/**
 * MODULE: module_id is copied unswapped by Redis (an opaque 8-byte id made by
 * moduleTypeEncodeId); here it is read as a big-endian u64, which round-trips.
 */
export interface ModuleBody {
  kind: 'module';
  moduleId: bigint;
  moduleType: number;
  payload: Buffer;
}
/**
 * A type 7.0 does not know (Redis accepts it as "well formed"): the bytes after the
 * 2256-byte header, plus the header's count and extensions fields, kept as they were.
 */
export interface RawBody {
  kind: 'raw';
  count: number;
  extensions: number;
  data: Buffer;
}

export type BusBody = PingBody | FailBody | PublishBody | EmptyBody | UpdateBody | ModuleBody | RawBody;

export interface BusMessage {
  header: BusHeader;
  body: BusBody;
}

/** Which body kind a layout decodes to. */
export const LAYOUT_KIND = {
  ping: 'ping',
  fail: 'fail',
  publish: 'publish',
  empty: 'empty',
  update: 'update',
  module: 'module',
} as const satisfies Record<BodyLayout, BusBody['kind']>;

/** A header with Redis' defaults (what clusterBuildMessageHdr starts from), to override. */
export function busHeader(init: Partial<BusHeader> & { type: number; sender: string }): BusHeader {
  return {
    port: 0,
    pport: 0,
    cport: 0,
    currentEpoch: 0n,
    configEpoch: 0n,
    offset: 0n,
    myslots: slotBitmapEmpty(),
    slaveof: null,
    myip: '',
    flags: 0,
    state: 0,
    mflags: [0, 0, 0],
    ...init,
  };
}

/** True for PING, PONG and MEET, the types that carry gossip. */
export function isPingLike(type: number): boolean {
  return type === BusType.PING || type === BusType.PONG || type === BusType.MEET;
}
