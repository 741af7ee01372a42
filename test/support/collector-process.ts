import { spawn, type ChildProcess } from 'node:child_process';
import { kvnetlabCli } from '../../cluster/launcher/processes.js';

export interface CollectorProcess {
  pid: number;
  url: string;
  child: ChildProcess;
  /** Send a signal and wait for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Start `kvnetlab collector` (built CLI) and wait for its "collector <url>" line. */
export async function startCollectorProcess(dir: string, port: number, timeoutMs = 30_000): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [kvnetlabCli(), 'collector', '--dir', dir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`collector did not start in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^collector (\S+)/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code}: ${stderr}`));
    });
  });
  return {
    pid: child.pid!,
    url,
    child,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
