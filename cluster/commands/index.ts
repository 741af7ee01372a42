import type { CommandSpec } from './types.js';
import { clusterCommands } from './cluster.js';
import { hashCommands } from './hashes.js';
import { keyCommands } from './keys.js';
import { migrateCommands } from './migrate.js';
import { migrateOutCommands } from './migrate-out.js';
import { kvnetlabMigrationCommands } from './kvnetlab-migration.js';
import { setSlotsCommands } from './setslots.js';
import { restoreManyCommands } from './restore-many.js';
import { persistenceCommands } from './persistence.js';
import { serverCommands } from './server.js';
import { stringCommands } from './strings.js';
import { zsetCommands } from './zsets.js';
import { patchCommands } from './patch.js';
import { replicationCommands } from '../replication/commands.js';

/** Every command family of a node; the registry is built from this list. */
export const ALL_COMMAND_FAMILIES: ReadonlyArray<ReadonlyArray<CommandSpec>> = [
  serverCommands,
  clusterCommands,
  migrateCommands,
  migrateOutCommands,
  kvnetlabMigrationCommands,
  setSlotsCommands,
  restoreManyCommands,
  stringCommands,
  hashCommands,
  zsetCommands,
  keyCommands,
  replicationCommands,
  persistenceCommands,
  patchCommands,
];
