import type { Reply } from '../resp/reply.js';
import type { ClientState, CommandSpec } from '../commands/types.js';
import type { ClusterState } from '../topology/state.js';
import type { BusEngine } from '../topology/bus-engine.js';
import type { NodeConfig } from './config.js';
import type { NodeStats } from './stats.js';
import type { ReplicationCommands } from '../replication/commands.js';

/** MIGRATE's arguments once parsed (cluster.c migrateCommand). */
export interface MigrateRequest {
  host: string;
  port: number;
  keys: string[];
  timeoutMs: number;
  copy: boolean;
  replace: boolean;
  auth?: { user?: string; password: string };
}

/**
 * The node-level services a command may call, beyond the keyspace. Commands of a
 * family use only the few members they need, so tests give them small fakes of
 * real behaviour (STYLE.md 9). Implemented by cluster/node/node.ts.
 */
export interface NodeServices {
  /** Milliseconds since the epoch; one place so expiry tests can move time. */
  now(): number;
  readonly runId: string;
  readonly config: NodeConfig;
  readonly stats: NodeStats;
  readonly cluster: ClusterState;
  readonly bus: BusEngine;
  /** Write nodes.conf now if the cluster state changed (clusterSaveConfigOrDie). */
  saveClusterConfig(): void;
  clients(): ClientState[];
  killClient(id: number): boolean;
  commandTable(): CommandSpec[];
  info(sections: string[]): string;
  migrate(req: MigrateRequest): Promise<Reply>;
  /** PSYNC, REPLCONF, WAIT (cluster/replication); absent in command unit tests. */
  readonly replication?: ReplicationCommands;
}
