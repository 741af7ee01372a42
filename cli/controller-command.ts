import { portOrZero } from './options.js';
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { DEFAULT_CONTROLLER_PORT, startController } from '../controller/start.js';
import { nonNegativeInt, positiveInt } from './options.js';
import { addStoreOptions, storeTarget } from './store-options.js';

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);

interface ControllerFlags {
  dir: string;
  host: string;
  port: number;
  token?: string;
  runId?: string;
  pause: number;
  timeout: number;
  failoverTryMs: number;
  storeDir?: string;
  collectorUrl?: string;
  clickhouseUrl?: string;
  store: boolean;
}

export const controllerCommand = addStoreOptions(new Command('controller')
  .description('HTTP API that runs maintenance events (failover, snapshot, kill, restart, cp-partial, cp-full) on the cluster `up` started')
  .option('--dir <path>', 'the run directory given to up (cluster.json; controller.token and controller.json are written here)', 'run/cluster')
  .option('--host <ip>', 'address to listen on (127.0.0.1: only this machine)', '127.0.0.1')
  .option('--port <port>', 'HTTP port; 0 = any free port (the URL goes to <dir>/controller.json)', portOrZero, DEFAULT_CONTROLLER_PORT)
  .option('--token <token>', 'bearer token for state-changing requests (env KVNETLAB_CONTROLLER_TOKEN; default: random)')
  .option('--run-id <id>', 'run id of the event rows (env KVNETLAB_RUN_ID; default: controller-<time>)')
  .option('--pause <ms>', 'pause between master-replica groups of a rolling restart (the paper: 20 s)', nonNegativeInt, 20_000)
  .option('--timeout <ms>', 'bound of every wait (node start, resync, role change)', positiveInt, 60_000)
  .option('--failover-try-ms <ms>', 'how long one CLUSTER FAILOVER attempt is given', positiveInt, 5_000)
  .option('--no-store', 'keep event rows out of the telemetry store (the API and /events still have them)'))
  .action(async (o: ControllerFlags) => {
    const runId = o.runId ?? process.env.KVNETLAB_RUN_ID ?? `controller-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
    const c = await startController({
      runDir: o.dir, host: o.host, port: o.port, token: o.token, runId, log,
      ...(o.store ? { store: storeTarget(o) } : { sink: null }),
      pauseMs: o.pause, timeoutMs: o.timeout, failoverTryMs: o.failoverTryMs,
    });
    process.stdout.write(`controller ${c.url} run ${runId} pid ${process.pid}\ntoken ${c.token} (also in ${c.tokenFile})\n`);
    const shutdown = async (signal: string) => {
      log(`received ${signal}, waiting for running events, flushing rows`);
      await c.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  });
