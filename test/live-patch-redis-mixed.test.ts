import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callText, fields, sleep, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';
import { ensureKeyPair, loadPrivateKey } from '../cluster/patch/keys.js';
import { makeSyntheticPatch } from '../cluster/patch/synth.js';

/**
 * A mixed cluster with patch support on: K1, K2 (kvnetlab, trusting one key) and
 * R1 (redis-server 7.0.15), one master each. Redis 7.0 logs a warning for every unknown
 * ping extension and message type (cluster.c), so the kvnetlab nodes stop sending the
 * extension to a peer whose pings lack it and send PATCH only to patch peers: the
 * cluster stays ok and R1's log stops growing. K3 (kvnetlab, --no-patch-support, no
 * slots) is the paper's Baseline node among them. Ports 15201-15204 (bus +10000).
 */
const HOST = '127.0.0.1';
const PORTS = { K1: 15201, K2: 15202, R1: 15203, K3: 15204 };

interface Proc { name: string; port: number; pid: number; dir: string }

describe('live patching in a cluster with a redis-server node', () => {
  let root: string;
  const procs: Proc[] = [];
  let keyDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'kvnetlab-lp-mixed-'));
    keyDir = join(root, 'keys');
    const { publicFile } = ensureKeyPair(keyDir);
    for (const [name, port] of Object.entries(PORTS)) {
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      const redis = name.startsWith('R');
      const args = redis
        ? ['--port', String(port), '--bind', HOST, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000',
          '--cluster-announce-ip', HOST, '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--proc-title-template', '{title} --port {port}']
        : [kvnetlabCli(), 'node', '--port', String(port), '--dir', dir, '--node-timeout', '5000', '--host', HOST,
          ...(name === 'K3' ? ['--no-patch-support'] : ['--patch-trust', publicFile])];
      procs.push({ name, port, dir, pid: spawnDetached(redis ? 'redis-server' : process.execPath, args, dir, join(dir, 'node.log')) });
    }
    for (const p of procs) await waitFor(`${p.name} answers`, 20_000, async () => (await callText(HOST, p.port, ['PING'])) === 'PONG');
    for (const [i, p] of procs.entries()) await call(HOST, p.port, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
    await callText(HOST, PORTS.K1, ['CLUSTER', 'ADDSLOTSRANGE', 0, 5460]);
    await callText(HOST, PORTS.K2, ['CLUSTER', 'ADDSLOTSRANGE', 5461, 10922]);
    await callText(HOST, PORTS.R1, ['CLUSTER', 'ADDSLOTSRANGE', 10923, 16383]);
    for (const p of procs.slice(1)) await callText(HOST, p.port, ['CLUSTER', 'MEET', HOST, PORTS.K1, PORTS.K1 + 10000]);
    await waitFor('cluster ok everywhere', 30_000, async () => {
      for (const p of procs) if (fields(await callText(HOST, p.port, ['CLUSTER', 'INFO'])).cluster_state !== 'ok') return false;
      return true;
    });
  }, 90_000);

  afterAll(async () => {
    for (const p of procs) await stopProcess(p.pid, `--port ${p.port}`, 3000);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('live patch: a pushed patch reaches the kvnetlab peer only; redis-server stays ok and its log stops growing', async () => {
    await sleep(3000); // every node has pinged every other a few times
    const warnings = () => {
      const log = readFileSync(join(procs.find((p) => p.name === 'R1')!.dir, 'node.log'), 'utf8');
      return { ext: log.split('Received unknown extension type').length - 1, type: log.split('Received unknown packet type').length - 1 };
    };
    const before = warnings();
    const bundle = makeSyntheticPatch({ size: 4096, version: 1, target: 'v1', privateKey: loadPrivateKey(join(keyDir, 'patch-key.pem')) });
    expect(String((await call(HOST, PORTS.K1, ['PATCH', 'LOAD', bundle, 'PUSH'])).t)).not.toBe('error');
    await waitFor('K2 applied v1', 10_000, async () => fields(await callText(HOST, PORTS.K2, ['INFO', 'patches'])).patch_version === '1');
    await sleep(3000);
    const after = warnings();
    console.log(`redis-server warnings: unknown extension ${before.ext} before the patch (start-up), ${after.ext} after; unknown packet type ${after.type}`);
    expect(after.type).toBe(0); // no PATCH / PATCH_REQUEST ever reached it
    expect(after.ext).toBe(before.ext); // the extension stopped once R1's first pings were seen
    expect(before.ext).toBeLessThanOrEqual(6);
    const k1 = fields(await callText(HOST, PORTS.K1, ['INFO', 'patches']));
    expect(k1.patch_msgs_sent).toBe('1'); // to K2 only: neither R1 nor the Baseline node K3
    const k3 = fields(await callText(HOST, PORTS.K3, ['INFO', 'patches']));
    expect(k3.patch_support).toBe('0');
    expect(String((await call(HOST, PORTS.K3, ['PATCH', 'LIST'])).v)).toMatch(/NO_SUPPORT/);
    for (const p of procs) expect(fields(await callText(HOST, p.port, ['CLUSTER', 'INFO'])).cluster_state).toBe('ok');
    expect(await callText(HOST, PORTS.R1, ['CLUSTER', 'INFO'])).toContain('cluster_known_nodes:4');
  }, 60_000);
});
