import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { kvnetlabCli } from '../cluster/launcher/processes.js';
import { runCli } from './support/run-cli.js';

const exec = promisify(execFile);
const root = process.getuid?.() === 0;

/* `kvnetlab capture` refusing to start, for real: a process without CAP_NET_RAW, an interface that does not exist, no cluster state. */
describe('kvnetlab capture when it cannot capture', () => {
  it.runIf(root)('capture: without the right to capture it names root or CAP_NET_RAW and setcap (exit 2)', async () => {
    // The same CLI as user nobody, with no capabilities: libpcap's socket() is refused.
    const r = await exec('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, kvnetlabCli(), 'capture', '--ports', '17998', '--sink', 'memory'])
      .then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/libpcap cannot capture on lo: .*Operation not permitted/);
    expect(r.stderr).toMatch(/root or CAP_NET_RAW/);
    expect(r.stderr).toMatch(/setcap cap_net_raw,cap_net_admin\+eip/);
  });

  it('capture: an interface that does not exist is named as such (exit 2)', async () => {
    const r = await runCli(['capture', '--iface', 'nosuchif0', '--ports', '17998', '--sink', 'memory']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/libpcap cannot capture on nosuchif0/);
  });

  it('capture: --ports auto without a cluster says where it looked (exit 2)', async () => {
    const r = await runCli(['capture', '--dir', '/nonexistent/cluster', '--sink', 'memory']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no cluster state at \/nonexistent\/cluster\/cluster\.json/);
  });
});
