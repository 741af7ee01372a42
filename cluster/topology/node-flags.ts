/**
 * Node flags as CLUSTER NODES and nodes.conf spell them (cluster.c redisNodeFlagsTable).
 */
import { NodeFlag } from '../bus/constants.js';

/** The flag bits, defined once with the wire format (cluster/bus/constants.ts). */
export const F = NodeFlag;

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
