import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * An independent capture of the same traffic: Debian's tshark (dumpcap, libpcap) with
 * the same BPF filter, writing the first 128 bytes of each frame to a file; frame.len
 * keeps each frame's length on the wire.
 */
export interface TsharkCapture {
  /** SIGINT (tshark finishes the file), then frames and bytes read back from it. */
  stop(): Promise<{ frames: number; bytes: number; dropped: number }>;
  kill(): void;
}

export async function startTshark(filter: string, file: string, timeoutMs = 30_000): Promise<TsharkCapture> {
  const child: ChildProcess = spawn('tshark', ['-i', 'lo', '-f', filter, '-s', '128', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tshark did not start: ${stderr}`)), timeoutMs);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/Capturing on/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`tshark exited: ${stderr}`)));
  });
  return {
    kill: () => child.kill('SIGKILL'),
    stop: async () => {
      child.kill('SIGINT');
      await exited;
      // "N packets dropped from lo" (dumpcap's pcap_stats) at exit, when any were.
      const dropped = Number(/(\d+) packets? dropped/.exec(stderr)?.[1] ?? 0);
      const { stdout } = await exec('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len'], { maxBuffer: 256 * 1024 * 1024 });
      const lens = stdout.split('\n').filter((l) => l !== '').map(Number);
      return { frames: lens.length, bytes: lens.reduce((a, b) => a + b, 0), dropped };
    },
  };
}
