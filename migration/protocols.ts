import { MigrationError } from './errors.js';
import { type MigrationProtocol, PROTOCOLS, type ProtocolName } from './protocol.js';
import { proxyProtocol } from './proxy-protocol.js';
import { redisProtocol } from './redis-protocol.js';
import { sourceProtocol } from './source-protocol.js';
import { rocksteadyProtocol } from './rocksteady-protocol.js';

/**
 * The protocols that run on the cluster alone, so any client works during the move:
 * `redis` (MIGRATE + ASK), `source` (the source node forwards, source-protocol.ts),
 * `rocksteady` (the destination node pulls, rocksteady-protocol.ts) and `proxy` (the
 * proxy in front of the source routes, proxy/route/, proxy-protocol.ts). `fulva` needs a
 * cooperating client: the migration router in the client's process (fulva-protocol.ts),
 * which hands runMigration its own `protocolImpl`.
 */
const REGISTRY: Partial<Record<ProtocolName, MigrationProtocol>> = {
  redis: redisProtocol,
  source: sourceProtocol,
  rocksteady: rocksteadyProtocol,
  proxy: proxyProtocol,
};

/**
 * Whether `name` runs on the nodes (and their proxies) alone, so any client works
 * during the move; the others need the migration router in the client's process
 * (router.ts, fulva-protocol.ts).
 */
export function runsOnTheCluster(name: ProtocolName): boolean {
  return REGISTRY[name] !== undefined;
}

/** Throws BAD_PROTOCOL unless `name` is one of PROTOCOLS. */
export function checkProtocolName(name: string): asserts name is ProtocolName {
  if (!(PROTOCOLS as readonly string[]).includes(name)) throw new MigrationError('BAD_PROTOCOL', `protocol "${name}": one of ${PROTOCOLS.join(', ')}`);
}

/** The protocol that runs on the nodes alone (the controller's event), else BAD_PROTOCOL saying where it runs. */
export function protocolByName(name: string): MigrationProtocol {
  checkProtocolName(name);
  const p = REGISTRY[name];
  if (!p) {
    // Fulva's clients track the migrated ranges themselves: only a process that runs both
    // the load and the move can (the controller moves data its clients know nothing of).
    throw new MigrationError('BAD_PROTOCOL', `protocol "${name}" needs its clients to follow the move: run it with the load in one process ` +
      `(kvnetlab run migration, kvnetlab migration-table, npm run bench:migration); on the cluster alone: ${Object.keys(REGISTRY).join(', ')}`);
  }
  return p;
}
