import { MigrationError } from './errors.js';
import type { MigrationProtocol, ProtocolName } from './protocol.js';
import { redisProtocol } from './redis-protocol.js';

/** The protocols that run with the nodes alone; the others need a cooperating proxy or client. */
const REGISTRY: Partial<Record<ProtocolName, MigrationProtocol>> = {
  redis: redisProtocol,
};

export function protocolByName(name: ProtocolName): MigrationProtocol {
  const p = REGISTRY[name];
  if (!p) throw new MigrationError('BAD_PROTOCOL', `protocol "${name}" is not implemented yet (done: ${Object.keys(REGISTRY).join(', ')})`);
  return p;
}
