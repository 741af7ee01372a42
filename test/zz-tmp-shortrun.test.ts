import { it } from 'vitest';
import { shortRun } from './support/short-run.js';
it('tmp short run', async () => {
  const r = await shortRun('/tmp/dash-run', { basePort: 18001, collectorPort: 18020, controllerPort: 18021, nodeMetricsPort: 18101, proxyMetricsPort: 18201 });
  console.log(JSON.stringify(r, null, 1));
}, 300_000);
