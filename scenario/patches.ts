import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { callText, fields } from '../cluster/launcher/admin.js';
import { kvnetlabCli } from '../cluster/launcher/processes.js';
import { ScenarioError } from './errors.js';

const exec = promisify(execFile);

/**
 * The synthetic live patch of version `version` (`patch_bytes` large), signed with the
 * cluster's key: `kvnetlab patch synth --size B --version N --dir <cluster dir> --out F`
 * (the live patching contract). Versions count up from 1 within a cluster: a node
 * applies patch N on top of N-1.
 */
export async function synthPatch(clusterDir: string, version: number, bytes: number, target: string): Promise<string> {
  const out = join(clusterDir, `patch-v${version}-${target}.json`);
  try {
    await exec(process.execPath, [kvnetlabCli(), 'patch', 'synth', '--size', String(bytes), '--version', String(version), '--target', target, '--dir', clusterDir, '--out', out], { timeout: 30_000 });
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

/** The code version the nodes run now (`kvnetlab_version` of INFO server; cp-* bump it). */
export async function codeVersion(host: string, ports: number[]): Promise<string> {
  for (const port of ports) {
    try {
      return fields(await callText(host, port, ['INFO', 'server'])).kvnetlab_version || 'v1';
    } catch {
      // restarting: ask the next node
    }
  }
  return 'v1';
}

/**
 * The sub-run's patch files, made before the warm-up so that signing (a CLI call, about
 * a second) never delays an event; made again if the code version moved (an LP after a
 * CP in a sequence: the patch must target the version the nodes run).
 */
export class PatchFiles {
  private readonly made = new Map<string, string>();

  constructor(private readonly clusterDir: string, private readonly bytes: number, private readonly target: () => Promise<string>) {}

  async prepare(versions: number[]): Promise<void> {
    const target = await this.target();
    for (const v of versions) await this.make(v, target);
  }

  async file(version: number): Promise<string> {
    return this.make(version, await this.target());
  }

  private async make(version: number, target: string): Promise<string> {
    const key = `${version}/${target}`;
    let f = this.made.get(key);
    if (!f) this.made.set(key, (f = await synthPatch(this.clusterDir, version, this.bytes, target)));
    return f;
  }
}
