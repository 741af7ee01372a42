import { Command } from 'commander';
import { checkRun, formatCheck } from '../capture/compare.js';
import { readState } from '../cluster/launcher/state-file.js';
import { openQueryStore } from '../telemetry/open-sink.js';
import { addStoreOptions, storeTarget } from './store-options.js';

/** `kvnetlab check`: proxy vs capture for one run (capture/compare.ts). */
export const checkCommand = addStoreOptions(
  new Command('check')
    .description('compare the proxy and the capture of a run: payload bytes per node and channel, the difference, header overhead')
    .option('--run <id>', 'run_id (default: the run of the cluster in --cluster-dir)')
    .option('--cluster-dir <path>', 'cluster directory of `kvnetlab up` (for the default run)', 'run/cluster')
    .option('--json', 'print the comparison as JSON', false),
).action(async (o: { run?: string; clusterDir: string; json: boolean; storeDir?: string; collectorUrl?: string; clickhouseUrl?: string }) => {
  const runId = o.run ?? readState(o.clusterDir)?.runId;
  if (!runId) throw new Error(`no --run given and no cluster state in ${o.clusterDir}`);
  const store = await openQueryStore(storeTarget(o));
  try {
    const report = await checkRun(store, runId);
    process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : formatCheck(runId, report));
  } finally {
    await store.close();
  }
});
