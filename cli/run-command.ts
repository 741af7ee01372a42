import { median } from '../scenario/update-lag.js';
import { Command } from 'commander';
import { DEFAULT_COLLECTOR_PORT } from '../telemetry/open-sink.js';
import { ScenarioError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/loader.js';
import { runScenario } from '../scenario/run.js';
import { cleanupScenario } from '../scenario/cleanup.js';
import { newRunId } from '../scenario/matrix.js';
import { portNumber } from './options.js';
import { addStoreOptions, storeTarget } from './store-options.js';

const stamp = () => new Date().toISOString().slice(11, 19);

/**
 * `kvnetlab run <scenario|file>`: the scenario runner (scenario/README.md). Progress on
 * stderr; the per-event overhead table and the report's path on stdout. Exit code 0 when
 * every event ended ok, 1 when one failed (the report still shows it), 2 for a bad file.
 */
export const runCommand = addStoreOptions(new Command('run')
  .description('run a scenario (scenarios/<name>.yaml or a file): clusters, events, rows in the store, results/<run-id>/report.html')
  .argument('<scenario>', 'a name from scenarios/ (quick, network-overhead) or a path to a .yaml file')
  .option('--out <dir>', 'where results/<run-id>/report.html goes', 'results')
  .option('--work-dir <dir>', "where the sub-runs' cluster directories go", 'run/scenario')
  .option('--base-port <port>', "first client port of each sub-run's cluster (2N ports, bus +10000)", portNumber, 7001)
  .option('--only <regex>', 'run only the sub-runs whose label matches, e.g. "^3-1 0MiB"')
  .option('--run-id <id>', 'run id (default <scenario>-<UTC time>)')
  .option('--collector-port <port>', 'HTTP port of the collector started for --store-dir', portNumber, DEFAULT_COLLECTOR_PORT))
  .action(async (name: string, o) => {
    let scenario;
    try {
      scenario = loadScenario(name);
    } catch (e) {
      if (e instanceof ScenarioError) {
        process.stderr.write(`kvnetlab run: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
    const runId: string = o.runId ?? newRunId(scenario.name);
    const started = { collector: false };
    // Ctrl-C: stop this run's clusters (and the collector it started), then exit 130.
    process.once('SIGINT', () => {
      process.stderr.write(`\ninterrupted: stopping the clusters of ${runId}\n`);
      void cleanupScenario(o.workDir, runId, started.collector ? o.storeDir : undefined).finally(() => process.exit(130));
    });
    const outcome = await runScenario(scenario, {
      out: o.out, workDir: o.workDir, basePort: o.basePort, runId, started,
      only: o.only ? new RegExp(o.only) : undefined,
      store: { ...storeTarget(o), collectorPort: o.collectorPort },
      log: (line) => process.stderr.write(`${stamp()} ${line}\n`),
    });
    if (outcome.table) process.stdout.write(`\nper-event overhead of run ${outcome.runId} (bytes above the run's baseline rate over the same time, per channel):\n${outcome.table}`);
    process.stdout.write(outcome.migrationTable);
    const lags = ['pull', 'push'].map((m) => {
      const v = outcome.data.subRuns.flatMap((r) => r.events.filter((e) => e.method === m && e.lagMs !== undefined).map((e) => e.lagMs!));
      return v.length ? `${m} median ${median(v)!.toFixed(0)} ms (${v.length})` : '';
    }).filter(Boolean);
    if (lags.length) process.stdout.write(`update lag: ${lags.join(', ')}\n`);
    if (outcome.failedEvents > 0) process.stdout.write(`${outcome.failedEvents} event(s) failed: see the report\n`);
    process.stdout.write(`wall time ${(outcome.wallMs / 1000).toFixed(1)} s\nreport: ${outcome.reportPath}\n`);
    if (outcome.failedEvents > 0) process.exitCode = 1;
  });
