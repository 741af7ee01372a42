import { DEFAULT_CONTROLLER_PORT, spawnController, stopController } from '../controller/start.js';
import { Command, Option } from 'commander';
import { down, up } from '../cluster/launcher/up.js';
import { DEFAULT_COLLECTOR_PORT, ENV_CLICKHOUSE_URL } from '../telemetry/open-sink.js';
import { nonNegativeInt, portNumber, portOrZero, positiveInt } from './options.js';
import { addStoreOptions } from './store-options.js';

const progress = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);

export const upCommand = addStoreOptions(new Command('up')
  .description('start a local cluster of separate node processes and wait until it is ok')
  .option('--primaries <n>', 'number of masters', positiveInt, 3)
  .option('--replicas <n>', 'replicas per master', nonNegativeInt, 1)
  .option('--base-port <port>', 'first client port; nodes use consecutive ports', portNumber, 7001)
  .option('--node-timeout <ms>', 'cluster-node-timeout in ms', positiveInt, 15000)
  .option('--host <ip>', 'address nodes announce to clients and peers', '127.0.0.1')
  .option('--bind <ip>', 'address nodes listen on (default: --host)')
  .option('--foreground', 'stay running and stop the cluster on SIGTERM/SIGINT (for containers)', false)
  .option('--dir <path>', 'where node data, logs and the state file go', 'run/cluster')
  .option('--redis', 'start real redis-server processes instead of kvnetlab nodes', false)
  .option('--timeout <ms>', 'how long to wait for the cluster to form', positiveInt, 60000)
  .option('--no-proxy', 'no measuring proxy: nodes listen on the public ports themselves')
  .option('--no-patch-support', 'kvnetlab nodes without live patching (the paper\'s Baseline); default: a key pair in --dir, trusted by every node')
  .option('--code-version <tag>', 'code version of every kvnetlab node (INFO server kvnetlab_version)', 'v1')
  .addOption(new Option('--proxy-sink <kind>', "where the proxies' rows go (default: store; jsonl with --no-store)").choices(['store', 'jsonl', 'memory']))
  .option('--proxy-metrics-port <port>', 'proxy i serves Prometheus /metrics on this port + i', portNumber)
  .option('--node-metrics-port <port>', 'kvnetlab node i serves Prometheus /metrics on this port + i', portNumber)
  .option('--capture', 'also start `kvnetlab capture` (libpcap) on the cluster\'s public ports (capture/README.md)', false)
  .option('--capture-iface <name>', 'interface for --capture', 'lo')
  .option('--capture-buffer-mb <n>', "libpcap's ring buffer of --capture in MiB", positiveInt)
  .option('--capture-metrics-port <port>', 'the capture serves Prometheus /metrics on this port', portNumber)
  .option('--no-store', 'no telemetry store: no collector, no runs row (proxies write JSON lines)')
  .option('--no-controller', 'do not start the controller (kvnetlab event ... needs it)')
  .option('--controller-port <port>', 'HTTP port of the controller (127.0.0.1 only; 0 = any free port, `kvnetlab event` finds it in --dir)', portOrZero, DEFAULT_CONTROLLER_PORT)
  .option('--controller-token <token>', 'bearer token of the controller (default: random, written to <dir>/controller.token)')
  .option('--collector-port <port>', 'HTTP port of the collector up starts for --store-dir', portNumber, DEFAULT_COLLECTOR_PORT))
  .action(async (o) => {
    const state = await up({
      primaries: o.primaries,
      replicas: o.replicas,
      basePort: o.basePort,
      nodeTimeout: o.nodeTimeout,
      dir: o.dir,
      host: o.host,
      bind: o.bind,
      redis: o.redis,
      proxy: o.proxy,
      proxySink: o.proxySink,
      proxyMetricsBasePort: o.proxyMetricsPort,
      nodeMetricsBasePort: o.nodeMetricsPort,
      store: o.store
        ? { dir: o.storeDir, collectorPort: o.collectorPort, collectorUrl: o.collectorUrl, clickhouseUrl: o.clickhouseUrl }
        : undefined,
      capture: o.capture ? { iface: o.captureIface, bufferMb: o.captureBufferMb, metricsPort: o.captureMetricsPort } : undefined,
      timeoutMs: o.timeout,
      progress,
      patchSupport: o.patchSupport,
      codeVersion: o.codeVersion,
    });
    process.stdout.write(`cluster is up (${state.kind}, run ${state.runId}, state file ${o.dir}/cluster.json):\n`);
    const st = state.store;
    if (st) {
      process.stdout.write(
        `  store   ${st.clickhouseUrl ?? `collector ${st.collectorUrl}`}${st.dir ? ` on ${st.dir}` : ''}` +
          (st.collector ? `  pid ${st.collector.pid}${st.collector.startedByUp ? '' : ' (reused)'}` : '') + '\n',
      );
    }
    for (const n of state.nodes) {
      process.stdout.write(`  ${n.role.padEnd(7)} ${state.host}:${n.port} bus ${n.busPort}  id ${n.id}  pid ${n.pid}\n`);
    }
    for (const p of state.proxies) {
      const node = state.nodes.find((n) => n.port === p.port)!;
      process.stdout.write(
        `  proxy   ${state.host}:${p.port} -> node port ${node.nodePort}, bus ${p.busPort} -> ${node.nodeBusPort}  pid ${p.pid}` +
          (p.out ? `  rows ${p.out}` : p.sink === 'store' ? '  rows to the store' : '') + (p.metricsPort ? `  /metrics :${p.metricsPort}` : '') + '\n',
      );
    }
    if (state.capture) {
      process.stdout.write(`  capture on ${state.capture.iface}  pid ${state.capture.pid}  log ${state.capture.log}` + (state.capture.out ? `  rows ${state.capture.out}` : '  rows to the store') + '\n');
    }
    if (o.controller) {
      // After cluster.json exists: the controller captures every node's command line
      // from it for restarts. Its event rows go to the same store, under the same run id.
      const st = state.store;
      const storeArgs = st?.collectorUrl && !st.clickhouseUrl ? ['--collector-url', st.collectorUrl] : [];
      // A ClickHouse URL may hold a password: like the proxies, the controller gets it in its environment.
      if (o.clickhouseUrl) process.env[ENV_CLICKHOUSE_URL] = o.clickhouseUrl;
      const ctl = await spawnController(o.dir, [
        '--port', String(o.controllerPort), '--run-id', state.runId!,
        ...(o.controllerToken ? ['--token', o.controllerToken] : []), ...(st ? storeArgs : ['--no-store']),
      ]);
      process.stdout.write(`  controller ${ctl.url}  pid ${ctl.pid}  token ${ctl.token} (also in ${ctl.tokenFile})\n`);
    }
    if (!o.foreground) {
      process.stdout.write(`stop it with: kvnetlab down --dir ${o.dir}\n`);
      return;
    }
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    await stopController(o.dir);
    await down(o.dir, progress);
  });

export const downCommand = new Command('down')
  .description('stop the processes that `kvnetlab up` started (by PID) and nothing else')
  .option('--dir <path>', 'the directory given to up', 'run/cluster')
  .action(async (o) => {
    // The controller first: SIGTERM lets a running event finish its rows.
    const ctl = await stopController(o.dir);
    if (ctl !== 'gone') progress(`controller: ${ctl}`);
    const n = (ctl === 'gone' ? 0 : 1) + (await down(o.dir, progress));
    process.stdout.write(`stopped ${n} process(es)\n`);
  });
