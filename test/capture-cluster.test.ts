import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../capture/compare.js';
import { bpfFilter, portMapFromList } from '../capture/port-map.js';
import { isAlive, kvnetlabCli } from '../cluster/launcher/processes.js';
import { type LocalClusterState, readState } from '../cluster/launcher/state-file.js';
import { runCli } from './support/run-cli.js';
import { startTshark, type TsharkCapture } from './support/tshark.js';

/*
 * Two instruments, one truth: `kvnetlab up --capture` (3P-1R) under the load generator at
 * its maximum rate (closed loop, 32 connections), the proxies' counts against the
 * capture's TCP payload bytes per node and channel, with tshark (dumpcap) capturing the
 * same filter alongside. Runs as root with libpcap-dev (CI: .ci/run).
 *
 * The end of a run is quiesced so that nothing is in flight between the two legs of a
 * proxy: every node is frozen (SIGSTOP), the proxies relay what is on its way and are
 * stopped (they close their connections: FIN/RST, no payload), then the capture, then
 * tshark. A node stopped by `down` first would leave bytes the capture saw on their way
 * to a proxy that closed without reading them (e.g. a peer's 2568-byte PING): that is
 * the one kind of difference possible, and this order leaves none, so the test asks
 * for 0 bytes of difference on every line.
 *
 * The capture's ring is 512 MiB (about 4,000 packets of headroom, counting loopback's
 * two copies of each) against the CPU that the other test files take in parallel.
 *
 * On the kvnetlab cluster a live patch (push, 64 KiB synthetic bundle) runs through the
 * controller in the middle of the load, so PATCH_REQUEST/PATCH frames are among the bus
 * bytes compared; redis-server nodes have no patch support (they only pass the 16-byte
 * ping extension on), so the redis run has none.
 *
 * Ports: TS cluster 17201-17212 (+10000 bus), collector 17220, controller 17221;
 * redis-server cluster 17301-17312, collector 17320, controller 17321.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CaptureExit {
  kernel: { received: number; dropped: number };
  totals: { frames: number; wireBytes: number; payloadBytes: number; missingBytes: number; otherFrames: number };
}

async function waitGone(pid: number, mark: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (isAlive(pid, mark) && Date.now() < end) await sleep(50);
  expect(isAlive(pid, mark), `pid ${pid} still running`).toBe(false);
}

function exitLines(log: string): CaptureExit {
  const kernel = /:C \S+ kernel (.*)$/m.exec(log);
  const totals = /:C \S+ capture (.*)$/m.exec(log);
  if (!kernel || !totals) throw new Error(`no exit report in capture log:\n${log}`);
  return { kernel: JSON.parse(kernel[1]!), totals: JSON.parse(totals[1]!) };
}

describe.each([
  { kind: 'kvnetlab', base: 17201, collector: 17220, flags: [] as string[], livePatch: true },
  { kind: 'redis', base: 17301, collector: 17320, flags: ['--redis'], livePatch: false },
])('capture against the proxy under kvnetlab up ($kind)', ({ kind, base, collector, flags, livePatch }) => {
  let dir: string;
  let clusterDir: string;
  let storeDir: string;
  let state: LocalClusterState;
  let tshark: TsharkCapture | undefined;
  let report: CheckReport;
  let exit: CaptureExit;
  let independent: { frames: number; bytes: number; dropped: number };
  let patchEvent: { state?: string } | undefined;
  let patchBusBytes = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `kvnl-capture-${kind}-`));
    clusterDir = join(dir, 'cluster');
    storeDir = join(dir, 'store');
    const ports = Array.from({ length: 6 }, (_, i) => base + i);
    const filter = bpfFilter(portMapFromList([...ports, ...ports.map((p) => p + 10000)].join(','), '127.0.0.1'));
    tshark = await startTshark(filter, join(dir, 'tshark.pcap'));
    const up = await runCli(
      ['up', '--primaries', '3', '--replicas', '1', '--base-port', String(base), '--node-timeout', '5000', '--dir', clusterDir,
        '--store-dir', storeDir, '--collector-port', String(collector), '--controller-port', String(collector + 1), '--capture', '--capture-buffer-mb', '512', ...flags],
      150_000,
    );
    expect(up.code, up.stderr).toBe(0);
    state = readState(clusterDir)!;
    // The load generator at full rate (closed loop) as a child, a live patch in its middle.
    const load = spawn(process.execPath, [kvnetlabCli(), 'loadgen', '--cluster', `127.0.0.1:${base}`, '--records', '2000', '--duration', '8',
      '--connections', '32', '--collector-url', `http://127.0.0.1:${collector}`, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let loadErr = '';
    load.stderr!.on('data', (d: Buffer) => (loadErr += d.toString()));
    const loadDone = new Promise<number>((r) => load.once('exit', (code) => r(code ?? -1)));
    if (livePatch) {
      await sleep(3000);
      const file = join(dir, 'lp-v1.kvpb');
      const synth = await runCli(['patch', 'synth', '--size', String(64 * 1024), '--version', '1', '--dir', clusterDir, '--out', file]);
      expect(synth.code, synth.stderr).toBe(0);
      const ev = await runCli(['event', 'live-patch', '--method', 'push', '--patch', file, '--dir', clusterDir, '--json'], 60_000);
      expect(ev.code, ev.stderr + ev.stdout).toBe(0);
      patchEvent = JSON.parse(ev.stdout) as { state?: string };
    }
    expect(await loadDone, loadErr).toBe(0);
    // Quiesce (see above), then stop each instrument.
    for (const n of state.nodes) process.kill(n.pid, 'SIGSTOP');
    await sleep(1500);
    for (const p of state.proxies) process.kill(p.pid, 'SIGTERM');
    for (const p of state.proxies) await waitGone(p.pid, p.cmdlineMark, 20_000);
    await sleep(300);
    process.kill(state.capture!.pid, 'SIGTERM');
    await waitGone(state.capture!.pid, state.capture!.cmdlineMark, 20_000);
    independent = await tshark.stop();
    tshark = undefined;
    for (const n of state.nodes) process.kill(n.pid, 'SIGKILL');
    const down = await runCli(['down', '--dir', clusterDir]);
    expect(down.code, down.stderr).toBe(0);
    exit = exitLines(readFileSync(state.capture!.log, 'utf8'));
    const check = await runCli(['check', '--run', state.runId!, '--store-dir', storeDir, '--json']);
    expect(check.code, check.stderr).toBe(0);
    report = JSON.parse(check.stdout) as CheckReport;
    if (livePatch) {
      const q = await runCli(['sql', '--dir', storeDir, '--format', 'json',
        `SELECT sum(bytes) AS b FROM traffic WHERE run_id = '${state.runId}' AND source = 'proxy' AND msg_type IN ('patch', 'patch-request')`]);
      expect(q.code, q.stderr).toBe(0);
      patchBusBytes = Number((JSON.parse(q.stdout) as Array<{ b: string }>)[0]?.b ?? 0);
    }
  }, 300_000);

  afterAll(async () => {
    tshark?.kill();
    if (state) for (const n of state.nodes) if (isAlive(n.pid, n.cmdlineMark)) process.kill(n.pid, 'SIGKILL');
    await runCli(['down', '--dir', clusterDir]);
    if (process.env.KVNL_KEEP_TEST_DIR) process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  if (livePatch) it('capture: the live patch ran during the load, so its PATCH frames are among the bus bytes compared', () => {
    expect(patchEvent?.state).toBe('ok');
    // Pushed to 5 nodes: at least 5 copies of the 64 KiB bundle crossed the bus.
    expect(patchBusBytes).toBeGreaterThan(5 * 64 * 1024);
  });

  it('capture: payload bytes equal the proxy counts per node and channel, to the byte', () => {
    // Every node has client and bus lines; every master a replication line.
    expect(report.lines.length).toBe(6 * 2 + 3);
    for (const l of report.lines) {
      expect(l.proxyBytes, `${l.node} ${l.channel}`).toBeGreaterThan(0);
      expect({ node: l.node, channel: l.channel, diff: l.diff }).toEqual({ node: l.node, channel: l.channel, diff: 0 });
    }
    const client = report.lines.filter((l) => l.channel === 'client').reduce((a, l) => a + l.captureBytes, 0);
    expect(client).toBeGreaterThan(1_000_000);
  });

  it('capture: the kernel dropped no packet at the load generator\'s full rate, and no stream byte is missing', () => {
    expect(exit.kernel.received).toBeGreaterThan(10_000);
    expect(exit.kernel.dropped).toBe(0);
    expect(exit.totals.missingBytes).toBe(0);
    expect(report.captures.map((c) => [c.status, c.detail.kernel?.dropped])).toEqual([['ok', 0]]);
  });

  it('capture: tshark on the same filter sees the same frames and wire bytes', () => {
    expect(independent.dropped).toBe(0);
    expect({ frames: exit.totals.frames, bytes: exit.totals.wireBytes }).toEqual({ frames: independent.frames, bytes: independent.bytes });
    // Every frame attributed to a connection of a node: the rows hold them all.
    const rows = report.lines.reduce((a, l) => ({ frames: a.frames + l.frames, wire: a.wire + l.wireBytes }), { frames: 0, wire: 0 });
    expect(exit.totals.otherFrames).toBe(0);
    expect(rows).toEqual({ frames: independent.frames, wire: independent.bytes });
  });
});
