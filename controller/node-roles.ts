import { GiveUp, call, callText, fields, sleep, waitFor } from '../cluster/launcher/admin.js';
import { randomBytes } from 'node:crypto';
import { PeerClient } from '../cluster/node/peer-client.js';
import { keyHashSlot } from '../cluster/store/slot.js';
import { type ClusterFile, type NodeEntry, parseClusterNodes } from './cluster.js';
import { ControllerError } from './errors.js';

/** `waitFor`, with its timeout as a typed TIMEOUT error (and GiveUp as BAD_STATE). */
export async function within(what: string, timeoutMs: number, check: () => Promise<boolean>, everyMs = 200): Promise<void> {
  try {
    await waitFor(what, timeoutMs, check, everyMs);
  } catch (e) {
    if (e instanceof ControllerError) throw e;
    throw new ControllerError(e instanceof GiveUp ? 'BAD_STATE' : 'TIMEOUT', (e as Error).message);
  }
}

/** Replication and role checks over RESP, for any Redis-7.0-compatible node (kvnetlab or redis-server). */

export async function info(file: ClusterFile, n: NodeEntry, section: string): Promise<Record<string, string>> {
  try {
    return fields(await callText(file.host, n.adminPort, ['INFO', section]));
  } catch (e) {
    throw new ControllerError('NODE_UNREACHABLE', `INFO ${section} on node ${n.port}: ${(e as Error).message}`);
  }
}

/** This node's line of its own CLUSTER NODES (`myself`). */
export async function myself(file: ClusterFile, n: NodeEntry) {
  const lines = parseClusterNodes(await callText(file.host, n.adminPort, ['CLUSTER', 'NODES']));
  const me = lines.find((l) => l.flags.includes('myself'));
  if (!me) throw new ControllerError('NODE_UNREACHABLE', `node ${n.port}: no myself line in CLUSTER NODES`);
  return me;
}

/** Full and partial syncs a master has served so far (INFO stats sync_full / sync_partial_ok). */
export async function syncCounters(file: ClusterFile, master: NodeEntry): Promise<{ full: number; partial: number }> {
  const s = await info(file, master, 'stats');
  return { full: Number(s.sync_full ?? 0), partial: Number(s.sync_partial_ok ?? 0) };
}

/**
 * Replica `n` is linked and caught up: master_link_status:up and its offset has reached
 * the master's master_repl_offset read just before (replication.c: the replica acks its
 * processed offset; we read it from INFO, the master's side first so it cannot be behind).
 */
export async function waitSynced(file: ClusterFile, n: NodeEntry, master: NodeEntry, timeoutMs: number): Promise<{ offset: number }> {
  let offset = 0;
  await within(`node ${n.port} to be a synced replica of ${master.port}`, timeoutMs, async () => {
    const m = await info(file, master, 'replication');
    const r = await info(file, n, 'replication');
    if (r.role !== 'slave' || Number(r.master_port) !== master.port || r.master_link_status !== 'up') return false;
    if (r.master_sync_in_progress === '1') return false;
    offset = Number(r.slave_repl_offset ?? 0);
    return offset >= Number(m.master_repl_offset ?? 0);
  }, 100);
  return { offset };
}

/** A key whose slot `master` serves (a hash tag tried until one lands in its ranges). */
export function probeKey(slotRanges: string[]): string {
  const ranges = slotRanges.filter((r) => !r.startsWith('[')).map((r) => r.split('-').map(Number) as [number, number?]);
  if (ranges.length === 0) throw new ControllerError('BAD_STATE', 'the master serves no slot: nothing to probe');
  for (let i = 0; ; i++) {
    const key = `kvnetlab:probe:{${i}}`;
    const slot = keyHashSlot(key);
    if (ranges.some(([a, b]) => slot >= a && slot <= (b ?? a))) return key;
  }
}

/**
 * The caught-up check, end to end: SET a fresh value on the master (expiring in
 * 60 s so it does not linger), then READONLY + GET on the replica until it reads it back.
 */
export async function probeReplica(file: ClusterFile, n: NodeEntry, master: NodeEntry, timeoutMs: number): Promise<void> {
  const key = probeKey((await myself(file, master)).slots);
  const value = randomBytes(8).toString('hex');
  const set = await call(file.host, master.adminPort, ['SET', key, value, 'PX', 60_000]);
  if (set.t === 'error') throw new ControllerError('BAD_STATE', `probe SET on ${master.port}: ${set.v}`);
  await within(`node ${n.port} to read the probe written on ${master.port}`, timeoutMs, async () => {
    const peer = new PeerClient(file.host, n.adminPort, 2000);
    try {
      const [, got] = await peer.pipeline([['READONLY'], ['GET', key]], 2000);
      return got?.t === 'bulk' && got.v?.toString() === value;
    } finally {
      peer.close();
    }
  }, 50);
}

export type FailoverMode = 'default' | 'force' | 'takeover';

export interface FailoverOutcome {
  mode: FailoverMode;
  attempts: number;
  oldMaster: string;
  /** Replies of attempts that did not promote the replica (error text or `no promotion in N ms`). */
  misses: string[];
}

/**
 * CLUSTER FAILOVER on replica `n` until it is a master: plain up to `tries` times
 * (each waits `tryMs`; Redis gives a manual failover CLUSTER_MF_TIMEOUT = 5 s), then
 * FORCE (no agreement with the old master), then TAKEOVER (no election), as the paper's
 * conventional patching did. A ladder starting at force skips the plain tries.
 */
export async function failover(file: ClusterFile, n: NodeEntry, start: FailoverMode, o: { tries: number; tryMs: number; log: (l: string) => void }): Promise<FailoverOutcome> {
  const me = await myself(file, n);
  if (me.role !== 'replica') throw new ControllerError('BAD_STATE', `node ${n.port} is a master: send failover to a replica`);
  const ladder: FailoverMode[] = [];
  if (start === 'default') for (let i = 0; i < o.tries; i++) ladder.push('default');
  if (start !== 'takeover') ladder.push('force', 'force');
  ladder.push('takeover');
  const misses: string[] = [];
  for (const [i, mode] of ladder.entries()) {
    const args = mode === 'default' ? ['CLUSTER', 'FAILOVER'] : ['CLUSTER', 'FAILOVER', mode.toUpperCase()];
    const r = await call(file.host, n.adminPort, args).catch((e: Error) => ({ t: 'error' as const, v: e.message }));
    if (r.t === 'error') {
      o.log(`failover ${n.port}: ${args.join(' ')} -> ${r.v}`);
      misses.push(`${args.join(' ')}: ${r.v}`);
    }
    const deadline = Date.now() + o.tryMs;
    while (Date.now() < deadline) {
      const now = await myself(file, n).catch(() => undefined);
      if (now?.role === 'master') return { mode, attempts: i + 1, oldMaster: me.masterId, misses };
      await sleep(100);
    }
    if (r.t !== 'error') misses.push(`${args.join(' ')}: no promotion in ${o.tryMs} ms`);
  }
  throw new ControllerError('BAD_STATE', `node ${n.port} did not become master after ${ladder.length} CLUSTER FAILOVER attempts`);
}

/** The old master (if it runs) now replicates from the new one, as seen by the new master. */
export async function waitDemoted(file: ClusterFile, oldMaster: NodeEntry, newMaster: NodeEntry, timeoutMs: number): Promise<void> {
  await within(`node ${oldMaster.port} to become a replica of ${newMaster.port}`, timeoutMs, async () => {
    const me = await myself(file, oldMaster);
    return me.role === 'replica' && me.masterId === newMaster.id;
  }, 100);
}

/** cluster_state:ok on every listed node. */
export async function waitClusterOk(file: ClusterFile, nodes: NodeEntry[], timeoutMs: number): Promise<void> {
  await within('cluster_state:ok on every node', timeoutMs, async () => {
    for (const n of nodes) if (fields(await callText(file.host, n.adminPort, ['CLUSTER', 'INFO'])).cluster_state !== 'ok') return false;
    return true;
  }, 200);
}
