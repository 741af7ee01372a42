import { rmSync } from 'node:fs';
import { call, sleep } from '../cluster/launcher/admin.js';
import type { ClusterFile, NodeEntry } from './cluster.js';
import { ControllerError } from './errors.js';
import type { Event } from './event-log.js';
import { nextCodeVersion, shutdownNode, snapshotPath, startNode } from './node-process.js';
import { info } from './node-roles.js';
import { failover, probeReplica, syncCounters, waitClusterOk, waitDemoted, waitSynced } from './node-roles.js';

/**
 * Conventional patching (DESIGN.md; the SIGMOD 2025 paper's CP runs), one
 * master-replica group at a time:
 *
 *   replica R: restart --> resync (link up, offset caught up, a probe SET on M read on R)
 *   CLUSTER FAILOVER on R (plain x10, then FORCE, then TAKEOVER) --> roles swapped
 *   old master M: restart --> resync as R's replica
 *   pause, next group
 *
 * cp-partial: SHUTDOWN SAVE, restart from the snapshot, which holds the replica's
 * replication id and offset, so it resumes with PSYNC from the backlog (enlarged first
 * on the master, as the paper did); cp-full: SHUTDOWN NOSAVE and the snapshot deleted,
 * so the node comes back empty and syncs fully. Each step is a phase row.
 */
export interface RollingOptions {
  full: boolean;
  pauseMs: number;
  timeoutMs: number;
  backlogBytes: number;
  failoverTries: number;
  failoverTryMs: number;
}

export interface Group {
  master: NodeEntry;
  replicas: NodeEntry[];
}

export async function rollingRestart(ev: Event, runDir: string, file: ClusterFile, groups: Group[], o: RollingOptions): Promise<void> {
  ev.note('groups', groups.map((g) => ({ master: g.master.port, replicas: g.replicas.map((r) => r.port) })));
  for (const [i, g] of groups.entries()) {
    const [first, ...others] = g.replicas;
    if (!first) throw new ControllerError('BAD_STATE', `master ${g.master.port} has no replica: a rolling restart would take its slots offline`);
    if (!o.full) {
      // A backlog big enough for the writes made while a node is down (replication.c
      // addReplyReplicationBacklog serves PSYNC from it; too small means a full sync).
      await call(file.host, g.master.adminPort, ['CONFIG', 'SET', 'repl-backlog-size', o.backlogBytes]);
    }
    for (const r of [first, ...others]) await restartAndResync(ev, runDir, file, r, g.master, o);
    const outcome = await ev.phase('failover', first.id, String(first.port), async (d) => {
      const out = await failover(file, first, 'default', { tries: o.failoverTries, tryMs: o.failoverTryMs, log: (l) => ev.log(l) });
      await waitDemoted(file, g.master, first, o.timeoutMs);
      // The demoted master resyncs (partially) from the new one; let that finish here, so
      // its restart's resync phase counts only the sync the restart caused.
      await waitSynced(file, g.master, first, o.timeoutMs);
      Object.assign(d, { mode: out.mode, attempts: out.attempts, old_master: g.master.port, ...(out.misses.length ? { misses: out.misses } : {}) });
      return out;
    });
    ev.log(`group ${i + 1}/${groups.length}: ${first.port} is master (${outcome.mode}, ${outcome.attempts} attempt(s))`);
    if (!o.full) await call(file.host, first.adminPort, ['CONFIG', 'SET', 'repl-backlog-size', o.backlogBytes]);
    await restartAndResync(ev, runDir, file, g.master, first, o);
    if (i < groups.length - 1 && o.pauseMs > 0) await ev.phase('pause', '', '', async (d) => {
      d.ms = o.pauseMs;
      await sleep(o.pauseMs);
    });
  }
  const all = groups.flatMap((g) => [g.master, ...g.replicas]);
  await ev.phase('settle', '', '', () => waitClusterOk(file, all, o.timeoutMs));
}

/** One node's restart and resync phases; `master` is the node it replicates from afterwards. */
async function restartAndResync(ev: Event, runDir: string, file: ClusterFile, n: NodeEntry, master: NodeEntry, o: RollingOptions): Promise<void> {
  const before = await syncCounters(file, master);
  await ev.phase('restart', n.id, String(n.port), async (d) => {
    const snapshot = await snapshotPath(file, n);
    // A kvnetlab node comes back as the next code version (redis-server has none).
    const old = file.kind === 'kvnetlab' ? (await info(file, n, 'server')).kvnetlab_version : undefined;
    const version = old ? nextCodeVersion(old) : undefined;
    await shutdownNode(runDir, file, n, !o.full, o.timeoutMs);
    if (o.full) rmSync(snapshot, { force: true });
    d.pid = await startNode(runDir, file, n, o.timeoutMs, version);
    d.snapshot = o.full ? 'deleted' : 'kept';
    if (version) Object.assign(d, { from_version: old, to_version: version });
  });
  await ev.phase('resync', n.id, String(n.port), async (d) => {
    const { offset } = await waitSynced(file, n, master, o.timeoutMs);
    await probeReplica(file, n, master, o.timeoutMs);
    const after = await syncCounters(file, master);
    Object.assign(d, { master: master.port, offset, full_syncs: after.full - before.full, partial_syncs: after.partial - before.partial });
  });
}
