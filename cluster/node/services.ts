import type { Reply } from '../resp/reply.js';
import type { ClientState, CommandSpec } from '../commands/types.js';
import type { ClusterState } from '../topology/state.js';
import type { BusEngine } from '../topology/bus-engine.js';
import type { NodeConfig } from './config.js';
import type { NodeStats } from './stats.js';
import type { ReplicationCommands } from '../replication/commands.js';
import type { Saver } from '../persistence/saver.js';
import type { LoadMethod } from '../patch/manager.js';
import type { PatchRecord } from '../patch/record.js';
import type { MigrateOut } from './migrate-out.js';
import type { RocksteadySource } from './rocksteady-source.js';
import type { RocksteadyDest } from './rocksteady-dest.js';

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
  /** SAVE, BGSAVE, LASTSAVE and INFO persistence (cluster/persistence/saver.ts). */
  readonly saver: Saver;
  /** PATCH LOAD / LIST (cluster/patch); absent when the node runs with --no-patch-support. */
  readonly patches?: { register(bundle: Buffer, method: LoadMethod): Promise<PatchRecord>; list(): PatchRecord[] };
  /** KVNETLAB.MIGRATE-OUT: source-based migration out of this node (node/migrate-out.ts); absent in command unit tests. */
  readonly migrateOut?: MigrateOut;
  /** The KVNETLAB.MIGRATE-IN/-OUT and PULL commands (Rocksteady); absent in command unit tests. */
  readonly rocksteady?: { source: RocksteadySource; dest: RocksteadyDest };
  /**
   * SHUTDOWN: save when `save` says so (undefined: when snapshots are on, like Redis
   * with save points), stop, end the process. Resolves with an error text only when
   * it cannot go on (the save failed and `force` is not set); otherwise never returns.
   */
  shutdown(opts: ShutdownOptions): Promise<string | undefined>;
}

/** SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]; NOW changes nothing here (no replicas to wait for yet). */
export interface ShutdownOptions {
  save?: boolean;
  force?: boolean;
}
