import { bufferHashSlot } from '../store/slot.js';
import type { CommandSpec, ClientState } from '../commands/types.js';
import type { ClusterState } from '../topology/state.js';
import { F } from '../topology/node-flags.js';
import { type Reply, err } from '../resp/reply.js';

/** The key arguments of a command, from its table row (Redis' legacy key spec). */
export function commandKeys(spec: CommandSpec, args: Buffer[]): Buffer[] {
  if (spec.keys) return spec.keys(args);
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? args.length + spec.lastKey : spec.lastKey;
  const keys: Buffer[] = [];
  for (let i = spec.firstKey; i <= last && i < args.length; i += spec.step) keys.push(args[i]);
  return keys;
}


/**
 * Decides whether this node serves a command or answers with a redirection, following
 * cluster.c getNodeByQuery in Redis 7.0. Returns null to serve locally, or the error
 * reply with Redis' exact wording:
 *   -MOVED <slot> <ip>:<port>, -ASK <slot> <ip>:<port>,
 *   -CROSSSLOT Keys in request don't hash to the same slot,
 *   -TRYAGAIN Multiple keys request during rehashing of slot,
 *   -CLUSTERDOWN Hash slot not served, -CLUSTERDOWN The cluster is down.
 */
export function routeCommand(
  state: ClusterState,
  spec: CommandSpec,
  args: Buffer[],
  client: ClientState,
  keyExists: (key: Buffer) => boolean,
): Reply | null {
  const keys = commandKeys(spec, args);
  if (keys.length === 0) return null;

  let slot = -1;
  let owner = null;
  let migrating = false;
  let importing = false;
  let missing = 0;
  let existing = 0;
  let multipleKeys = false;
  for (const key of keys) {
    const s = bufferHashSlot(key);
    if (slot < 0) {
      slot = s;
      owner = state.slots[s];
      if (!owner) return err('CLUSTERDOWN Hash slot not served');
      if (owner === state.myself && state.migrating.has(s)) migrating = true;
      else if (state.importing.has(s)) importing = true;
    } else {
      if (s !== slot) return err("CROSSSLOT Keys in request don't hash to the same slot");
      if (!multipleKeys && !key.equals(keys[0])) multipleKeys = true;
    }
    if (migrating || importing) {
      if (keyExists(key)) existing++;
      else missing++;
    }
  }

  if (state.health !== 'ok') return err('CLUSTERDOWN The cluster is down');

  const isWrite = spec.flags.includes('write');
  // MIGRATE always runs locally when the slot is open: it moves what is here (cluster.c).
  if ((migrating || importing) && spec.name === 'migrate') return null;
  if (migrating && missing > 0) {
    // Some keys moved, some not: the client must retry once the move is done.
    if (existing > 0) return err('TRYAGAIN Multiple keys request during rehashing of slot');
    const target = state.lookup(state.migrating.get(slot)!);
    if (target) return err(`ASK ${slot} ${target.ip}:${target.port}`);
  }
  if (importing && (client.asking || spec.name === 'restore-asking')) {
    if (multipleKeys && missing > 0) return err('TRYAGAIN Multiple keys request during rehashing of slot');
    return null;
  }
  const me = state.myself;
  // READONLY clients read from a replica of the slot's master (cluster.c, CLIENT_READONLY).
  if (!isWrite && client.readonly && me.flags & F.SLAVE && me.slaveof === owner!.name) return null;
  if (owner !== me) return err(`MOVED ${slot} ${owner!.ip}:${owner!.port}`);
  return null;
}
