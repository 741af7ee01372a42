import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callText, fields, sleep, waitFor } from '../cluster/launcher/admin.js';
import { loadPrivateKey, PRIVATE_KEY_FILE } from '../cluster/patch/keys.js';
import { signBundle } from '../cluster/patch/sign.js';
import { makeSyntheticPatch } from '../cluster/patch/synth.js';
import type { EventView } from '../controller/event-log.js';
import { type RunningController, startController } from '../controller/start.js';
import { runLoadgen } from '../loadgen/main.js';
import { preset } from '../loadgen/presets.js';
import { MemorySink } from '../telemetry/local-sinks.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';
import { readProxyRows } from './support/proxy-rows.js';
import { runCli } from './support/run-cli.js';

/*
 * Live patching on 3P-1R started as `kvnetlab up` starts it (node processes from dist/,
 * a measuring proxy in front of each node, a key pair in the run directory), driven
 * through the controller. Client ports 15101-15112 (proxies 15101-15106, nodes
 * 15107-15112), bus +10000. Figures printed: update lag per method (median of 4 patches
 * each), bus bytes per patch from the proxies' rows.
 */

const HOST = '127.0.0.1';
const BASE = 15101;
const PATCH_SIZE = 8 * 1024;

let cluster: TestCluster;
let controller: RunningController;
const sink = new MemorySink();
let nextVersion = 1;

const ports = () => cluster.state.nodes.map((n) => n.port);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function post(body: object): Promise<EventView> {
  const res = await fetch(`${controller.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${controller.token}` }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(202);
  const { event } = (await res.json()) as { event: EventView };
  await controller.runner.idle;
  return controller.runner.get(event.id)!;
}

function writeBundle(name: string, bytes: Buffer): string {
  const file = join(cluster.dir, name);
  writeFileSync(file, bytes);
  return file;
}

function synth(): string {
  const version = nextVersion++;
  return writeBundle(`synth-v${version}.kvpb`, makeSyntheticPatch({ size: PATCH_SIZE, version, target: 'v1', privateKey: loadPrivateKey(join(cluster.dir, PRIVATE_KEY_FILE)) }));
}

async function patchInfo(port: number): Promise<Record<string, string>> {
  return fields(await callText(HOST, port, ['INFO', 'patches']));
}

beforeAll(async () => {
  cluster = await startCluster({ primaries: 3, replicas: 1, basePort: BASE });
  controller = await startController({ runDir: cluster.dir, port: 0, runId: 'live-patch-test', sink, log: () => {}, timeoutMs: 20_000 });
  // Every node has seen every other's extension once (a node learns patch support from pings).
  await sleep(2000);
}, 120_000);

afterAll(async () => {
  await controller?.close();
  await cluster?.stop();
});

describe('live patching on 3P-1R (kvnetlab up, proxies)', () => {
  const lags: Record<'pull' | 'push', number[]> = { pull: [], push: [] };

  it('live patch: a patch reaches every node by pull and by push, with one apply phase per node; pull lags behind push', async () => {
    for (let round = 0; round < 4; round++) {
      for (const method of ['pull', 'push'] as const) {
        const ev = await post({ kind: 'live-patch', method, patch: synth() });
        expect(ev.state, JSON.stringify(ev.error)).toBe('ok');
        expect(ev.phases.map((p) => p.kind)).toEqual(Array(6).fill('apply'));
        expect(new Set(ev.phases.map((p) => p.node)).size).toBe(6);
        for (const p of ev.phases) {
          expect(p.state).toBe('ok');
          expect(p.detail.applied_ms as number).toBeGreaterThanOrEqual((p.detail.registered_ms as number | undefined) ?? (p.detail.received_ms as number));
        }
        const d = ev.detail as { lag_ms: number; first_registered_ms: number; last_applied_ms: number; bytes: number };
        expect(d.bytes).toBe(PATCH_SIZE);
        expect(d.lag_ms).toBe(d.last_applied_ms - d.first_registered_ms);
        expect(d.lag_ms).toBeGreaterThanOrEqual(0);
        lags[method].push(d.lag_ms);
      }
    }
    console.log(`update lag (ms, 4 patches each, 3P-1R): pull ${lags.pull.join(' ')} median ${median(lags.pull)}; push ${lags.push.join(' ')} median ${median(lags.push)}`);
    expect(median(lags.pull)).toBeGreaterThan(median(lags.push));
    // Every node holds all 8 versions and advertises them.
    for (const port of ports()) {
      const info = await patchInfo(port);
      expect(info).toMatchObject({ patch_support: '1', patch_version: '8', patch_bitmap: '000000ff', patches_applied: '8', patch_last_refusal: '' });
    }
    // The rows: the event and one `apply` phase per node, with the node's own times.
    const top = sink.rows('events').filter((r) => r.kind === 'live-patch' && r.status === 'ok');
    expect(top.length).toBe(8);
    const phases = sink.rows('events').filter((r) => r.kind === 'apply' && r.parent_id === top[0]!.event_id && r.status === 'ok');
    expect(phases.length).toBe(6);
    expect(JSON.parse(phases[0]!.detail)).toHaveProperty('applied_ms');
  }, 120_000);

  it('live patch: bus bytes of a patch, from the proxies\' rows, are its PATCH frames (and PATCH_REQUESTs for pull)', async () => {
    await sleep(300); // the proxies flush their 100 ms buckets on a timer
    // A node sends over its own outbound links, into the peer's proxy: every bus byte is
    // counted once, as received by the node behind that proxy.
    const rows = readProxyRows(cluster.state).filter((r) => r.channel === 'bus' && r.direction === 'received');
    const sum = (t: string) => rows.filter((r) => r.msg_type === t).reduce((n, r) => n + r.bytes, 0);
    const count = (t: string) => rows.filter((r) => r.msg_type === t).reduce((n, r) => n + r.messages, 0);
    const patchBytes = sum('patch');
    const requestBytes = sum('patch-request');
    // 8 patches, each to 5 other nodes (a pull may be requested twice when two peers
    // advertise it at once; then the answer is sent twice and the copy ignored).
    expect(count('patch')).toBeGreaterThanOrEqual(40);
    expect(patchBytes).toBeGreaterThanOrEqual(40 * (2256 + 8 + PATCH_SIZE));
    expect(count('patch-request')).toBeGreaterThanOrEqual(20);
    let infoBytes = 0;
    for (const port of ports()) infoBytes += Number((await patchInfo(port)).patch_bytes_sent);
    expect(patchBytes).toBe(infoBytes); // the proxy saw exactly what the nodes say they sent
    // Every PING/PONG/MEET is 2256 header + 104 per gossip entry + the 16-byte patch
    // extension: per row, bytes - messages x 2272 is a whole number of gossip entries
    // (without the extension it would be off by 16 per message, never a multiple of 104).
    const pings = rows.filter((r) => r.msg_type === 'PING' || r.msg_type === 'PONG' || r.msg_type === 'MEET');
    expect(pings.length).toBeGreaterThan(10);
    for (const r of pings) expect((r.bytes - r.messages * (2256 + 16)) % 104, JSON.stringify(r)).toBe(0);
    const pingBytes = pings.reduce((n, r) => n + r.bytes, 0);
    const pingCount = pings.reduce((n, r) => n + r.messages, 0);
    console.log(`PING/PONG/MEET: ${pingCount} frames, ${(pingBytes / pingCount).toFixed(1)} B each on average, of which 16 B patch extension (${((16 / (pingBytes / pingCount)) * 100).toFixed(2)} %)`);
    console.log(`LP bus bytes for 8 patches of ${PATCH_SIZE} B: PATCH ${patchBytes} B in ${count('patch')} frames, PATCH_REQUEST ${requestBytes} B in ${count('patch-request')} frames = ${((patchBytes + requestBytes) / 8 / 1024).toFixed(1)} KiB per patch (${((patchBytes + requestBytes) / 8 / 5 / 1024).toFixed(2)} KiB per receiving node)`);
  });

  it('live patch: the behaviour-changing patch (ECHO in upper case) answers on every node', async () => {
    for (const port of ports()) expect(await callText(HOST, port, ['ECHO', 'hello'])).toBe('hello');
    const module = readFileSync(join(import.meta.dirname, '..', 'patches', 'echo-shout.mjs'));
    const file = writeBundle('echo-shout.kvpb', signBundle({ id: 'echo-shout', version: nextVersion++, target: 'v1' }, module, loadPrivateKey(join(cluster.dir, PRIVATE_KEY_FILE))));
    // Through the CLI, as a user would.
    const r = await runCli(['event', 'live-patch', '--method', 'push', '--patch', file, '--node', String(BASE + 1), '--dir', cluster.dir, '--json'], 60_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const ev = JSON.parse(r.stdout) as EventView;
    expect(ev).toMatchObject({ state: 'ok', detail: { method: 'push', patch_id: 'echo-shout' } });
    for (const port of ports()) expect(await callText(HOST, port, ['ECHO', 'hello'])).toBe('HELLO');
  }, 60_000);

  it('live patch: a tampered patch, one signed by an unknown key and one that throws on load are refused on every node, which keep serving', async () => {
    const key = loadPrivateKey(join(cluster.dir, PRIVATE_KEY_FILE));
    const tampered = makeSyntheticPatch({ size: 2000, version: nextVersion++, target: 'v1', privateKey: key });
    tampered[tampered.length - 200] ^= 0x01; // a byte of the module's padding
    const stranger = makeSyntheticPatch({ size: 2000, version: nextVersion++, target: 'v1', privateKey: generateKeyPairSync('ed25519').privateKey });
    const throwing = signBundle({ id: 'throws', version: nextVersion++, target: 'v1' }, readFileSync(join(import.meta.dirname, '..', 'patches', 'throws-on-load.mjs')), key);
    const client = new Cluster(cluster.seeds);
    try {
      for (const [name, bytes, code] of [['tampered', tampered, 'BAD_SIGNATURE'], ['stranger', stranger, 'UNTRUSTED_KEY'], ['throwing', throwing, 'LOAD_FAILED']] as const) {
        const ev = await post({ kind: 'live-patch', method: 'push', patch: writeBundle(`${name}.kvpb`, bytes) });
        expect(ev.state).toBe('failed');
        expect(Object.values(ev.detail.refusals as Record<string, string>)).toEqual(Array(6).fill(code));
        expect(ev.phases.every((p) => p.state === 'failed' && p.detail.refusal === code)).toBe(true);
        for (const port of ports()) {
          const info = await patchInfo(port);
          expect(info.patch_last_refusal).toBe(code);
          expect(info.patch_version).toBe('9'); // still the last good one
        }
        expect(await client.set(`lp:${name}`, name)).toBe('OK');
        expect(await client.get(`lp:${name}`)).toBe(name);
      }
    } finally {
      client.disconnect();
    }
    for (const port of ports()) expect(await callText(HOST, port, ['ECHO', 'still'])).toBe('STILL'); // the code that ran before
    const log = readFileSync(join(cluster.state.nodes[3]!.dir, 'node.log'), 'utf8');
    expect(log).toMatch(/patch v\d+ refused: LOAD_FAILED/);
  }, 60_000);

  it('live patch: no acknowledged write is lost across live patches under loadgen --verify', async () => {
    const methods: Array<'pull' | 'push'> = [];
    const s = await runLoadgen({
      spec: { ...preset('ycsb-a'), recordCount: 300, operationCount: 0, durationS: 6 },
      phase: 'both', seeds: cluster.seeds, connections: 4, target: 400, seed: 7, memoryBytes: 0, runId: 'lp-verify', out: null,
      progress: () => undefined, verify: true,
      beforeRun: async () => {
        void (async () => {
          for (const method of ['push', 'pull', 'push'] as const) {
            await sleep(1000);
            const ev = await post({ kind: 'live-patch', method, patch: synth() });
            expect(ev.state).toBe('ok');
            methods.push(method);
          }
        })();
      },
    });
    expect(methods.length).toBe(3);
    console.log(`loadgen --verify across 3 live patches: ${s.verify!.acknowledged_writes} acknowledged writes, lost ${s.verify!.lost}, stale ${s.verify!.stale}`);
    expect(s.verify!.acknowledged_writes).toBeGreaterThan(500);
    expect(s.verify!.lost).toBe(0);
    expect(s.verify!.stale).toBe(0);
    const last = String(nextVersion - 1);
    await waitFor(`every node to hold version ${last}`, 10_000, async () => {
      for (const port of ports()) if ((await patchInfo(port)).patch_version !== last) return false;
      return true;
    });
  }, 60_000);
});
