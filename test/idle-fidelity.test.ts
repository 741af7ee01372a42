import { describe, expect, it } from 'vitest';
import { startCluster } from './support/local-cluster.js';
import { bytesSentBetween, changedSockets, sampleSockets } from './support/socket-bytes.js';

const IDLE_MS = 60_000;
const SETTLE_MS = 5_000;

/** Average bus bytes per second sent per node over IDLE_MS of an idle 3P-1R cluster. */
async function idleBusRate(redis: boolean, basePort: number): Promise<{ perNode: number[]; mean: number; changed: number }> {
  const cluster = await startCluster({ primaries: 3, replicas: 1, basePort, redis });
  try {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const pids = new Set(cluster.state.nodes.map((n) => n.pid));
    // Behind proxies a node dials its peers' public bus ports and accepts on its own internal one.
    const busPorts = new Set(cluster.state.nodes.flatMap((n) => [n.busPort, n.nodeBusPort]));
    const before = sampleSockets();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const after = sampleSockets();
    const seconds = (Date.now() - t0) / 1000;
    const sent = bytesSentBetween(before, after, pids, busPorts);
    const perNode = cluster.state.nodes.map((n) => (sent.get(n.pid) ?? 0) / seconds);
    return { perNode, mean: perNode.reduce((a, b) => a + b, 0) / perNode.length, changed: changedSockets(before, after, pids, busPorts) };
  } finally {
    await cluster.stop();
  }
}

/**
 * Idle fidelity: the bus of an idle TS cluster costs what Redis 7.0's does. Both are
 * measured with the kernel's per-socket counters (ss), over the same 60 s, in the same
 * run. Redis 7.0.15 sends about 4.85 KiB/s per node here (DESIGN.md anchor).
 */
describe('idle bus traffic, 3P-1R', () => {
  it('kvnetlab nodes send within ±10 % of the bus bytes redis-server sends', async () => {
    const redis = await idleBusRate(true, 21201);
    const ts = await idleBusRate(false, 21301);
    const kib = (x: number) => (x / 1024).toFixed(2);
    console.log(
      `idle bus bytes/s sent per node: redis-server mean ${kib(redis.mean)} KiB/s [${redis.perNode.map(kib).join(', ')}], ` +
        `kvnetlab mean ${kib(ts.mean)} KiB/s [${ts.perNode.map(kib).join(', ')}], ratio ${(ts.mean / redis.mean).toFixed(3)}`,
    );
    // Every bus link stayed up for the whole window, so no byte went uncounted.
    expect(redis.changed).toBe(0);
    expect(ts.changed).toBe(0);
    expect(redis.mean).toBeGreaterThan(2 * 1024);
    expect(ts.mean / redis.mean).toBeGreaterThan(0.9);
    expect(ts.mean / redis.mean).toBeLessThan(1.1);
  }, 4 * 60_000);
});
