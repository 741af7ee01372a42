import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up } from '../../cluster/launcher/up.js';
import type { LocalClusterState } from '../../cluster/launcher/state-file.js';

/*
 * Port plan for system tests: client ports 21001-21999, so bus ports (+10000) stay at
 * 31001-31999, both below Linux's ephemeral range (32768+). A listener inside that range
 * can collide with the local port of an outgoing connection (seen: EADDRINUSE when six
 * nodes started at 35001-35006 while other bus links were dialing out).
 */

export interface TestCluster {
  state: LocalClusterState;
  dir: string;
  seeds: Array<{ host: string; port: number }>;
  stop(): Promise<void>;
}

/**
 * A real local cluster for system tests, started exactly as `kvnetlab up` starts it
 * (separate node processes from dist/, real TCP). Each test file passes its own
 * base port so files never share ports.
 */
export async function startCluster(o: { primaries: number; replicas: number; basePort: number; nodeTimeout?: number; redis?: boolean }): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-test-'));
  const lines: string[] = [];
  const state = await up({
    primaries: o.primaries,
    replicas: o.replicas,
    basePort: o.basePort,
    nodeTimeout: o.nodeTimeout ?? 15000,
    dir,
    host: '127.0.0.1',
    redis: o.redis ?? false,
    timeoutMs: 60_000,
    progress: (l) => lines.push(l),
  });
  return {
    state,
    dir,
    seeds: state.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    async stop() {
      await down(dir, () => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
