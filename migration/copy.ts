import { formatSlotTokens, parseSlotTokens } from '../cluster/store/slot-tokens.js';
import { parseClusterNodes } from '../controller/cluster.js';
import type { MigrationContext } from './protocol.js';
import { MigrationError } from './errors.js';
import { type NodeLink, bulkList } from './node-link.js';

/**
 * Copies every key of `slot` from the source to the destination without moving it:
 * MIGRATE ... COPY KEYS (cluster.c migrateCommand with COPY: the source keeps its keys;
 * RESTORE-ASKING without REPLACE: a key the destination already has, because a client
 * wrote it there since, is refused with BUSYKEY and keeps the newer value). The
 * destination must be IMPORTING the slot. Returns the keys sent (dropSourceCopies reuses
 * the list instead of asking for it again: key names are migration bytes too).
 */
export async function copySlot(ctx: MigrationContext, slot: number): Promise<Buffer[]> {
  const { source, dest } = ctx;
  const keys = bulkList(await source.call(['CLUSTER', 'GETKEYSINSLOT', slot, ALL_KEYS]));
  for (let i = 0; i < keys.length; i += ctx.batchKeys) {
    const batch = keys.slice(i, i + ctx.batchKeys);
    try {
      await source.call(['MIGRATE', dest.ep.host, dest.ep.port, '', 0, ctx.timeoutMs, 'COPY', 'KEYS', ...batch]);
    } catch (e) {
      // BUSYKEY: the destination has a newer value (written there during the move). Any other error stops.
      if (!(e instanceof MigrationError && e.code === 'STEP_FAILED' && e.message.includes('BUSYKEY'))) throw e;
    }
    ctx.tally.batches++;
  }
  ctx.tally.keys += keys.length;
  return keys;
}

/** GETKEYSINSLOT's count: every key of the slot (Redis allocates only what the slot holds). */
const ALL_KEYS = 1_000_000;

/**
 * Deletes the source's copies of `slot` (every client reaches the destination for it by
 * now): the keys copied, then whatever else the slot still holds (source-based: keys
 * created at the source during the copy; they were forwarded).
 */
export async function dropSourceCopies(ctx: MigrationContext, slot: number, copied: Buffer[] = [], sweep = true): Promise<void> {
  for (let i = 0; i < copied.length; i += 1000) await ctx.source.call(['DEL', ...copied.slice(i, i + 1000)]);
  // Without a sweep when no client wrote to the source since the copy (the caller knows).
  while (sweep) {
    const keys = bulkList(await ctx.source.call(['CLUSTER', 'GETKEYSINSLOT', slot, 1000]));
    if (keys.length === 0) return;
    await ctx.source.call(['DEL', ...keys]);
  }
}

/** dest: SETSLOT IMPORTING for every slot of the move (RESTORE-ASKING and ASKING clients are served there). */
export async function openImport(ctx: MigrationContext): Promise<void> {
  await setSlotsOn(ctx.dest, ctx.groups.slots(), 'IMPORTING', ctx.source.ep.id);
}

/**
 * CLUSTER SETSLOT <slot> <action> [node] for many slots: one KVNETLAB.SETSLOTS on a
 * kvnetlab node (one command, one nodes.conf save: cluster/commands/setslots.ts), else
 * CLUSTER SETSLOT per slot, 32 at a time (Redis: each rewrites nodes.conf). Whether the
 * node has it is learned from its first answer and remembered per link.
 */
export async function setSlotsOn(node: NodeLink, slots: number[], action: 'IMPORTING' | 'MIGRATING' | 'NODE' | 'STABLE', nodeId?: string): Promise<void> {
  if (slots.length === 0) return;
  const target = nodeId === undefined ? [] : [nodeId];
  if (bulkSetSlots.get(node) !== false) {
    try {
      await node.call(['KVNETLAB.SETSLOTS', action, ...target, ...formatSlotTokens(slots)]);
      bulkSetSlots.set(node, true);
      return;
    } catch (e) {
      if (!(e instanceof MigrationError && /unknown command/i.test(e.message))) throw e;
      bulkSetSlots.set(node, false);
    }
  }
  for (let i = 0; i < slots.length; i += 32) {
    await Promise.all(slots.slice(i, i + 32).map((slot) => node.call(['CLUSTER', 'SETSLOT', slot, action, ...target])));
  }
}

const bulkSetSlots = new WeakMap<NodeLink, boolean>();

/**
 * The other masters learn the new owner of `slots` (`owner`, default the destination),
 * as redis-cli tells them too; the bus would in time. A master that is down learns it
 * from the bus when it is back: its failure is logged, not thrown.
 */
export async function tellOtherMasters(ctx: MigrationContext, slots: number[], owner = ctx.dest.ep.id): Promise<void> {
  for (const o of ctx.others) {
    await setSlotsOn(o, slots, 'NODE', owner).catch((e: Error) => ctx.log(`SETSLOTS NODE on ${o.ep.port}: ${e.message}`));
  }
}

/** The destination's keys of a slot it imports (ASKING: it does not own the slot). */
export async function dropPartialCopy(dest: NodeLink, slot: number): Promise<void> {
  for (;;) {
    const keys = bulkList(await dest.call(['CLUSTER', 'GETKEYSINSLOT', slot, 1000]));
    if (keys.length === 0) return;
    await dest.call(['ASKING']);
    await dest.call(['DEL', ...keys]);
  }
}

/**
 * The slots `node` serves itself, as its CLUSTER NODES says (open `[..]` markers left out),
 * or undefined when it does not answer. An abort asks the destination this: a claim whose
 * reply was lost (a timeout, a dropped link) is still a claim.
 */
export async function slotsServedBy(node: NodeLink): Promise<Set<number> | undefined> {
  let text: string;
  try {
    const r = await node.call(['CLUSTER', 'NODES']);
    text = r.t === 'bulk' && r.v ? r.v.toString() : '';
  } catch {
    return undefined;
  }
  const me = parseClusterNodes(text).find((l) => l.flags.includes('myself'));
  return new Set(parseSlotTokens((me?.slots ?? []).filter((t) => !t.startsWith('['))) ?? []);
}
