import type { ClusterState } from '../topology/state.js';
import { F } from '../topology/node-flags.js';
import type { Replication } from './replication.js';

/**
 * INFO replication with Redis 7.0's fields, in its order (server.c genRedisInfoString):
 * the replica block first when this node is a replica, then connected_slaves and one
 * slaveN line per replica, then the history (replid, offsets, backlog).
 */
export function replicationInfo(r: Replication, cluster: ClusterState, nowMs: number): string[] {
  const me = cluster.myself;
  const h = r.history;
  const lines: string[] = [];
  if (me.flags & F.SLAVE) {
    const master = me.slaveof ? cluster.lookup(me.slaveof) : undefined;
    const link = r.link;
    const up = link?.state === 'connected';
    lines.push(
      'role:slave',
      `master_host:${master?.ip ?? ''}`,
      `master_port:${master?.port ?? 0}`,
      `master_link_status:${up ? 'up' : 'down'}`,
      `master_last_io_seconds_ago:${link && up ? Math.floor((nowMs - link.lastIoMs) / 1000) : -1}`,
      `master_sync_in_progress:${link?.state === 'transfer' ? 1 : 0}`,
      `slave_read_repl_offset:${h.offset}`,
      `slave_repl_offset:${h.offset}`,
    );
    if (!up) lines.push(`master_link_down_since_seconds:${Math.floor(r.masterLinkDownMs(nowMs) / 1000)}`);
    lines.push('slave_priority:100', 'slave_read_only:1', 'replica_announced:1');
  } else {
    lines.push('role:master');
  }
  const replicas = [...r.feeds.replicas.values()];
  lines.push(`connected_slaves:${replicas.length}`);
  replicas.forEach((s, i) => {
    const state = s.state === 'wait_ack' ? 'online' : s.state === 'send_bulk' ? 'send_bulk' : s.state === 'online' ? 'online' : 'wait_bgsave';
    lines.push(`slave${i}:ip=${s.ip},port=${s.listeningPort},state=${state},offset=${s.ackOffset},lag=${Math.floor((nowMs - s.ackTimeMs) / 1000)}`);
  });
  lines.push(
    'master_failover_state:no-failover',
    `master_replid:${h.replid}`,
    `master_replid2:${h.replid2}`,
    `master_repl_offset:${h.offset}`,
    `second_repl_offset:${h.secondReplOffset}`,
    `repl_backlog_active:${h.backlog ? 1 : 0}`,
    `repl_backlog_size:${h.backlog?.size ?? r.configuredBacklogSize()}`,
    `repl_backlog_first_byte_offset:${h.backlog?.firstByteOffset ?? 0}`,
    `repl_backlog_histlen:${h.backlog?.histlen ?? 0}`,
  );
  return lines;
}
