import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { kvnetlabCli } from '../../cluster/launcher/processes.js';

const exec = promisify(execFile);

/** Runs the built CLI; resolves with exit code and output instead of throwing. */
export async function runCli(args: string[], timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [kvnetlabCli(), ...args], { timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
