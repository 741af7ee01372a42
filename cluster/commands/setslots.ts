import { err } from '../resp/reply.js';
import { setSlots } from './cluster.js';
import { parseSlotTokens } from './kvnetlab-migration.js';
import type { CommandSpec } from './types.js';

/**
 * KVNETLAB.SETSLOTS: CLUSTER SETSLOT for a list of slots in one command (kvnetlab only).
 *
 *   KVNETLAB.SETSLOTS IMPORTING|MIGRATING|NODE <node-id> <slot|a-b> ...
 *   KVNETLAB.SETSLOTS STABLE <slot|a-b> ...
 *
 * Same checks and effects as CLUSTER SETSLOT per slot (cluster.ts setSlots), all slots
 * checked before any changes, one nodes.conf save, and for NODE after an import one
 * epoch bump and one PONG. Why: a migration of a range opened and closed slot by slot
 * sends one command per slot (about 90 bytes and a nodes.conf save each), which is most
 * of a lean protocol's control traffic and of source-based migration's pause.
 * migration/ uses it on kvnetlab nodes and CLUSTER SETSLOT on Redis.
 */
export const setSlotsCommands: CommandSpec[] = [
  {
    name: 'kvnetlab.setslots',
    arity: -3,
    flags: ['admin', 'noscript'],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    execute(ctx, args) {
      const action = args[1]!.toString('latin1').toLowerCase();
      const withNode = action === 'importing' || action === 'migrating' || action === 'node';
      if (!withNode && action !== 'stable') return err('ERR KVNETLAB.SETSLOTS IMPORTING|MIGRATING|NODE <node-id> <slots...> | STABLE <slots...>');
      const first = withNode ? 3 : 2;
      if (args.length <= first) return err('ERR syntax error');
      const slots = parseSlotTokens(args.slice(first));
      if (!Array.isArray(slots)) return slots;
      return setSlots(ctx, slots, action, withNode ? args[2] : undefined);
    },
  },
];
