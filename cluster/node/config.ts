import { parseMemory } from '../replication/units.js';

/**
 * A node's settings: the flags of `kvnetlab node`, and the ones CONFIG GET/SET see
 * under Redis' option names. One table so CONFIG, INFO and the CLI agree.
 */
export interface NodeConfig {
  /** Client (RESP) port this node listens on. */
  port: number;
  /** Cluster bus port; Redis' default is port + 10000. */
  busPort: number;
  host: string;
  /** Holds nodes.conf and the snapshot file. */
  dir: string;
  /** Snapshot file name inside `dir` (Redis' dbfilename); empty: no snapshots (no load, no save on shutdown). */
  dbfilename: string;
  nodeTimeout: number;
  /** What the node tells others to use: a proxy's address when one fronts it. */
  announceHost: string;
  announcePort: number;
  announceBusPort: number;
  /** proto-max-bulk-len: larger bulk strings are refused before they are read. */
  protoMaxBulkLen: number;
  /** cluster-replica-validity-factor: a replica disconnected longer than this x node timeout does not fail over (0 = always may). */
  replicaValidityFactor: number;
  /** cluster-replica-no-failover: never fail over automatically (manual still works). */
  replicaNoFailover: boolean;
  /** cluster-allow-replica-migration: follow whoever takes the master's slots. */
  allowReplicaMigration: boolean;
  /** repl-backlog-size in bytes (Redis' default 1mb). */
  replBacklogSize: number;
  /** repl-ping-replica-period, seconds (default 10). */
  replPingReplicaPeriod: number;
  /** repl-timeout, seconds (default 60). */
  replTimeout: number;
  /** --code-version: this node's code version (INFO server kvnetlab_version), what a patch targets. */
  codeVersion: string;
  /** Live patching (cluster/patch) on: the ping extension, PATCH / PATCH_REQUEST, PATCH LOAD. */
  patchSupport: boolean;
  /** --patch-trust: PEM files of the ed25519 public keys whose patches this node applies. */
  patchTrust: string[];
}

/** The code version a node runs when none is given. */
export const DEFAULT_CODE_VERSION = 'v1';

export function defaultConfig(partial: Partial<NodeConfig> & { port: number }): NodeConfig {
  const port = partial.port;
  const busPort = partial.busPort ?? port + 10000;
  return {
    port,
    busPort,
    host: partial.host ?? '127.0.0.1',
    dir: partial.dir ?? '.',
    dbfilename: partial.dbfilename ?? 'dump.kvnl',
    nodeTimeout: partial.nodeTimeout ?? 15000,
    announceHost: partial.announceHost ?? partial.host ?? '127.0.0.1',
    announcePort: partial.announcePort ?? port,
    announceBusPort: partial.announceBusPort ?? busPort,
    protoMaxBulkLen: partial.protoMaxBulkLen ?? 512 * 1024 * 1024,
    replicaValidityFactor: partial.replicaValidityFactor ?? 10,
    replicaNoFailover: partial.replicaNoFailover ?? false,
    allowReplicaMigration: partial.allowReplicaMigration ?? true,
    replBacklogSize: partial.replBacklogSize ?? 1024 * 1024,
    replPingReplicaPeriod: partial.replPingReplicaPeriod ?? 10,
    replTimeout: partial.replTimeout ?? 60,
    codeVersion: partial.codeVersion ?? DEFAULT_CODE_VERSION,
    patchSupport: partial.patchSupport ?? true,
    patchTrust: partial.patchTrust ?? [],
  };
}

interface ConfigOption {
  get(c: NodeConfig): string;
  /** Absent: the option is read-only at run time (Redis' IMMUTABLE_CONFIG). */
  set?(c: NodeConfig, value: string): void;
}

const intOption = (key: 'nodeTimeout' | 'announcePort' | 'announceBusPort' | 'protoMaxBulkLen' | 'replPingReplicaPeriod' | 'replTimeout' | 'replicaValidityFactor'): ConfigOption => ({
  get: (c) => String(c[key]),
  set: (c, v) => {
    if (!/^\d+$/.test(v)) throw new Error(`argument couldn't be parsed into an integer`);
    const n = Number(v);
    if ((key === 'announcePort' || key === 'announceBusPort') && n > 65535) throw new Error('argument must be between 0 and 65535 inclusive');
    c[key] = n;
  },
});

/** Redis' yes/no options (config.c createBoolConfig): only "yes" and "no", any case. */
const boolOption = (key: 'replicaNoFailover' | 'allowReplicaMigration'): ConfigOption => ({
  get: (c) => (c[key] ? 'yes' : 'no'),
  set: (c, v) => {
    const lower = v.toLowerCase();
    if (lower !== 'yes' && lower !== 'no') throw new Error('argument must be \'yes\' or \'no\'');
    c[key] = lower === 'yes';
  },
});

/** Redis option name -> accessor. Options we accept only for client compatibility are constant. */
export const CONFIG_OPTIONS: Record<string, ConfigOption> = {
  port: { get: (c) => String(c.port) },
  bind: { get: (c) => c.host },
  dir: { get: (c) => c.dir },
  dbfilename: {
    get: (c) => c.dbfilename,
    set: (c, v) => {
      // config.c isValidDBfilename
      if (v.includes('/')) throw new Error("dbfilename can't be a path, just a filename");
      c.dbfilename = v;
    },
  },
  'cluster-enabled': { get: () => 'yes' },
  'cluster-config-file': { get: () => 'nodes.conf' },
  'cluster-node-timeout': intOption('nodeTimeout'),
  'cluster-announce-ip': { get: (c) => c.announceHost, set: (c, v) => void (c.announceHost = v) },
  'cluster-announce-port': intOption('announcePort'),
  'cluster-announce-bus-port': intOption('announceBusPort'),
  'cluster-port': { get: (c) => String(c.busPort) },
  'proto-max-bulk-len': intOption('protoMaxBulkLen'),
  'cluster-replica-validity-factor': intOption('replicaValidityFactor'),
  'cluster-replica-no-failover': boolOption('replicaNoFailover'),
  'cluster-allow-replica-migration': boolOption('allowReplicaMigration'),
  'repl-backlog-size': {
    get: (c) => String(c.replBacklogSize),
    set: (c, v) => void (c.replBacklogSize = parseMemory(v)),
  },
  'repl-ping-replica-period': intOption('replPingReplicaPeriod'),
  'repl-timeout': intOption('replTimeout'),
  'repl-diskless-sync': { get: () => 'yes' },
  // Accepted for redis-benchmark and redis-cli, which read them at start.
  save: { get: () => '' },
  appendonly: { get: () => 'no' },
  databases: { get: () => '1' },
  maxmemory: { get: () => '0' },
  'maxmemory-policy': { get: () => 'noeviction' },
  'cluster-require-full-coverage': { get: () => 'yes' },
};

/** Redis' glob for CONFIG GET patterns is the same as KEYS; options are ASCII so a regex is enough. */
export function configPatternToRegex(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i');
}
