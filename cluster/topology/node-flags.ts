/**
 * Node flag bits as carried in bus headers and gossip entries (cluster.h CLUSTER_NODE_*),
 * and their spelling in CLUSTER NODES / nodes.conf (cluster.c redisNodeFlagsTable).
 */
export const F = {
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

/** Order matters: Redis prints `myself,master`, `slave,fail?`, etc. */
const NAMES: Array<[number, string]> = [
  [F.MYSELF, 'myself'],
  [F.MASTER, 'master'],
  [F.SLAVE, 'slave'],
  [F.PFAIL, 'fail?'],
  [F.FAIL, 'fail'],
  [F.HANDSHAKE, 'handshake'],
  [F.NOADDR, 'noaddr'],
  [F.NOFAILOVER, 'nofailover'],
];

export function flagsToString(flags: number): string {
  const names = NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
  return names.length ? names.join(',') : 'noflags';
}

export function flagsFromString(text: string): number {
  let flags = 0;
  for (const part of text.split(',')) {
    const hit = NAMES.find(([, name]) => name === part);
    if (hit) flags |= hit[0];
  }
  return flags;
}
