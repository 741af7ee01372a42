/**
 * bench:sync — full resynchronization of a replica whose master holds `--mib` MiB, on
 * kvnetlab and on redis-server 7.0 in the same run. Redis runs with `rdbcompression no`
 * (its default compresses a 1 GiB test set to 45 MB: DESIGN.md), diskless sync with
 * no delay (`repl-diskless-sync yes`, `repl-diskless-sync-delay 0`) and diskless load
 * (`repl-diskless-load on-empty-db`), so both stream the dataset from memory to memory
 * as kvnetlab does (with Redis' default disk load, the replica's disk dominates: 1 GiB
 * took 32.8 s here against 29.4 s for kvnetlab). Prints seconds from CLUSTER
 * REPLICATE until the replica's link is up and caught up, the bytes the master sent
 * (INFO stats total_net_repl_output_bytes) and MB/s, and the TS/Redis ratio of
 * throughput (target >= 0.5). A benchmark, not a test: it never fails on speed.
 *
 * Rounds alternate kvnetlab and Redis so both see the same machine noise; medians.
 *
 *   npm run bench:sync [-- --mib 128 --value 1024 --rounds 3 --systems kvnetlab,redis --port 22081]
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { call, callText, fields, text, waitFor } from '../cluster/launcher/admin.js';
import { kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';
import { PeerClient } from '../cluster/node/peer-client.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '128' },
    value: { type: 'string', default: '1024' },
    systems: { type: 'string', default: 'kvnetlab,redis' },
    rounds: { type: 'string', default: '3' },
    /** First of four consecutive client ports (master, replica; kvnetlab then Redis). */
    port: { type: 'string', default: '22081' },
  },
});
const rounds = Number(values.rounds);
const port0 = Number(values.port);
const systems = values.systems.split(',');
const mib = Number(values.mib);
const valueSize = Number(values.value);
const keys = Math.floor((mib * 1024 * 1024) / valueSize);

/** KVNETLAB_CPU_PROF=1: each kvnetlab node writes a V8 CPU profile into `<tmpdir>/kvnetlab-sync-prof-<pid>/` (kept after the run). */
const profDir = join(tmpdir(), `kvnetlab-sync-prof-${process.pid}`);
function profile(): string[] {
  return process.env.KVNETLAB_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
}

interface Proc {
  port: number;
  pid: number;
}

async function startNode(kind: 'kvnetlab' | 'redis', port: number, dir: string): Promise<Proc> {
  const d = join(dir, `${kind}-${port}`);
  mkdirSync(d, { recursive: true });
  const pid =
    kind === 'redis'
      ? spawnDetached(
          'redis-server',
          [
            '--port', String(port), '--cluster-enabled', 'yes', '--save', '', '--appendonly', 'no', '--dir', d,
            '--rdbcompression', 'no', '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', '--repl-diskless-load', 'on-empty-db', '--enable-debug-command', 'local',
            '--proc-title-template', '{title} --port {port}',
          ],
          d,
          join(d, 'log'),
        )
      : spawnDetached(process.execPath, ['--max-old-space-size=8192', ...profile(), kvnetlabCli(), 'node', '--port', String(port), '--dir', d, '--repl-timeout', '600'], d, join(d, 'log'));
  await waitFor(`${kind} on ${port}`, 20_000, async () => (await callText('127.0.0.1', port, ['PING'])) === 'PONG');
  return { port, pid };
}

const info = async (port: number, section: string) => fields(text(await call('127.0.0.1', port, ['INFO', section], 30_000)));

/** kvnetlab has no DEBUG POPULATE: the same keys and value sizes by pipelined SETs. */
async function populate(kind: 'kvnetlab' | 'redis', port: number): Promise<void> {
  if (kind === 'redis') {
    text(await call('127.0.0.1', port, ['DEBUG', 'POPULATE', keys, 'key', valueSize], 600_000));
    return;
  }
  const peer = new PeerClient('127.0.0.1', port, 5000);
  const value = Buffer.alloc(valueSize, 'v');
  try {
    for (let i = 0; i < keys; i += 2000) {
      const batch: Array<Array<string | Buffer>> = [];
      for (let j = i; j < Math.min(keys, i + 2000); j++) batch.push(['SET', `key:${j}`, value]);
      await peer.pipeline(batch, 60_000);
    }
  } finally {
    peer.close();
  }
}

async function fullSync(kind: 'kvnetlab' | 'redis', ports: [number, number], dir: string): Promise<{ seconds: number; bytes: number }> {
  const master = await startNode(kind, ports[0], dir);
  const replica = await startNode(kind, ports[1], dir);
  try {
    await call('127.0.0.1', master.port, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
    await call('127.0.0.1', replica.port, ['CLUSTER', 'MEET', '127.0.0.1', master.port]);
    const masterId = await callText('127.0.0.1', master.port, ['CLUSTER', 'MYID']);
    await waitFor('replica knows the master', 20_000, async () => (await callText('127.0.0.1', replica.port, ['CLUSTER', 'NODES'])).includes(masterId));
    const t0 = Date.now();
    await populate(kind, master.port);
    const dbsize = (await call('127.0.0.1', master.port, ['DBSIZE'])).v;
    process.stderr.write(`${kind}: ${dbsize} keys of ${valueSize} B loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const out0 = Number((await info(master.port, 'stats')).total_net_repl_output_bytes);
    const start = performance.now();
    text(await call('127.0.0.1', replica.port, ['CLUSTER', 'REPLICATE', masterId]));
    await waitFor(
      'replica synced',
      600_000,
      async () => {
        const r = await info(replica.port, 'replication');
        return r.master_link_status === 'up' && r.master_sync_in_progress === '0';
      },
      20,
    );
    const seconds = (performance.now() - start) / 1000;
    const bytes = Number((await info(master.port, 'stats')).total_net_repl_output_bytes) - out0;
    const rsize = (await call('127.0.0.1', replica.port, ['DBSIZE'])).v;
    if (rsize !== dbsize) throw new Error(`${kind}: replica has ${rsize} keys, master ${dbsize}`);
    return { seconds, bytes };
  } finally {
    await stopProcess(replica.pid, `--port ${replica.port}`, 5000);
    await stopProcess(master.pid, `--port ${master.port}`, 5000);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-bench-sync-'));
  try {
    const runs: Record<string, Array<{ seconds: number; bytes: number }>> = { kvnetlab: [], redis: [] };
    for (let r = 1; r <= rounds; r++) {
      if (systems.includes('kvnetlab')) runs.kvnetlab.push(await fullSync('kvnetlab', [port0, port0 + 1], join(dir, `round-${r}`)));
      if (systems.includes('redis')) runs.redis.push(await fullSync('redis', [port0 + 2, port0 + 3], join(dir, `round-${r}`)));
      process.stderr.write(`round ${r}: ${JSON.stringify({ kvnetlab: runs.kvnetlab.at(-1), redis: runs.redis.at(-1) })}\n`);
    }
    const median = (xs: Array<{ seconds: number; bytes: number }>) =>
      xs.length === 0 ? { seconds: NaN, bytes: NaN } : [...xs].sort((a, b) => a.seconds - b.seconds)[Math.floor(xs.length / 2)];
    const ts = median(runs.kvnetlab);
    const rd = median(runs.redis);
    const row = (name: string, r: { seconds: number; bytes: number }) =>
      `${name.padEnd(13)} ${r.seconds.toFixed(2).padStart(8)} ${(r.bytes / 1e6).toFixed(1).padStart(10)} ${(r.bytes / 1e6 / r.seconds).toFixed(1).padStart(8)}`;
    console.log(`\nfull resync, master with ${keys} keys x ${valueSize} B (~${mib} MiB), diskless, uncompressed, median of ${rounds}`);
    console.log('system        seconds   sent MB     MB/s');
    console.log(row('kvnetlab', ts));
    console.log(row('redis-server', rd));
    console.log(`TS/Redis: time ${(rd.seconds / ts.seconds).toFixed(3)} (Redis s / TS s), throughput ${(ts.bytes / ts.seconds / (rd.bytes / rd.seconds)).toFixed(3)}  target >= 0.5`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (process.env.KVNETLAB_CPU_PROF) console.log(`CPU profiles in ${profDir}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
