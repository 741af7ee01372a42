import { Command, Option } from 'commander';
import { newRegistry, serveMetrics } from '../telemetry/metrics.js';
import { listenProxy, tcpUpstream } from '../proxy/listen.js';
import { proxyMetrics } from '../proxy/metrics.js';
import { NodeProxy } from '../proxy/node-proxy.js';
import { TotalsSink } from '../proxy/totals.js';
import { portNumber, positiveInt } from './options.js';
import { type SinkFlags, addStoreOptions, openInstrumentSink } from './store-options.js';

const log = (line: string) => process.stdout.write(`${process.pid}:P ${new Date().toISOString()} ${line}\n`);

/**
 * `kvnetlab proxy`: one node's measuring proxy (proxy/README.md). Listens on the
 * node's public client and bus ports, relays to the node's internal ones, counts.
 */
export const proxyCommand = addStoreOptions(
  new Command('proxy')
    .description("relay a node's client and bus ports byte for byte and count the traffic")
    .requiredOption('--listen-port <port>', 'public client port (the one the node announces)', portNumber)
    .option('--listen-bus-port <port>', 'public bus port (default: listen port + 10000)', portNumber)
    .option('--no-bus', 'relay the client port only')
    .option('--host <ip>', 'address to listen on', '127.0.0.1')
    .requiredOption('--node-port <port>', "the node's own client port", portNumber)
    .option('--node-bus-port <port>', "the node's own bus port (default: node port + 10000)", portNumber)
    .option('--node-host <ip>', 'address of the node', '127.0.0.1')
    .option('--node-name <id>', "the node's name for rows and metrics (default: learned from its bus frames)")
    .option('--run-id <id>', 'run_id of the rows', `proxy-${new Date().toISOString()}`)
    .addOption(new Option('--sink <kind>', 'where rows go: the telemetry store, a JSON-lines file, or memory (dropped)').choices(['store', 'jsonl', 'memory']).default('jsonl'))
    .option('--out <path>', 'JSON-lines file (--sink jsonl: default traffic.jsonl; --sink store: a copy)')
    .option('--close-timeout <ms>', 'on SIGTERM, wait this long for the store to take the buffered rows', positiveInt, 10_000)
    .option('--metrics-port <port>', 'serve Prometheus /metrics on this port', portNumber)
    .option('--verbose', 'log connection classification', false),
).action(async (o) => {
  const publicAddress = `${o.host}:${o.listenPort}`;
  // Metrics only when served: the default collectors (GC observer, event-loop delay
  // histogram) cost CPU on the relay's hot loop.
  const registry = o.metricsPort ? newRegistry('proxy') : undefined;
  const metrics = registry ? proxyMetrics(registry, o.nodeName ?? publicAddress) : undefined;
  const { sink: inner, where } = openInstrumentSink(o as SinkFlags, 'traffic.jsonl', log, registry);
  const sink = new TotalsSink(inner);
  const proxy = new NodeProxy({
    runId: o.runId,
    nodeName: o.nodeName,
    publicAddress,
    connectUpstream: tcpUpstream({ host: o.nodeHost, port: o.nodePort, busPort: o.nodeBusPort ?? o.nodePort + 10000 }),
    sink,
    metrics,
    log: o.verbose ? log : undefined,
  });
  const listeners = await listenProxy(proxy, o.host, o.listenPort, o.bus ? (o.listenBusPort ?? o.listenPort + 10000) : undefined);
  const server = registry ? await serveMetrics(registry, o.host, o.metricsPort) : undefined;
  log(
    `proxy for ${o.nodeHost}:${o.nodePort} listening on ${o.host}:${listeners.clientPort}` +
      (listeners.busPort ? ` and bus ${listeners.busPort}` : '') +
      (server ? `, metrics on ${server.port}` : '') + `, rows (run ${o.runId}) to ${where}`,
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`received ${signal}, flushing counts`);
    // Server.close() waits for open connections: start it, then end them.
    const closing = listeners.close().catch(() => undefined);
    await proxy.close();
    await closing;
    await server?.close();
    // Bounded: rows the store has not taken after --close-timeout are counted as dropped.
    await sink.close();
    const dropped = sink.dropped();
    const lost = Object.entries(dropped).filter(([, n]) => n > 0);
    log(lost.length ? `rows the store could not keep: ${lost.map(([t, n]) => `${t} ${n}`).join(', ')}` : `every row went to ${where}`);
    log(`dropped ${JSON.stringify(dropped)}`);
    // What this proxy counted over its life, per (node, channel, direction).
    log(`totals ${JSON.stringify(sink.totals())}`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
});
