import { join } from 'node:path';
import { kvnetlabCli, spawnDetached } from './processes.js';
import type { LocalClusterState } from './state-file.js';

/**
 * Port layout of `up` with proxies (proxy/README.md): a cluster of N nodes takes 2N
 * consecutive client ports from --base-port, and the same +10000 for the bus.
 *
 *   base .. base+N-1      proxies: the public ports, announced by the nodes
 *   base+N .. base+2N-1   the nodes themselves (reached only through their proxy)
 *
 * Keeping both inside one block means a test's or user's port range is all a cluster
 * ever touches; without proxies the nodes take the public ports themselves.
 */
export function nodePortOf(basePort: number, total: number, index: number, proxy: boolean): number {
  return proxy ? basePort + total + index : basePort + index;
}

export interface ProxySpawn {
  host: string;
  bind: string;
  port: number;
  nodePort: number;
  nodeId: string;
  runId: string;
  dir: string;
  sink: 'store' | 'jsonl' | 'memory';
  /** With sink `store`: the flags saying where (cluster/launcher/store.ts), and the environment. */
  storeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  metricsPort?: number;
}

/** Starts one `kvnetlab proxy` process in front of a node; returns its state entry. */
export function spawnProxy(o: ProxySpawn): LocalClusterState['proxies'][number] {
  const out = join(o.dir, 'traffic.jsonl');
  const log = join(o.dir, 'proxy.log');
  const args = [
    kvnetlabCli(), 'proxy', '--listen-port', String(o.port), '--listen-bus-port', String(o.port + 10000), '--host', o.bind,
    '--node-port', String(o.nodePort), '--node-bus-port', String(o.nodePort + 10000), '--node-host', o.host,
    '--node-name', o.nodeId, '--run-id', o.runId,
    ...(o.sink === 'store' ? (o.storeArgs ?? ['--sink', 'store']) : ['--sink', o.sink, '--out', out]),
  ];
  if (o.metricsPort !== undefined) args.push('--metrics-port', String(o.metricsPort));
  const pid = spawnDetached(process.execPath, args, o.dir, log, o.env);
  return {
    port: o.port,
    busPort: o.port + 10000,
    pid,
    // `--listen-port N` as whole arguments: never matches a node's `--port N`.
    cmdlineMark: `--listen-port ${o.port}`,
    sink: o.sink,
    out: o.sink === 'jsonl' ? out : undefined,
    log,
    metricsPort: o.metricsPort,
  };
}
