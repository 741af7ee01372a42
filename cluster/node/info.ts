import os from 'node:os';
import type { NodeConfig } from './config.js';
import type { NodeStats } from './stats.js';
import type { ClusterState } from '../topology/state.js';

/** What INFO reads; each section takes only its own inputs. */
export interface InfoSources {
  runId: string;
  config: NodeConfig;
  stats: NodeStats;
  cluster: ClusterState;
  connectedClients: number;
  keys: number;
  expires: number;
  usedMemory: number;
  replication: () => string[];
  /** Replication counters (INFO stats sync_*, total_net_repl_*). */
  repl: { inputBytes: number; outputBytes: number; feeds: { counters: { syncFull: number; syncPartialOk: number; syncPartialErr: number } } };
  /** INFO persistence lines (cluster/persistence/saver.ts). */
  persistence?: () => string[];
  /** INFO patches lines (cluster/patch/info.ts). */
  patches?: () => string[];
}

/** Redis' section order (server.c genRedisInfoString) and its "default" set. */
const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];
const ALL_SECTIONS = [...DEFAULT_SECTIONS.slice(0, 7), 'modules', 'commandstats', 'errorstats', 'cluster', 'keyspace', 'patches'];

const SECTIONS: Record<string, (s: InfoSources) => string[]> = {
  server: (s) => {
    const uptime = Math.floor((Date.now() - s.stats.startedAt) / 1000);
    return [
      'redis_version:7.0.15',
      'redis_git_sha1:00000000',
      'redis_git_dirty:0',
      'redis_build_id:kvnetlab',
      'redis_mode:cluster',
      `os:${os.type()} ${os.release()} ${os.arch()}`,
      'arch_bits:64',
      'multiplexing_api:epoll',
      `process_id:${process.pid}`,
      `process_supervised:no`,
      `run_id:${s.runId}`,
      `tcp_port:${s.config.port}`,
      `server_time_usec:${Date.now() * 1000}`,
      `uptime_in_seconds:${uptime}`,
      `uptime_in_days:${Math.floor(uptime / 86400)}`,
      'hz:10',
      'configured_hz:10',
      `executable:${process.argv[1] ?? ''}`,
      'config_file:',
      'kvnetlab_node:1',
      `kvnetlab_version:${s.config.codeVersion}`,
    ];
  },
  clients: (s) => [
    `connected_clients:${s.connectedClients}`,
    'cluster_connections:0',
    'maxclients:10000',
    'blocked_clients:0',
  ],
  memory: (s) => {
    const rss = process.memoryUsage().rss;
    return [
      `used_memory:${s.usedMemory}`,
      `used_memory_human:${(s.usedMemory / 1048576).toFixed(2)}M`,
      `used_memory_rss:${rss}`,
      `used_memory_dataset:${s.usedMemory}`,
      'maxmemory:0',
      'maxmemory_policy:noeviction',
    ];
  },
  persistence: (s) => s.persistence?.() ?? ['loading:0', 'async_loading:0', 'rdb_changes_since_last_save:0', 'rdb_bgsave_in_progress:0', 'aof_enabled:0'],
  stats: (s) => {
    const st = s.stats;
    return [
      `total_connections_received:${st.totalConnectionsReceived}`,
      `total_commands_processed:${st.totalCommandsProcessed}`,
      `total_net_input_bytes:${st.netInputBytes}`,
      `total_net_output_bytes:${st.netOutputBytes}`,
      `total_net_repl_input_bytes:${s.repl.inputBytes}`,
      `total_net_repl_output_bytes:${s.repl.outputBytes}`,
      `rejected_connections:0`,
      `expired_keys:0`,
      `keyspace_hits:${st.keyspaceHits}`,
      `keyspace_misses:${st.keyspaceMisses}`,
      `sync_full:${s.repl.feeds.counters.syncFull}`,
      `sync_partial_ok:${s.repl.feeds.counters.syncPartialOk}`,
      `sync_partial_err:${s.repl.feeds.counters.syncPartialErr}`,
      `total_error_replies:${[...st.errors.values()].reduce((a, b) => a + b, 0)}`,
      `unexpected_error_replies:${st.unexpectedErrorReplies}`,
      `total_reads_processed:${st.totalCommandsProcessed}`,
    ];
  },
  replication: (s) => s.replication(),
  cpu: () => {
    const u = process.cpuUsage();
    return [`used_cpu_sys:${(u.system / 1e6).toFixed(6)}`, `used_cpu_user:${(u.user / 1e6).toFixed(6)}`];
  },
  modules: () => [],
  commandstats: (s) =>
    [...s.stats.commands].map(
      ([name, r]) => `cmdstat_${name}:calls=${r.calls},usec=${r.usec},usec_per_call=${r.calls ? (r.usec / r.calls).toFixed(2) : '0.00'},rejected_calls=0,failed_calls=${r.failed}`,
    ),
  errorstats: (s) => [...s.stats.errors].map(([prefix, n]) => `errorstat_${prefix}:count=${n}`),
  cluster: () => ['cluster_enabled:1'],
  keyspace: (s) => (s.keys > 0 ? [`db0:keys=${s.keys},expires=${s.expires},avg_ttl=0`] : []),
  patches: (s) => s.patches?.() ?? ['patch_support:0'],
};

const TITLES: Record<string, string> = {
  server: 'Server',
  clients: 'Clients',
  memory: 'Memory',
  persistence: 'Persistence',
  stats: 'Stats',
  replication: 'Replication',
  cpu: 'CPU',
  modules: 'Modules',
  commandstats: 'Commandstats',
  errorstats: 'Errorstats',
  cluster: 'Cluster',
  keyspace: 'Keyspace',
  patches: 'Patches',
};

/** INFO [section ...]: `default`, `all`, `everything` or named sections, CRLF-separated like Redis. */
export function renderInfo(requested: string[], s: InfoSources): string {
  let names: string[];
  if (requested.length === 0 || requested.includes('default')) names = DEFAULT_SECTIONS;
  else if (requested.includes('all') || requested.includes('everything')) names = ALL_SECTIONS;
  else names = ALL_SECTIONS.filter((n) => requested.includes(n));
  return names.map((n) => [`# ${TITLES[n]}`, ...SECTIONS[n](s)].join('\r\n')).join('\r\n\r\n') + '\r\n';
}
