import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsRow } from '../telemetry/rows.js';
import type { RunSummary } from '../loadgen/summary.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';

/*
 * `kvnetlab loadgen` as a user runs it (node dist/cli/main.js, built by `npm test`), against
 * a TS cluster from `kvnetlab up` (3 masters, client ports 22620-22622) and with bad flags.
 */
const cli = (args: string[]) => spawnSync(process.execPath, ['dist/cli/main.js', 'loadgen', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('kvnetlab loadgen (CLI)', () => {
  it.each([
    [['--distribution', 'pareto2'], '--distribution', 'zipfian, scrambled-zipfian, latest, uniform, hotspot'],
    [['--preset', 'ycsb-z'], '--preset', 'ycsb-a, ycsb-b, ycsb-c, ycsb-d, ycsb-e, ycsb-f, memtier-set, memtier-get, cache-aside'],
    [['--read', '1.5'], '--read', 'a number from 0 to 1'],
    [['--memory', '12XB'], '--memory', '256MiB'],
    [['--format', 'xml'], '--format', 'text, json'],
    [['--cluster', 'localhost'], '--cluster', 'host:port'],
    [['--read', '0', '--update', '0', '--cluster', '127.0.0.1:1'], '--read/--update/--insert/--scan/--rmw', 'sum is > 0'],
    [['--preset', 'memtier-get', '--scan', '0.5', '--cluster', '127.0.0.1:1'], '--insert/--scan/--rmw', 'read and update only'],
  ])('loadgen: bad flag %j exits 2 naming the flag and the allowed values', (args, flag, allowed) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toContain(allowed);
    expect(r.stdout).toBe('');
  });

  describe('against kvnetlab up (TS nodes)', () => {
    let cluster: TestCluster;
    let dir: string;
    beforeAll(async () => {
      cluster = await startCluster({ primaries: 3, replicas: 0, basePort: 22620 });
      dir = mkdtempSync(join(tmpdir(), 'loadgen-cli-'));
    });
    afterAll(async () => {
      await cluster?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it.each([
      ['ycsb-b', ['--records', '300', '--operations', '1200']],
      ['ycsb-d', ['--records', '300', '--operations', '800']],
      ['ycsb-f', ['--records', '300', '--operations', '800', '--distribution', 'hotspot']],
      ['memtier-get', ['--records', '200', '--operations', '1000', '--target', '2000']],
      ['cache-aside', ['--records', '2000', '--duration', '1', '--phase', 'run', '--miss-delay', '0']],
    ])('loadgen: %s writes JSON-lines ops rows that sum to the operations of its --json summary', (name, extra) => {
      const out = join(dir, `${name}.jsonl`);
      const seed = `127.0.0.1:${cluster.seeds[0]!.port}`;
      const r = cli(['--preset', name, '--cluster', seed, '--connections', '4', '--out', out, '--json', '--run-id', `cli-${name}`, '--quiet', ...extra]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const summary = JSON.parse(r.stdout) as RunSummary;
      const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { table: string } & OpsRow);
      expect(rows.filter((x) => x.table === 'runs')).toHaveLength(1);
      const ops = rows.filter((x) => x.table === 'ops');
      let total = 0;
      for (const [op, o] of Object.entries(summary.ops)) {
        expect(ops.filter((x) => x.op === op).reduce((s, x) => s + x.ops, 0)).toBe(o.operations);
        expect(o.errors).toBe(0);
        total += o.operations;
      }
      expect(total).toBe(summary.operations);
      if (name === 'cache-aside') {
        const get = summary.ops.GET!;
        // Starting cold, misses are filled by SETs: hits rise and every miss gets a SET.
        expect(get.misses).toBeGreaterThan(0);
        expect(get.hits).toBeGreaterThan(0);
        expect(summary.ops.SET!.operations).toBe(get.misses);
      } else {
        expect(summary.operations).toBe(Number(extra[3]));
      }
    });

    it('loadgen: Ctrl-C ends a long run early and still prints the summary', async () => {
      const seed = `127.0.0.1:${cluster.seeds[0]!.port}`;
      const child = spawn(process.execPath, ['dist/cli/main.js', 'loadgen', '--preset', 'ycsb-c', '--cluster', seed, '--records', '200', '--duration', '60', '--target', '500', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      await new Promise((r) => setTimeout(r, 3000));
      const started = Date.now();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      const runtime = Number(/\[OVERALL\], RunTime\(ms\), (\d+)/.exec(stdout)?.[1]);
      expect(runtime).toBeGreaterThan(0);
      expect(runtime).toBeLessThan(30_000);
      expect(stdout).toMatch(/\[READ\], Operations, [1-9]/);
    });
  });
});
