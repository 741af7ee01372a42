import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kvnetlabCli } from '../cluster/launcher/processes.js';
import { ScenarioError } from './errors.js';

const exec = promisify(execFile);

/**
 * The synthetic live patch of version `version` (`patch_bytes` large), signed with the
 * cluster's key: `kvnetlab patch synth --size B --version N --dir <cluster dir> --out F`
 * (the live patching contract). Versions count up from 1 within a cluster: a node
 * applies patch N on top of N-1.
 */
export async function synthPatch(clusterDir: string, version: number, bytes: number): Promise<string> {
  const out = join(clusterDir, `patch-v${version}.json`);
  try {
    await exec(process.execPath, [kvnetlabCli(), 'patch', 'synth', '--size', String(bytes), '--version', String(version), '--dir', clusterDir, '--out', out], { timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const text = (err.stderr ?? err.message).trim();
    // Before live patching landed, `kvnetlab patch` is an unknown command.
    const missing = /unknown command 'patch'/.test(text);
    const why = text.split('\n').find((l) => l.startsWith('error') || l.startsWith('kvnetlab')) ?? text.split('\n')[0];
    throw new ScenarioError('UNAVAILABLE', missing ? 'live patching is not in this build (`kvnetlab patch synth` is missing)' : `kvnetlab patch synth failed: ${why}`);
  }
  return out;
}
