import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GiveUp, call, callText, fields, waitFor } from './admin.js';
import { ensureKeyPair } from '../patch/keys.js';
import { DEFAULT_CODE_VERSION } from '../node/config.js';
import { isAlive, kvnetlabCli, spawnDetached, stopProcess } from './processes.js';
import { startCapture, stopCapture } from './capture.js';
import { nodePortOf, spawnProxy } from './proxies.js';
import { type LocalClusterState, readState, writeState } from './state-file.js';
import { type PreparedStore, type UpStoreOptions, prepareStore, stopCollector, writeRunRow } from './store.js';

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
  /** Put a measuring proxy in front of every node (default true; `--no-proxy`). */
  proxy?: boolean;
  /**
   * Where the proxies' rows go: `store` (the default with a store), `jsonl` (the default
   * without: <dir>/proxy-<port>/traffic.jsonl) or `memory` (counted, then dropped).
   */
  proxySink?: 'store' | 'jsonl' | 'memory';
  /** The telemetry store (cluster/launcher/store.ts): started first, one `runs` row per up. Absent: no store. */
  store?: UpStoreOptions;
  /** Proxy i serves /metrics on this port + i. */
  proxyMetricsBasePort?: number;
  /** kvnetlab node i serves /metrics on this port + i (redis-server has no such endpoint). */
  nodeMetricsBasePort?: number;
  /** Start `kvnetlab capture` on this interface with the cluster (cluster/launcher/capture.ts). */
  capture?: { iface: string; bufferMb?: number; metricsPort?: number };
  /** Progress lines (the CLI prints them; tests collect them). */
  progress: (line: string) => void;
  timeoutMs: number;
  /** run_id of the proxies' rows and the runs row (default `up-<start time>`); the scenario runner gives each sub-run its own. */
  runId?: string;
  /** Label of the runs row (default `up 3P-1R kvnetlab`). */
  runLabel?: string;
  /** Extra fields merged into the runs row's detail JSON (the scenario runner: scenario, memory, run kind). */
  runDetail?: Record<string, unknown>;
  /**
   * Live patching on kvnetlab nodes (default true): up keeps an ed25519 key pair in
   * <dir>/patch-key.pem (0600) and patch-key.pub.pem and passes --patch-trust to every
   * node; false passes --no-patch-support (the paper's Baseline run).
   */
  patchSupport?: boolean;
  /** --code-version of every kvnetlab node (default v1). */
  codeVersion?: string;
}

export class UpError extends Error {
  constructor(readonly code: 'ALREADY_UP' | 'BAD_TOPOLOGY' | 'BAD_OPTIONS', message: string) {
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
  if (previous && [...previous.nodes, ...(previous.proxies ?? []), ...(previous.capture ? [previous.capture] : [])].some((n) => isAlive(n.pid, n.cmdlineMark))) {
    throw new UpError('ALREADY_UP', `a cluster started from ${dir} is still running: run "kvnetlab down --dir ${o.dir}" first`);
  }
  const proxySink = o.proxySink ?? (o.store ? 'store' : 'jsonl');
  if (proxySink === 'store' && !o.store) throw new UpError('BAD_OPTIONS', 'proxy sink "store" needs a telemetry store (drop --no-store, or use --proxy-sink jsonl|memory)');
  const bind = o.bind ?? o.host;
  const total = o.primaries * (1 + o.replicas);
  const withProxy = o.proxy ?? true;
  const ports = Array.from({ length: total }, (_, i) => o.basePort + i);
  const patchSupport = o.patchSupport ?? true;
  const patchArgs = o.redis ? [] : patchSupport ? ['--patch-trust', ensureKeyPair(dir).publicFile] : ['--no-patch-support'];
  const started: LocalClusterState['nodes'] = [];
  const proxies: LocalClusterState['proxies'] = [];
  const startedAt = new Date().toISOString();
  const state: LocalClusterState = {
    kind: o.redis ? 'redis' : 'kvnetlab',
    startedAt,
    host: o.host,
    runId: o.runId ?? `up-${startedAt}`,
    nodes: started,
    proxies,
  };

  // `up` always forms a fresh cluster: data of a stopped earlier one (its nodes.conf
  // would make the nodes rejoin their old cluster) is removed first.
  for (const old of previous?.nodes ?? []) rmSync(old.dir, { recursive: true, force: true });
  for (const port of ports) rmSync(join(dir, `node-${port}`), { recursive: true, force: true });
  for (const old of previous?.proxies ?? []) rmSync(join(dir, `proxy-${old.port}`), { recursive: true, force: true });

  let store: PreparedStore | undefined;
  try {
    // The store first: the proxies write to it from their first tick.
    store = o.store ? await prepareStore(o.store, o.timeoutMs, o.progress) : undefined;
    state.store = store?.state;
    for (const [i, port] of ports.entries()) {
      const nodeDir = join(dir, `node-${port}`);
      mkdirSync(nodeDir, { recursive: true });
      const busPort = port + 10000;
      // With proxies the node listens on an internal port and announces the proxy's
      // (cluster.c: myport/cport/myip in every bus header and gossip entry; replicas
      // connect to the announced port too), so every byte passes one proxy.
      const nodePort = nodePortOf(o.basePort, total, i, withProxy);
      const nodeBusPort = nodePort + 10000;
      const mark = `--port ${nodePort}`;
      // The exact command line goes into the state file: the controller restarts a node
      // with it (same ports, dir, snapshot and nodes.conf).
      let argv: string[];
      if (o.redis) {
        argv = ['redis-server',
          '--port', String(nodePort), '--cluster-port', String(nodeBusPort), '--bind', bind, '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(o.nodeTimeout), '--cluster-announce-ip', o.host,
          '--cluster-announce-port', String(port), '--cluster-announce-bus-port', String(busPort),
          // REPLCONF listening-port: what the master shows for this replica (INFO replication).
          '--replica-announce-port', String(port),
          '--dir', nodeDir, '--save', '', '--appendonly', 'no', '--daemonize', 'no',
          // Redis rewrites its process title; keep `--port N` in it so `down` can
          // tell this process from an unrelated one that got the same PID.
          '--proc-title-template', '{title} --port {port}',
        ];
      } else {
        argv = [process.execPath,
          kvnetlabCli(), 'node', '--port', String(nodePort), '--bus-port', String(nodeBusPort), '--dir', nodeDir,
          '--node-timeout', String(o.nodeTimeout), '--host', bind, '--announce-host', o.host,
          '--announce-port', String(port), '--announce-bus-port', String(busPort),
          ...(o.nodeMetricsBasePort === undefined ? [] : ['--metrics-port', String(o.nodeMetricsBasePort + i)]),
          '--code-version', o.codeVersion ?? DEFAULT_CODE_VERSION, ...patchArgs,
        ];
      }
      const pid = spawnDetached(argv[0]!, argv.slice(1), nodeDir, join(nodeDir, 'node.log'));
      started.push({ id: '', role: 'master', port, busPort, nodePort, nodeBusPort, pid, dir: nodeDir, cmdlineMark: mark, argv });
    }
    writeState(dir, state);
    o.progress(
      `started ${total} ${o.redis ? 'redis-server' : 'kvnetlab node'} processes on ports ${started[0].nodePort}-${started[total - 1].nodePort}`,
    );

    if (o.capture) {
      state.capture = await startCapture({
        dir, iface: o.capture.iface, runId: state.runId!, bufferMb: o.capture.bufferMb, metricsPort: o.capture.metricsPort, timeoutMs: o.timeoutMs,
        storeArgs: store?.proxyArgs, env: store?.proxyEnv,
      });
      writeState(dir, state);
      o.progress(`capture on ${o.capture.iface} started (pid ${state.capture.pid}, log ${state.capture.log})`);
    }
    for (const n of started) {
      await waitFor(`node on port ${n.nodePort} to answer PING`, o.timeoutMs, async () => {
        if (!isAlive(n.pid, n.cmdlineMark)) throw new GiveUp(`node on port ${n.nodePort} exited; see ${n.dir}/node.log`);
        // Only our process counts: a foreign server already on this port would answer PING
        // too, and must never be configured (both kvnetlab and Redis report process_id).
        const info = fields(await callText(o.host, n.nodePort, ['INFO', 'server']));
        if (Number(info.process_id) !== n.pid) throw new GiveUp(`port ${n.nodePort} is served by another process (pid ${info.process_id})`);
        return true;
      });
      n.id = await callText(o.host, n.nodePort, ['CLUSTER', 'MYID']);
    }
    if (withProxy) await startProxies({ ...o, proxySink }, dir, bind, state, store);

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
    // A replica that has not finished its first sync cannot take over (data age), and
    // reads from it miss: "up" means every replica holds its master's data.
    await waitFor('every replica linked to its master (first sync done)', o.timeoutMs, async () => {
      for (const r of replicas) {
        if (fields(await callText(o.host, r.port, ['INFO', 'replication'])).master_link_status !== 'up') return false;
      }
      return true;
    }, 100);
    if (store) await writeRunRow(store.target, runRow(o, state, proxySink), o.progress);
    return state;
  } catch (e) {
    // Leave nothing running behind a failed start.
    for (const n of [...started, ...proxies]) await stopProcess(n.pid, n.cmdlineMark, 2000);
    await stopCapture(state.capture, o.progress);
    await stopCollector(state.store, o.progress);
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
  // Proxies after the nodes: the nodes' closing connections are counted and flushed.
  // All at once: each waits up to its --close-timeout (10 s) for the store.
  await Promise.all(
    (state.proxies ?? []).map(async (p) => {
      const outcome = await stopProcess(p.pid, p.cmdlineMark, 15_000);
      if (outcome !== 'gone') stopped++;
      progress(`proxy ${p.port} (pid ${p.pid}): ${outcome}`);
    }),
  );
  // The capture after the proxies: it counts the last bytes and FINs of their connections.
  stopped += await stopCapture(state.capture, progress);
  // The collector last: the proxies' and the capture's final rows are in by now.
  stopped += await stopCollector(state.store, progress);
  return stopped;
}

/** The `runs` row of an up: the topology as formed and the options it was started with. */
function runRow(o: UpOptions, state: LocalClusterState, proxySink: string) {
  const detail = {
    kind: state.kind,
    topology: {
      primaries: o.primaries,
      replicas: o.replicas,
      nodes: state.nodes.map((n) => ({ id: n.id, role: n.role, port: n.port, busPort: n.busPort, nodePort: n.nodePort })),
    },
    flags: {
      basePort: o.basePort, nodeTimeout: o.nodeTimeout, host: o.host, bind: o.bind, redis: o.redis,
      proxy: o.proxy ?? true, proxySink, proxyMetricsBasePort: o.proxyMetricsBasePort, capture: o.capture,
    },
    store: state.store && { dir: state.store.dir, collectorUrl: state.store.collectorUrl, clickhouseUrl: state.store.clickhouseUrl },
    node: process.version,
    ...o.runDetail,
  };
  return {
    run_id: state.runId!,
    started_ms: Date.parse(state.startedAt),
    label: o.runLabel ?? `up ${o.primaries}P-${o.replicas}R ${state.kind}`,
    detail: JSON.stringify(detail),
  };
}

/** One proxy per node on the node's public ports; ready when a PING through it reaches that node. */
async function startProxies(o: UpOptions, dir: string, bind: string, state: LocalClusterState, store: PreparedStore | undefined): Promise<void> {
  const nodeHost = bind === '0.0.0.0' ? '127.0.0.1' : bind;
  for (const [i, n] of state.nodes.entries()) {
    const proxyDir = join(dir, `proxy-${n.port}`);
    mkdirSync(proxyDir, { recursive: true });
    state.proxies.push(
      spawnProxy({
        host: nodeHost, bind, port: n.port, nodePort: n.nodePort, nodeId: n.id, runId: state.runId!, dir: proxyDir,
        sink: o.proxySink ?? 'jsonl', storeArgs: store?.proxyArgs, env: store?.proxyEnv, metricsPort: o.proxyMetricsBasePort === undefined ? undefined : o.proxyMetricsBasePort + i,
      }),
    );
  }
  writeState(dir, state);
  for (const [i, n] of state.nodes.entries()) {
    const p = state.proxies[i];
    await waitFor(`proxy on port ${p.port} to relay PING`, o.timeoutMs, async () => {
      if (!isAlive(p.pid, p.cmdlineMark)) throw new GiveUp(`proxy on port ${p.port} exited; see ${p.log}`);
      const info = fields(await callText(o.host, n.port, ['INFO', 'server']));
      if (Number(info.process_id) !== n.pid) throw new GiveUp(`port ${n.port} is served by another process (pid ${info.process_id})`);
      return true;
    });
  }
  o.progress(`started ${state.proxies.length} proxies on ports ${state.proxies[0].port}-${state.proxies[state.proxies.length - 1].port} (+10000 bus)`);
}
