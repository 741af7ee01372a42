import { ALL_COMMAND_FAMILIES } from '../../cluster/commands/index.js';
import { CommandRegistry } from '../../cluster/commands/registry.js';
import { commandKeys } from '../../cluster/node/routing.js';
import { bufferHashSlot } from '../../cluster/store/slot.js';

/**
 * The hash slot a command addresses: its first key's, by the node's own command table
 * (key positions as Redis' legacy key spec; in a cluster every key of one command is in
 * one slot, or the node answers CROSSSLOT). undefined for a command without keys, and for
 * one the table does not know (it goes to the node, which knows best).
 */
const registry = new CommandRegistry(ALL_COMMAND_FAMILIES);

export function commandSlot(args: Buffer[]): number | undefined {
  const spec = registry.lookup(args[0]!.toString('latin1'));
  if (!spec) return undefined;
  const keys = commandKeys(spec, args);
  return keys.length > 0 ? bufferHashSlot(keys[0]!) : undefined;
}
