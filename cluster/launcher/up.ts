import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GiveUp, call, callText, fields, waitFor } from './admin.js';
import { isAlive, kvnetlabCli, spawnDetached, stopProcess } from './processes.js';
import { type LocalClusterState, readState, writeState } from './state-file.js';

export interface UpOptions {
  primaries: number;
  replicas: number;
  basePort: number;
  nodeTimeout: number;
  dir: string;
  /** Address announced to clients and peers. */
  host: string;
  /** Address the nodes listen on (default: host); 0.0.0.0 in a container. */
  bind?: string;
  /** Start real redis-server processes instead of kvnetlab nodes. */
  redis: boolean;
  /** Progress lines (the CLI prints them; tests collect them). */
  progress: (line: string) => void;
  timeoutMs: number;
}

export class UpError extends Error {
  constructor(readonly code: 'ALREADY_UP' | 'BAD_TOPOLOGY', message: string) {
    super(message);
    this.name = 'UpError';
  }
}

/** redis-cli's split (redis-cli.c clusterManagerCommandCreate): 0-5460, 5461-10922, 10923-16383 for 3. */
export function splitSlots(primaries: number): Array<[number, number]> {
  const per = 16384 / primaries;
  const ranges: Array<[number, number]> = [];
  let first = 0;
  let cursor = 0;
  for (let i = 0; i < primaries; i++) {
    let last = Math.round(cursor + per - 1);
    if (last > 16384 || i === primaries - 1) last = 16383;
    if (last < first) last = first;
    ranges.push([first, last]);
    first = last + 1;
    cursor += per;
  }
  return ranges;
}

/**
 * `kvnetlab up`: start P x (1 + R) node processes, give each a distinct config epoch,
 * spread the slots, MEET them, attach replicas, and wait until every node says
 * cluster_state:ok and knows every other node with the right role.
 */
export async function up(o: UpOptions): Promise<LocalClusterState> {
  if (o.primaries < 1 || o.replicas < 0) throw new UpError('BAD_TOPOLOGY', 'need --primaries >= 1 and --replicas >= 0');
  const dir = resolve(o.dir);
  const previous = readState(dir);
  if (previous && previous.nodes.some((n) => isAlive(n.pid, n.cmdlineMark))) {
    throw new UpError('ALREADY_UP', `a cluster started from ${dir} is still running: run "kvnetlab down --dir ${o.dir}" first`);
  }
  const bind = o.bind ?? o.host;
  const total = o.primaries * (1 + o.replicas);
  const ports = Array.from({ length: total }, (_, i) => o.basePort + i);
  const started: LocalClusterState['nodes'] = [];
  const state: LocalClusterState = { kind: o.redis ? 'redis' : 'kvnetlab', startedAt: new Date().toISOString(), host: o.host, nodes: started };

  // `up` always forms a fresh cluster: data of a stopped earlier one (its nodes.conf
  // would make the nodes rejoin their old cluster) is removed first.
  for (const old of previous?.nodes ?? []) rmSync(old.dir, { recursive: true, force: true });
  for (const port of ports) rmSync(join(dir, `node-${port}`), { recursive: true, force: true });

  try {
    for (const port of ports) {
      const nodeDir = join(dir, `node-${port}`);
      mkdirSync(nodeDir, { recursive: true });
      const busPort = port + 10000;
      const mark = `--port ${port}`;
      let pid: number;
      if (o.redis) {
        pid = spawnDetached('redis-server', [
          '--port', String(port), '--bind', bind, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', String(o.nodeTimeout), '--cluster-announce-ip', o.host, '--dir', nodeDir,
          '--save', '', '--appendonly', 'no', '--daemonize', 'no',
          // Redis rewrites its process title; keep `--port N` in it so `down` can
          // tell this process from an unrelated one that got the same PID.
          '--proc-title-template', '{title} --port {port}',
        ], nodeDir, join(nodeDir, 'node.log'));
      } else {
        pid = spawnDetached(process.execPath, [
          kvnetlabCli(), 'node', '--port', String(port), '--bus-port', String(busPort), '--dir', nodeDir,
          '--node-timeout', String(o.nodeTimeout), '--host', bind, '--announce-host', o.host,
        ], nodeDir, join(nodeDir, 'node.log'));
      }
      started.push({ id: '', role: 'master', port, busPort, pid, dir: nodeDir, cmdlineMark: mark });
    }
    writeState(dir, state);
    o.progress(`started ${total} ${o.redis ? 'redis-server' : 'kvnetlab node'} processes on ports ${ports[0]}-${ports[ports.length - 1]}`);

    for (const n of started) {
      await waitFor(`node on port ${n.port} to answer PING`, o.timeoutMs, async () => {
        if (!isAlive(n.pid, n.cmdlineMark)) throw new GiveUp(`node on port ${n.port} exited; see ${n.dir}/node.log`);
        // Only our process counts: a foreign server already on this port would answer PING
        // too, and must never be configured (both kvnetlab and Redis report process_id).
        const info = fields(await callText(o.host, n.port, ['INFO', 'server']));
        if (Number(info.process_id) !== n.pid) throw new GiveUp(`port ${n.port} is served by another process (pid ${info.process_id})`);
        return true;
      });
      n.id = await callText(o.host, n.port, ['CLUSTER', 'MYID']);
    }

    const masters = started.slice(0, o.primaries);
    const replicas = started.slice(o.primaries);
    // Distinct config epochs up front, as redis-cli --cluster create does, so no
    // epoch collision has to be resolved over the bus.
    for (const [i, n] of started.entries()) await call(o.host, n.port, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
    for (const [i, [a, b]] of splitSlots(o.primaries).entries()) {
      await callText(o.host, masters[i].port, ['CLUSTER', 'ADDSLOTSRANGE', a, b]);
    }
    for (const n of started.slice(1)) await callText(o.host, n.port, ['CLUSTER', 'MEET', o.host, started[0].port, started[0].busPort]);
    o.progress(`meeting: ${total} nodes, ${o.primaries} primaries with ${o.replicas} replica(s) each`);
    await waitFor('every node to know every other node', o.timeoutMs, async () => {
      for (const n of started) {
        const nodes = await callText(o.host, n.port, ['CLUSTER', 'NODES']);
        const lines = nodes.trim().split('\n');
        if (lines.length !== total || nodes.includes('handshake')) return false;
      }
      return true;
    });
    for (const [i, r] of replicas.entries()) {
      const master = masters[i % o.primaries];
      await callText(o.host, r.port, ['CLUSTER', 'REPLICATE', master.id]);
      r.role = 'replica';
    }
    writeState(dir, state);

    let lastOk = -1;
    await waitFor('cluster_state:ok on every node', o.timeoutMs, async () => {
      let ok = 0;
      for (const n of started) {
        const info = fields(await callText(o.host, n.port, ['CLUSTER', 'INFO']));
        const nodes = await callText(o.host, n.port, ['CLUSTER', 'NODES']);
        const slaves = nodes.split('\n').filter((l) => / (myself,)?slave /.test(l)).length;
        if (info.cluster_state === 'ok' && Number(info.cluster_known_nodes) === total && slaves === replicas.length) ok++;
      }
      if (ok !== lastOk) o.progress(`waiting for cluster_state:ok: ${ok}/${total} nodes agree`);
      lastOk = ok;
      return ok === total;
    }, 250);
    return state;
  } catch (e) {
    // Leave nothing running behind a failed start.
    for (const n of started) await stopProcess(n.pid, n.cmdlineMark, 2000);
    throw e;
  }
}

/** `kvnetlab down`: stop the PIDs the state file names, after checking they are still ours. */
export async function down(dirOption: string, progress: (line: string) => void): Promise<number> {
  const dir = resolve(dirOption);
  const state = readState(dir);
  if (!state) {
    progress(`no cluster state in ${dir}: nothing to stop`);
    return 0;
  }
  let stopped = 0;
  for (const n of state.nodes) {
    const outcome = await stopProcess(n.pid, n.cmdlineMark);
    if (outcome !== 'gone') stopped++;
    progress(`node ${n.port} (pid ${n.pid}): ${outcome}`);
  }
  return stopped;
}
