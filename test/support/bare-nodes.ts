import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callText, waitFor } from '../../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../../cluster/launcher/processes.js';

export interface BareNodes {
  ports: number[];
  dir: string;
  pids: number[];
  stop(): Promise<void>;
}

/** Fresh, unjoined `kvnetlab node` processes, for tools that build the cluster themselves (redis-cli). */
export async function startBareNodes(ports: number[], extraArgs: string[] = []): Promise<BareNodes> {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-nodes-'));
  const pids: number[] = [];
  for (const port of ports) {
    const nodeDir = join(dir, `node-${port}`);
    mkdirSync(nodeDir, { recursive: true });
    pids.push(
      spawnDetached(process.execPath, [kvnetlabCli(), 'node', '--port', String(port), '--dir', nodeDir, ...extraArgs], nodeDir, join(nodeDir, 'node.log')),
    );
  }
  for (const port of ports) {
    await waitFor(`node ${port}`, 20_000, async () => (await callText('127.0.0.1', port, ['PING'])) === 'PONG');
  }
  return {
    ports,
    dir,
    pids,
    async stop() {
      await Promise.all(ports.map((p, i) => stopProcess(pids[i], `--port ${p}`, 3000)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
