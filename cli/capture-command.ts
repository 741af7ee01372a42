import { Command, Option } from 'commander';
import { Capture } from '../capture/capture.js';
import { CaptureError } from '../capture/errors.js';
import { bpfFilter, type Leg } from '../capture/port-map.js';
import { portsSource } from '../capture/ports-source.js';
import { CaptureMetricsSink } from '../capture/metrics.js';
import { TotalsSink } from '../proxy/totals.js';
import { newRegistry, serveMetrics } from '../telemetry/metrics.js';
import { portNumber, positiveInt } from './options.js';
import { addStoreOptions, openInstrumentSink } from './store-options.js';

const log = (line: string) => process.stdout.write(`${process.pid}:C ${new Date().toISOString()} ${line}\n`);

interface Flags {
  iface: string;
  ports: string;
  leg: Leg;
  dir: string;
  host: string;
  runId?: string;
  sink: 'store' | 'jsonl' | 'memory';
  out?: string;
  bufferMb: number;
  duration?: number;
  closeTimeout: number;
  verbose: boolean;
  metricsPort?: number;
  storeDir?: string;
  collectorUrl?: string;
  clickhouseUrl?: string;
}


/**
 * `kvnetlab capture`: libpcap on an interface, filtered to the cluster's ports, counted
 * per node, peer, channel and direction in 100 ms rows (source `capture`; capture/README.md).
 */
export const captureCommand = addStoreOptions(
  new Command('capture')
    .description("capture a cluster's traffic with libpcap and count it per node, peer, channel and direction")
    .option('--iface <name>', 'interface to capture on', 'lo')
    .option('--ports <auto|list>', 'auto: the ports in <dir>/cluster.json; or a comma-separated list (P+10000 is the bus port of P)', 'auto')
    .addOption(new Option('--leg <leg>', 'with proxies: capture the public ports (client<->proxy) or the nodes\' own (proxy<->node)').choices(['public', 'node']).default('public'))
    .option('--dir <path>', 'the cluster directory of `kvnetlab up` (for --ports auto and node names)', 'run/cluster')
    .option('--host <ip>', 'address used in node labels for --ports LIST', '127.0.0.1')
    .option('--run-id <id>', "run_id of the rows (default: the cluster's run, else capture-<time>)")
    .addOption(new Option('--sink <kind>', 'where rows go').choices(['store', 'jsonl', 'memory']).default('store'))
    .option('--out <path>', 'JSON-lines file (--sink jsonl; with --sink store: a copy)')
    .option('--buffer-mb <n>', "libpcap's ring buffer in MiB (about 16 packets per MiB on loopback: see capture/README.md)", positiveInt, 256)
    .option('--duration <s>', 'stop after this many seconds', positiveInt)
    .option('--close-timeout <ms>', 'at stop, wait this long for the store to take the buffered rows', positiveInt, 10_000)
    .option('--verbose', 'log connection classification', false)
    .option('--metrics-port <port>', 'serve Prometheus /metrics on this port (telemetry/METRICS.md)', portNumber),
).action(async (o: Flags) => {
  let capture: Capture | undefined;
  let sink: TotalsSink;
  let metrics: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  let where: string;
  let runId: string;
  try {
    const src = portsSource(o.ports, o.dir, o.leg, o.host);
    const filter = bpfFilter(src.ports());
    runId = o.runId ?? src.runId ?? `capture-${new Date().toISOString()}`;
    const opened = openInstrumentSink(o, 'capture.jsonl', log);
    const registry = o.metricsPort === undefined ? undefined : newRegistry('capture');
    const kernel = () => {
      const k = capture?.summary().kernel;
      return k && 'dropped' in k ? k : undefined;
    };
    sink = new TotalsSink(registry ? new CaptureMetricsSink(opened.sink, registry, kernel) : opened.sink);
    where = opened.where;
    capture = await Capture.start({ iface: o.iface, filter, leg: o.leg, ports: src.ports, namesKnown: src.complete, runId, sink, bufferBytes: o.bufferMb * 1024 * 1024, log, verbose: o.verbose });
    if (registry) metrics = await serveMetrics(registry, o.host, o.metricsPort!);
    log(`capturing on ${o.iface}, ${src.describe}, filter "${filter}", rows (run ${runId}) to ${where}`);
  } catch (e) {
    if (e instanceof CaptureError) {
      process.stderr.write(`kvnetlab capture: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping`);
    const summary = await capture!.stop();
    await metrics?.close();
    await sink.close();
    const dropped = sink.dropped();
    log(`kernel ${JSON.stringify(summary.kernel)}`);
    log(`capture ${JSON.stringify(summary.totals)}`);
    log(`dropped ${JSON.stringify(dropped)}`);
    log(`totals ${JSON.stringify(sink.totals())}`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (o.duration) setTimeout(() => void shutdown(`${o.duration} s elapsed`), o.duration * 1000);
});
