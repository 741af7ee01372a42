import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectorProcess, type CollectorProcess } from './support/collector-process.js';
import { runCli } from './support/run-cli.js';

// Ports of this file: 21901 (redis-server), 21902 (collector).
const REDIS_PORT = 21901;
const COLLECTOR_PORT = 21902;

describe('loadgen into the telemetry store', () => {
  let dir: string;
  let redis: ChildProcess;
  let collector: CollectorProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvnl-loadgen-store-'));
    redis = spawn('redis-server', ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    collector = await startCollectorProcess(join(dir, 'chdb'), COLLECTOR_PORT);
  });

  afterAll(async () => {
    redis?.kill('SIGKILL');
    await collector?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loadgen: the ops rows found through the collector that owns the store dir sum to the operations performed', async () => {
    const run = await runCli([
      'loadgen', '--preset', 'memtier-set', '--standalone', '--cluster', `127.0.0.1:${REDIS_PORT}`,
      '--records', '500', '--operations', '3000', '--connections', '4', '--run-id', 'lg-store-1', '--json',
      '--store-dir', join(dir, 'chdb'),
    ]);
    expect(run.stderr).toContain(collector.url);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { operations: number; ops: Record<string, { operations: number; errors: number }> };
    const performed = Object.values(summary.ops).reduce((n, o) => n + o.operations, 0);
    expect(performed).toBe(summary.operations);
    expect(performed).toBeGreaterThanOrEqual(3000);

    const q = await runCli(['sql', '--collector-url', collector.url, '--format', 'json', "SELECT sum(ops) AS ops FROM ops WHERE run_id = 'lg-store-1'"]);
    expect(q.code).toBe(0);
    expect(Number((JSON.parse(q.stdout) as { ops: string | number }[])[0]!.ops)).toBe(performed);
  });

  it('loadgen: --no-store keeps the rows out of the store', async () => {
    const run = await runCli([
      'loadgen', '--preset', 'memtier-get', '--standalone', '--cluster', `127.0.0.1:${REDIS_PORT}`,
      '--records', '100', '--operations', '500', '--run-id', 'lg-store-2', '--no-store', '--store-dir', join(dir, 'chdb'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('nowhere');
    const q = await runCli(['sql', '--collector-url', collector.url, '--format', 'json', "SELECT count() AS n FROM ops WHERE run_id = 'lg-store-2'"]);
    expect(Number((JSON.parse(q.stdout) as { n: string | number }[])[0]!.n)).toBe(0);
  });
});
