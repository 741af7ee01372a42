import { newRegistry, serveMetrics } from '../telemetry/metrics.js';
import { registerNodeMetrics } from '../cluster/node/metrics.js';
import { clusterInfo } from '../cluster/topology/describe.js';
import { Command, InvalidArgumentError } from 'commander';
import { KvNode } from '../cluster/node/node.js';
import { defaultConfig } from '../cluster/node/config.js';
import { nonNegativeInt, portNumber } from './options.js';
import { parseMemory } from '../cluster/replication/units.js';

/** A Redis-style log line: `pid:M 21 Nov 2026 16:50:11.123 * text`. */
function log(line: string): void {
  const t = new Date();
  const stamp = t.toUTCString().slice(5, 25) + '.' + String(t.getUTCMilliseconds()).padStart(3, '0');
  process.stdout.write(`${process.pid}:M ${stamp} * ${line}\n`);
}

function memoryValue(v: string): number {
  try {
    return parseMemory(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export const nodeCommand = new Command('node')
  .description('run one cluster node (RESP on --port, cluster bus on --bus-port)')
  .requiredOption('--port <port>', 'client port', portNumber)
  .option('--bus-port <port>', 'cluster bus port (default: port + 10000)', portNumber)
  .option('--host <ip>', 'address to bind', '127.0.0.1')
  .option('--dir <path>', 'data directory (nodes.conf, snapshot)', '.')
  .option('--dbfilename <name>', 'snapshot file in --dir, loaded at start, written by SAVE/BGSAVE/SHUTDOWN; "" = no snapshots', 'dump.kvnl')
  .option('--node-timeout <ms>', 'cluster-node-timeout in ms', nonNegativeInt, 15000)
  .option('--announce-host <ip>', 'address announced to clients and peers (a proxy in front of the node)')
  .option('--announce-port <port>', 'client port announced', portNumber)
  .option('--announce-bus-port <port>', 'bus port announced', portNumber)
  .option('--repl-backlog-size <size>', 'replication backlog, with units like 1mb or 64k', memoryValue, 1024 * 1024)
  .option('--repl-ping-replica-period <s>', 'seconds between PINGs to replicas', nonNegativeInt, 10)
  .option('--metrics-port <port>', 'serve Prometheus /metrics on this port (telemetry/METRICS.md)', portNumber)
  .option('--code-version <tag>', 'code version of this node (INFO server kvnetlab_version; what a live patch targets)', 'v1')
  .option('--patch-trust <pem>', 'ed25519 public key (PEM file) whose live patches this node applies; repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option('--no-patch-support', 'no live patching: no ping extension, no PATCH messages (the paper\'s Baseline)')
  .option('--repl-timeout <s>', 'seconds without data before a replication link is dropped', nonNegativeInt, 60)
  .action(async (o) => {
    const config = defaultConfig({
      port: o.port,
      busPort: o.busPort,
      host: o.host,
      dir: o.dir,
      dbfilename: o.dbfilename,
      nodeTimeout: o.nodeTimeout,
      announceHost: o.announceHost,
      announcePort: o.announcePort,
      announceBusPort: o.announceBusPort,
      replBacklogSize: o.replBacklogSize,
      replPingReplicaPeriod: o.replPingReplicaPeriod,
      replTimeout: o.replTimeout,
      codeVersion: o.codeVersion,
      patchSupport: o.patchSupport,
      patchTrust: o.patchTrust,
    });
    // A damaged snapshot throws here (SnapshotError): main.ts prints it and exits 1, nothing listens.
    const node = new KvNode(config, log);
    node.onExit = (code) => process.exit(code);
    await node.start();
    if (o.metricsPort !== undefined) {
      const registry = newRegistry('node');
      registerNodeMetrics(registry, { info: (s) => node.info(s), clusterInfo: () => clusterInfo(node.cluster, node.bus), name: () => node.cluster.myself.name });
      await serveMetrics(registry, o.host, o.metricsPort);
      log(`metrics on http://${o.host}:${o.metricsPort}/metrics`);
    }
    // Like Redis with save points: SIGTERM/SIGINT save first (when a dbfilename is set);
    // if that save fails the node keeps running, as prepareForShutdown does.
    const shutdown = async (signal: string) => {
      log(`received ${signal}, shutting down`);
      const failure = await node.shutdown({});
      if (failure) log(`${failure}: still running`);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
  });
