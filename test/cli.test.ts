import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { callText, fields, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';
import { readState } from '../cluster/launcher/state-file.js';

const exec = promisify(execFile);

/** Runs the built CLI; resolves with exit code and output instead of throwing. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [kvnetlabCli(), ...args], { timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

// `up` runs with --no-store here: its store path (collector, proxies' rows, runs row) is
// test/proxy-store.test.ts's, on that file's ports.
describe('kvnetlab CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-cli-'));
  afterAll(async () => {
    await cli(['down', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('cli: refuses bad flags with a clear message and starts nothing', async () => {
    const bad = await cli(['up', '--primaries', 'x', '--dir', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("'x' is not a positive integer");
    expect(existsSync(join(dir, 'cluster.json'))).toBe(false);
    const port = await cli(['node', '--port', '70000']);
    expect(port.code).toBe(1);
    expect(port.stderr).toContain("'70000' is not a TCP port");
    const noStore = await cli(['up', '--no-store', '--proxy-sink', 'store', '--dir', dir]);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toContain('proxy sink "store" needs a telemetry store');
    expect(existsSync(join(dir, 'cluster.json'))).toBe(false);
    const unknown = await cli(['up', '--primaris', '3']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown option '--primaris'");
  });

  it('cli: up never configures a foreign server that already holds one of its ports', async () => {
    const seen: string[] = [];
    const foreign = net.createServer((s) =>
      s.on('data', (d: Buffer) => {
        seen.push(d.toString('latin1'));
        // Answers like a server would, so only the process check can tell it apart.
        s.write(d.includes('INFO') ? '$26\r\n# Server\r\nprocess_id:1\r\n\r\n' : '+PONG\r\n');
      }),
    );
    await new Promise<void>((r) => foreign.listen(21832, '127.0.0.1', () => r()));
    try {
      const r = await cli(['up', '--no-store', '--primaries', '3', '--replicas', '0', '--base-port', '21831', '--dir', join(dir, 'foreign')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/21832 (exited|is served by another process)/);
      expect(seen.join('')).not.toMatch(/ADDSLOTS|SET-CONFIG-EPOCH|MEET|REPLICATE/);
    } finally {
      foreign.close();
    }
  });

  it('cli: down without a cluster says so and stops nothing', async () => {
    const r = await cli(['down', '--dir', join(dir, 'nothing-here')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('nothing to stop');
  });

  it('cli: up starts a 3P-0R cluster, refuses a second up on the same dir, and a restarted node rejoins with its identity and slots', async () => {
    const up = await cli(['up', '--no-store', '--controller-port', '0', '--primaries', '3', '--replicas', '0', '--base-port', '21801', '--node-timeout', '3000', '--dir', dir]);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('cluster is up');
    // up starts the controller beside the cluster; `kvnetlab event` finds it in the run dir.
    expect(up.stdout).toMatch(/controller http:\/\/127\.0\.0\.1:\d+ {2}pid \d+ {2}token [0-9a-f]{64}/);
    expect(existsSync(join(dir, 'controller.json'))).toBe(true);
    const again = await cli(['up', '--no-store', '--primaries', '3', '--replicas', '0', '--base-port', '21811', '--dir', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is still running');

    const state = readState(dir)!;
    const victim = state.nodes[1];
    const slotsBefore = (await callText('127.0.0.1', victim.port, ['CLUSTER', 'NODES'])).split('\n').find((l) => l.includes('myself'))!.split(' ').slice(8).join(' ');
    // kill -9: no chance to save anything; nodes.conf on disk is all it has.
    process.kill(victim.pid, 'SIGKILL');
    await waitFor('the victim to exit', 5000, async () => {
      try {
        await callText('127.0.0.1', victim.port, ['PING']);
        return false;
      } catch {
        return true;
      }
    });
    const pid = spawnDetached(
      process.execPath,
      // Behind its proxy (up's default) it listens on its internal ports and announces the proxy's.
      [kvnetlabCli(), 'node', '--port', String(victim.nodePort), '--bus-port', String(victim.nodeBusPort), '--dir', victim.dir, '--node-timeout', '3000',
        '--announce-host', '127.0.0.1', '--announce-port', String(victim.port), '--announce-bus-port', String(victim.busPort)],
      victim.dir,
      join(victim.dir, 'node.log'),
    );
    try {
      await waitFor('the restarted node', 10_000, async () => (await callText('127.0.0.1', victim.port, ['PING'])) === 'PONG');
      expect(await callText('127.0.0.1', victim.port, ['CLUSTER', 'MYID'])).toBe(victim.id);
      const mine = (await callText('127.0.0.1', victim.port, ['CLUSTER', 'NODES'])).split('\n').find((l) => l.includes('myself'))!;
      expect(mine.split(' ').slice(8).join(' ')).toBe(slotsBefore);
      await waitFor('cluster_state:ok everywhere', 20_000, async () => {
        for (const n of state.nodes) {
          const info = fields(await callText('127.0.0.1', n.port, ['CLUSTER', 'INFO']));
          if (info.cluster_state !== 'ok' || info.cluster_known_nodes !== '3') return false;
        }
        return true;
      });
    } finally {
      await stopProcess(pid, `--port ${victim.nodePort}`);
    }
    const down = await cli(['down', '--dir', dir]);
    expect(down.code).toBe(0);
    expect(down.stderr + down.stdout).toContain('controller: stopped');
    expect(existsSync(join(dir, 'controller.json'))).toBe(false);

    // After down, up on the same dir forms a fresh cluster (new identities), not the old one.
    const fresh = await cli(['up', '--no-store', '--no-controller', '--primaries', '3', '--replicas', '0', '--base-port', '21801', '--node-timeout', '3000', '--dir', dir]);
    expect(fresh.code).toBe(0);
    const ids = readState(dir)!.nodes.map((n) => n.id);
    expect(ids).not.toContain(victim.id);
    expect((await cli(['down', '--dir', dir])).code).toBe(0);
  }, 120_000);
});
