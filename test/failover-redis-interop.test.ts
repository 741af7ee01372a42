import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callText, fields, text, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';

/**
 * Interop: failover elections across implementations, in one cluster of real
 * redis-server 7.0 and kvnetlab processes (node timeout 2 s):
 *
 *   R1 redis  master 0-5460        <- R3 redis replica
 *   R2 redis  master 5461-10922
 *   K1 kvnetlab master 10923-16383 <- K2 kvnetlab replica
 *
 * With 3 slot-serving masters the quorum is 2, so once a master is dead every other
 * master's vote is needed: kill R1 and R3 wins only if K1 (kvnetlab) votes for it;
 * then kill K1 and K2 (kvnetlab) wins only if R2 and R3 (redis) vote for it.
 * Ports 22131-22135 (bus +10000).
 */
const HOST = '127.0.0.1';
const NODE_TIMEOUT = 2_000;

interface Proc {
  name: string;
  port: number;
  pid: number;
  dir: string;
  id: string;
  kind: 'redis' | 'kvnetlab';
}

function start(root: string, name: string, port: number, kind: Proc['kind']): Proc {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const args =
    kind === 'redis'
      ? [
          '--port', String(port), '--bind', HOST, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', String(NODE_TIMEOUT), '--cluster-announce-ip', HOST, '--dir', dir,
          '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--proc-title-template', '{title} --port {port}',
        ]
      : [kvnetlabCli(), 'node', '--port', String(port), '--bus-port', String(port + 10000), '--dir', dir, '--node-timeout', String(NODE_TIMEOUT), '--host', HOST, '--announce-host', HOST];
  const pid = spawnDetached(kind === 'redis' ? 'redis-server' : process.execPath, args, dir, join(dir, 'node.log'));
  return { name, port, pid, dir, id: '', kind };
}

async function myselfLine(port: number): Promise<string[]> {
  const nodes = await callText(HOST, port, ['CLUSTER', 'NODES']);
  return nodes.split('\n').find((l) => l.includes('myself'))!.split(' ');
}

/** `subject` is a master serving a range starting at `firstSlot`, in the CLUSTER NODES of every observer. */
async function servesEverywhere(subject: Proc, firstSlot: number, observers: Proc[]): Promise<boolean> {
  for (const o of observers) {
    const line = (await callText(HOST, o.port, ['CLUSTER', 'NODES'])).split('\n').find((l) => l.startsWith(subject.id));
    const f = line?.split(' ') ?? [];
    if (!f[2]?.split(',').includes('master') || !f.slice(8).some((r) => r.split('-')[0] === String(firstSlot))) return false;
  }
  return true;
}

describe('failover elections between redis-server 7.0 and kvnetlab nodes', () => {
  let root: string;
  const procs: Proc[] = [];
  let R1: Proc, R2: Proc, R3: Proc, K1: Proc, K2: Proc;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'kvnetlab-interop-'));
    R1 = start(root, 'r1', 22131, 'redis');
    R2 = start(root, 'r2', 22132, 'redis');
    K1 = start(root, 'k1', 22133, 'kvnetlab');
    K2 = start(root, 'k2', 22134, 'kvnetlab');
    R3 = start(root, 'r3', 22135, 'redis');
    procs.push(R1, R2, K1, K2, R3);
    for (const p of procs) {
      await waitFor(`${p.name} answers`, 20_000, async () => (await callText(HOST, p.port, ['PING'])) === 'PONG');
      p.id = await callText(HOST, p.port, ['CLUSTER', 'MYID']);
    }
    for (const [i, p] of procs.entries()) await call(HOST, p.port, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
    await callText(HOST, R1.port, ['CLUSTER', 'ADDSLOTSRANGE', 0, 5460]);
    await callText(HOST, R2.port, ['CLUSTER', 'ADDSLOTSRANGE', 5461, 10922]);
    await callText(HOST, K1.port, ['CLUSTER', 'ADDSLOTSRANGE', 10923, 16383]);
    for (const p of procs.slice(1)) await callText(HOST, p.port, ['CLUSTER', 'MEET', HOST, R1.port, R1.port + 10000]);
    await waitFor('full mesh', 20_000, async () => {
      for (const p of procs) {
        const nodes = await callText(HOST, p.port, ['CLUSTER', 'NODES']);
        if (nodes.trim().split('\n').length !== procs.length || nodes.includes('handshake')) return false;
      }
      return true;
    });
    await callText(HOST, R3.port, ['CLUSTER', 'REPLICATE', R1.id]);
    await callText(HOST, K2.port, ['CLUSTER', 'REPLICATE', K1.id]);
    await waitFor('replicas linked, cluster ok everywhere', 30_000, async () => {
      for (const r of [R3, K2]) if (fields(text(await call(HOST, r.port, ['INFO', 'replication']))).master_link_status !== 'up') return false;
      for (const p of procs) if (fields(text(await call(HOST, p.port, ['CLUSTER', 'INFO']))).cluster_state !== 'ok') return false;
      return true;
    });
  }, 90_000);

  afterAll(async () => {
    for (const p of procs) await stopProcess(p.pid, `--port ${p.port}`, 3000);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('interop: a redis replica wins with the vote of a kvnetlab master, then a kvnetlab replica wins with the votes of redis masters', async () => {
    // 1. R1 dies: R3 needs R2 and K1.
    process.kill(R1.pid, 'SIGKILL');
    await waitFor('R3 serves 0-5460 everywhere', NODE_TIMEOUT * 6, () => servesEverywhere(R3, 0, [R2, K1, K2, R3]), 100);
    const k1Log = readFileSync(join(K1.dir, 'node.log'), 'utf8');
    expect(k1Log).toMatch(new RegExp(`Failover auth granted to ${R3.id} for epoch \\d+`));
    expect((await myselfLine(R3.port))[2]).toBe('myself,master');

    // 2. K1 dies: K2 needs R2 and R3, both redis-server.
    process.kill(K1.pid, 'SIGKILL');
    await waitFor('K2 serves 10923-16383 everywhere', NODE_TIMEOUT * 6, () => servesEverywhere(K2, 10923, [R2, R3, K2]), 100);
    for (const r of [R2, R3]) {
      expect(readFileSync(join(r.dir, 'node.log'), 'utf8')).toMatch(new RegExp(`Failover auth granted to ${K2.id}`));
    }
    const k2 = readFileSync(join(K2.dir, 'node.log'), 'utf8');
    expect(k2).toContain("Failover election won: I'm the new master.");
    expect((await myselfLine(K2.port))[2]).toBe('myself,master');
    await waitFor('cluster ok on the live nodes', 10_000, async () => {
      for (const p of [R2, R3, K2]) if (fields(text(await call(HOST, p.port, ['CLUSTER', 'INFO']))).cluster_state !== 'ok') return false;
      return true;
    });
    // The two elections took two new epochs, the same everywhere.
    const epochs = await Promise.all([R2, R3, K2].map(async (p) => fields(text(await call(HOST, p.port, ['CLUSTER', 'INFO']))).cluster_current_epoch));
    expect(new Set(epochs).size).toBe(1);
    expect(Number(epochs[0])).toBe(procs.length + 2);
  }, 60_000);
});
