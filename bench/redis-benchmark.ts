import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** requests/s per test of one `redis-benchmark -t set,get` run ("SET: 123.45 requests per second, ..."). */
export async function redisBenchmark(port: number, o: { pipeline: number; requests: number; clients: number }): Promise<Record<string, number>> {
  const args = ['-p', String(port), '-t', 'set,get', '-n', String(o.requests), '-c', String(o.clients), '-P', String(o.pipeline), '-r', '100000', '-q'];
  const { stdout } = await run('redis-benchmark', args, { timeout: 600_000 });
  const out: Record<string, number> = {};
  for (const m of stdout.replace(/\r/g, '\n').matchAll(/^(SET|GET): ([\d.]+) requests per second/gm)) out[m[1]] = Number(m[2]);
  return out;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
