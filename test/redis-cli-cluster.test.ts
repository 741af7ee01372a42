import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { startBareNodes, type BareNodes } from './support/bare-nodes.js';
import { callText } from '../cluster/launcher/admin.js';

const run = promisify(execFile);

/** redis-cli's own output, without its colour codes; a non-zero exit fails with that output. */
async function redisCli(args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('redis-cli', args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, '');
  } catch (e) {
    const { stdout, stderr } = e as { stdout: string; stderr: string };
    throw new Error(`redis-cli ${args.join(' ')} failed:\n${(stdout + stderr).replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => !l.includes('Moving slot')).join('\n')}`);
  }
}

/** Replicas are announced over the bus: wait until node 0 sees all three. */
async function replicasSeenBy(port: number, expected: number): Promise<number> {
  let seen = 0;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const nodes = await callText('127.0.0.1', port, ['CLUSTER', 'NODES']);
    seen = nodes.trim().split('\n').filter((l) => l.split(' ')[2].includes('slave')).length;
    if (seen === expected) break;
  }
  return seen;
}

/**
 * System test: redis-cli 7.0 from Debian (redis-tools) builds and reshapes a cluster
 * of six fresh kvnetlab nodes with its --cluster commands, unmodified.
 */
describe('redis-cli --cluster against six fresh kvnetlab nodes', () => {
  const ports = [21101, 21102, 21103, 21104, 21105, 21106];
  let nodes: BareNodes;
  const addrs = ports.map((p) => `127.0.0.1:${p}`);

  beforeAll(async () => {
    nodes = await startBareNodes(ports);
  }, 60_000);
  afterAll(async () => nodes?.stop());

  it('creates a 3-master 1-replica cluster with --cluster create --cluster-replicas 1', async () => {
    const out = await redisCli(['--cluster', 'create', ...addrs, '--cluster-replicas', '1', '--cluster-yes']);
    expect(out).toContain('[OK] All 16384 slots covered.');
    expect(await replicasSeenBy(ports[0], 3)).toBe(3);
  });

  it('reports every slot covered with --cluster check and --cluster info', async () => {
    const deadline = Date.now() + 30_000;
    let out = '';
    // Replicas are announced over the bus; check agrees once gossip has settled.
    while (Date.now() < deadline) {
      out = await redisCli(['--cluster', 'check', addrs[0]]);
      if (out.includes('[OK] All nodes agree about slots configuration.')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(out).toContain('[OK] All nodes agree about slots configuration.');
    expect(out).toContain('[OK] All 16384 slots covered.');
    const info = await redisCli(['--cluster', 'info', addrs[0]]);
    expect(info).toMatch(/3 masters/);
  });

  it('moves 1000 slots with their keys using --cluster reshard, and every key survives', async () => {
    // No auto-pipelining: ioredis does not follow MOVED with it (same against redis-server).
    const client = new Cluster([{ host: '127.0.0.1', port: ports[0] }]);
    const N = 5000;
    await Promise.all(Array.from({ length: N }, (_, i) => client.set(`reshard:${i}`, `v${i}`)));

    const nodesText = await callText('127.0.0.1', ports[0], ['CLUSTER', 'NODES']);
    const masters = nodesText.trim().split('\n').map((l) => l.split(' ')).filter((f) => f[2].includes('master'));
    const slotCount = (f: string[]) => f.slice(8).reduce((n, r) => {
      const [a, b] = r.split('-').map(Number);
      return n + ((b ?? a) - a + 1);
    }, 0);
    const [from, to] = masters;
    const before = slotCount(to);
    const out = await redisCli([
      '--cluster', 'reshard', addrs[0], '--cluster-from', from[0], '--cluster-to', to[0], '--cluster-slots', '1000', '--cluster-yes',
    ]);
    expect(out).not.toMatch(/\[ERR\]/);

    const after = (await callText('127.0.0.1', ports[0], ['CLUSTER', 'NODES'])).trim().split('\n').map((l) => l.split(' ')).find((f) => f[0] === to[0])!;
    expect(slotCount(after)).toBe(before + 1000);

    const check = await redisCli(['--cluster', 'check', addrs[0]]);
    expect(check).toContain('[OK] All 16384 slots covered.');

    const results = await Promise.all(Array.from({ length: N }, (_, i) => client.get(`reshard:${i}`)));
    expect(results.filter((v, i) => v !== `v${i}`).length).toBe(0);
    client.disconnect();
  });

  it('finds nothing to repair with --cluster fix on a healthy cluster', async () => {
    const out = await redisCli(['--cluster', 'fix', addrs[0]]);
    expect(out).toContain('[OK] All 16384 slots covered.');
  });
});
