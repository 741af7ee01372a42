/**
 * Wire constants of the Redis 7.0 cluster bus (src/cluster.h, tag 7.0.15).
 *
 * Every integer on the bus is big-endian (network order: cluster.c uses htons/htonl/
 * htonu64 on every field), except MODULE's module_id, which Redis copies as is
 * ("Already endian adjusted", cluster.c clusterSendModule).
 *
 *   clusterMsg (fixed part, CLUSTERMSG_MIN_LEN = 2256 bytes)
 *   off   size  field
 *     0     4   sig "RCmb"
 *     4     4   totlen          whole frame, header included
 *     8     2   ver             CLUSTER_PROTO_VER = 1
 *    10     2   port            announced client port
 *    12     2   type            CLUSTERMSG_TYPE_*
 *    14     2   count           gossip entries (PING/PONG/MEET)
 *    16     8   currentEpoch
 *    24     8   configEpoch     the sender's, or its master's if a replica
 *    32     8   offset          replication offset
 *    40    40   sender          node name, 40 hex chars
 *    80  2048   myslots         16384-bit bitmap (the master's, if a replica)
 *  2128    40   slaveof         master's name, all zero if none
 *  2168    46   myip            announced IP, NUL padded, all zero = auto-detect
 *  2214     2   extensions      number of ping extensions
 *  2216    30   notused1
 *  2246     2   pport           plaintext port when the client port is TLS, else 0
 *  2248     2   cport           announced bus port
 *  2250     2   flags           CLUSTER_NODE_* of the sender (MYSELF included)
 *  2252     1   state           CLUSTER_OK / CLUSTER_FAIL
 *  2253     3   mflags          CLUSTERMSG_FLAG[012]_*
 *  2256     …   data            per type, see BUS_TYPES
 */

/** clusterMsg.sig. */
export const BUS_SIGNATURE = 'RCmb';
/** CLUSTER_PROTO_VER: the only version a 7.0 node accepts. */
export const BUS_PROTO_VER = 1;
/** CLUSTER_SLOTS. */
export const CLUSTER_SLOTS = 16384;
/** CLUSTER_SLOTS / 8: myslots and UPDATE's slots. */
export const SLOT_BITMAP_LEN = 2048;
/** CLUSTER_NAMELEN: node names are 40 hex chars (sha1 size). */
export const NODE_NAME_LEN = 40;
/** NET_IP_STR_LEN (anet.h, INET6_ADDRSTRLEN): IP text fields, NUL padded. */
export const IP_FIELD_LEN = 46;
/** clusterMsg.notused1. */
export const HEADER_RESERVED_LEN = 30;

/** CLUSTERMSG_MIN_LEN = sizeof(clusterMsg) - sizeof(union clusterMsgData). */
export const BUS_HEADER_LEN = 2256;
/** clusterReadHandler reads sig + totlen first, then checks both. */
export const FRAME_PREFIX_LEN = 8;
/** Bytes of a frame needed to know its type (sig, totlen, ver, port, type). */
export const TYPE_PREFIX_LEN = 14;
/** clusterProcessPacket's own floor ("At least signature, version, totlen, count"). */
export const MIN_PROCESSABLE_LEN = 16;
/** Default largest frame a framer accepts before allocating: 32 MiB. */
export const DEFAULT_MAX_FRAME_LEN = 32 * 1024 * 1024;

/** Field offsets in clusterMsg (cluster.h static_asserts). */
export const HDR = {
  sig: 0,
  totlen: 4,
  ver: 8,
  port: 10,
  type: 12,
  count: 14,
  currentEpoch: 16,
  configEpoch: 24,
  offset: 32,
  sender: 40,
  myslots: 80,
  slaveof: 2128,
  myip: 2168,
  extensions: 2214,
  notused1: 2216,
  pport: 2246,
  cport: 2248,
  flags: 2250,
  state: 2252,
  mflags: 2253,
  data: 2256,
} as const;

/** clusterMsgDataGossip: 104 bytes per entry. */
export const GOSSIP_ENTRY_LEN = 104;
export const GOSSIP = {
  nodename: 0,
  /** Seconds (clusterSetGossipEntry divides the ms time by 1000). */
  pingSent: 40,
  pongReceived: 44,
  ip: 48,
  port: 94,
  cport: 96,
  flags: 98,
  pport: 100,
  notused1: 102,
} as const;

/**
 * clusterMsgPingExt header, 8 bytes. Note the order: length FIRST, then type.
 *
 *   off size
 *    0   4   length   whole extension, header included, a multiple of 8
 *    4   2   type     CLUSTERMSG_EXT_TYPE_*
 *    6   2   unused
 *    8   …   data, padded to 8 bytes (EIGHT_BYTE_ALIGN)
 */
export const PING_EXT_HEADER_LEN = 8;
export const PING_EXT = { length: 0, type: 4, unused: 6, data: 8 } as const;

/**
 * clusterMsgPingtypes. 7.0 knows HOSTNAME only and ignores the others ("Received unknown
 * extension type"); 7.2 added HUMAN_NODENAME, FORGOTTEN_NODE and SHARDID.
 */
export const PingExtType = {
  HOSTNAME: 0,
  HUMAN_NODENAME: 1,
  FORGOTTEN_NODE: 2,
  SHARDID: 3,
} as const;
/** clusterMsgPingExtForgottenNode: name[40] + ttl u64 (seconds). */
export const FORGOTTEN_NODE_EXT_DATA_LEN = 48;
/** clusterMsgPingExtShardId: shard_id[40], padded to 40 (already aligned). */
export const SHARD_ID_EXT_DATA_LEN = 40;
/**
 * kvnetlab's patch extension (cluster/bus/patch-messages.ts): patch version u32 + patch
 * bitmap u32. The type is far from Redis' own sequence (0..3 in 7.2) so a future Redis
 * type cannot collide; 7.0 ignores it (with a warning log, so it goes to patch peers only).
 */
export const PATCH_EXT_TYPE = 0x4b50;
export const PATCH_EXT_DATA_LEN = 8;

/** clusterMsgDataFail: nodename[40]. */
export const FAIL_DATA_LEN = 40;
/** clusterMsgDataPublish without bulk_data: channel_len u32 + message_len u32. */
export const PUBLISH_DATA_FIXED_LEN = 8;
/** clusterMsgDataUpdate: configEpoch u64 + nodename[40] + slots[2048]. */
export const UPDATE_DATA_LEN = 8 + 40 + 2048;
/** clusterMsgModule without bulk_data: module_id u64 + len u32 + type u8. */
export const MODULE_DATA_FIXED_LEN = 13;

/** Which body layout a known type carries (decides the expected length). */
export type BodyLayout = 'ping' | 'fail' | 'publish' | 'empty' | 'update' | 'module';

/**
 * CLUSTERMSG_TYPE_* with the names Redis reports them under (clusterGetMessageTypeString,
 * also the `cluster_stats_messages_<name>_sent` fields of CLUSTER INFO). Frames of a
 * code not listed here are still valid bus traffic: 7.0 assumes they are well formed.
 */
export const BUS_TYPES = [
  { code: 0, name: 'ping', layout: 'ping' },
  { code: 1, name: 'pong', layout: 'ping' },
  { code: 2, name: 'meet', layout: 'ping' },
  { code: 3, name: 'fail', layout: 'fail' },
  { code: 4, name: 'publish', layout: 'publish' },
  { code: 5, name: 'auth-req', layout: 'empty' },
  { code: 6, name: 'auth-ack', layout: 'empty' },
  { code: 7, name: 'update', layout: 'update' },
  { code: 8, name: 'mfstart', layout: 'empty' },
  { code: 9, name: 'module', layout: 'module' },
  /** SPUBLISH propagation; 7.0 already has it (CLUSTERMSG_TYPE_COUNT is 11). */
  { code: 10, name: 'publishshard', layout: 'publish' },
] as const satisfies ReadonlyArray<{ code: number; name: string; layout: BodyLayout }>;

export const BusType = {
  PING: 0,
  PONG: 1,
  MEET: 2,
  FAIL: 3,
  PUBLISH: 4,
  FAILOVER_AUTH_REQUEST: 5,
  FAILOVER_AUTH_ACK: 6,
  UPDATE: 7,
  MFSTART: 8,
  MODULE: 9,
  PUBLISHSHARD: 10,
} as const;

/**
 * kvnetlab's own types, for live patching (cluster/patch). Redis 7.0 knows codes 0..10
 * (CLUSTERMSG_TYPE_COUNT = 11): it takes any other code as "well formed" but logs
 * "Received unknown packet type" for each, so these go only to peers that advertised
 * patch support in their ping extension. Layout: cluster/bus/patch-messages.ts.
 */
export const KV_BUS_TYPES = [
  { code: 11, name: 'patch-request' },
  { code: 12, name: 'patch' },
] as const;
export const KvBusType = { PATCH_REQUEST: 11, PATCH: 12 } as const;

/** Pseudo type the scanner reports for bytes it could not frame (after a bad header). */
export const UNFRAMED_TYPE = -1;

const byCode = new Map<number, (typeof BUS_TYPES)[number]>(BUS_TYPES.map((t) => [t.code, t]));
const kvByCode = new Map<number, string>(KV_BUS_TYPES.map((t) => [t.code, t.name]));

/** The layout of a known type code, undefined for codes 7.0 does not know. */
export function busTypeLayout(code: number): BodyLayout | undefined {
  return byCode.get(code)?.layout;
}

/** Redis' name for a type ("ping", "auth-req", ...), `type-<code>` if unknown. */
export function busTypeName(code: number): string {
  if (code === UNFRAMED_TYPE) return 'unframed';
  return byCode.get(code)?.name ?? kvByCode.get(code) ?? `type-${code}`;
}

/** CLUSTER_NODE_* (cluster.h), in header and gossip `flags`. */
export const NodeFlag = {
  MASTER: 1,
  SLAVE: 2,
  PFAIL: 4,
  FAIL: 8,
  MYSELF: 16,
  HANDSHAKE: 32,
  NOADDR: 64,
  MEET: 128,
  MIGRATE_TO: 256,
  NOFAILOVER: 512,
} as const;

/** CLUSTERMSG_FLAG0_* (cluster.h), bits of mflags[0]. */
export const MFlag0 = {
  /** Master paused for manual failover. */
  PAUSED: 1,
  /** Give ACK to AUTH_REQUEST even if master is up (manual failover). */
  FORCEACK: 2,
  /** Message contains extension data (set with the first ping extension). */
  EXT_DATA: 4,
} as const;

/** CLUSTER_OK / CLUSTER_FAIL (cluster.h), the header's `state` byte. */
export const ClusterStateCode = { OK: 0, FAIL: 1 } as const;
