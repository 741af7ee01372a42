import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningController, startController } from '../controller/start.js';
import { runCli } from './support/run-cli.js';

/*
 * `kvnetlab event` (built CLI) against an in-process controller whose cluster.json names
 * nodes that are not running: the refusals and their exit codes, nothing else started.
 */
describe('kvnetlab event', () => {
  let dir: string;
  let c: RunningController;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvnl-event-cli-'));
    const node = { id: 'c'.repeat(40), role: 'master', port: 22797, busPort: 32797, pid: 99_999_999, dir: join(dir, 'n'), cmdlineMark: '--port 22797' };
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify({ kind: 'kvnetlab', startedAt: '', host: '127.0.0.1', nodes: [node] }));
    c = await startController({ runDir: dir, port: 0, runId: 'run-cli', sink: null, log: () => {} });
  });
  afterAll(async () => {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('event: finds URL and token in the run directory, follows the event and exits 0 when it ends ok', async () => {
    const r = await runCli(['event', 'kill', '--node', '22797', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^kill ok \d+ ms/);
  });

  it('event: refusals print the code and exit 1 (bad kind, wrong token, unknown node, live-patch without a bundle)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['event', 'reboot', '--node', '22797'], /BAD_PARAMS \(HTTP 400\)/],
      [['event', 'kill', '--node', '22797', '--token', 'nope'], /UNAUTHORIZED \(HTTP 401\)/],
      [['event', 'snapshot', '--node', '22700'], /UNKNOWN_NODE \(HTTP 404\)/],
      [['event', 'live-patch'], /BAD_PARAMS \(HTTP 400\)/],
      [['event', 'live-patch', '--method', 'push', '--patch', 'no-such.kvpb'], /BAD_PARAMS \(HTTP 400\).*ENOENT/],
    ];
    for (const [args, want] of cases) {
      const r = await runCli([...args, '--dir', dir]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(want);
    }
  });

  it('event: a failed event is printed with its error code and exits 1', async () => {
    const r = await runCli(['event', 'snapshot', '--node', '22797', '--dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/snapshot failed \d+ ms NODE_UNREACHABLE/);
  });

  it('event: without a controller it says where it looked', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'kvnl-event-none-'));
    try {
      const r = await runCli(['event', 'kill', '--node', '1', '--dir', empty]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`no controller URL: none in ${empty}/controller.json`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
