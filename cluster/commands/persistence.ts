import { err, int, OK, status, type Reply } from '../resp/reply.js';
import { SnapshotError } from '../persistence/errors.js';
import type { CommandContext, CommandSpec } from './types.js';
import type { ShutdownOptions } from '../node/services.js';

/**
 * SAVE, BGSAVE, LASTSAVE, SHUTDOWN (rdb.c saveCommand / bgsaveCommand, db.c
 * lastsaveCommand, server.c shutdownCommand in Redis 7.0). The work is in
 * cluster/persistence/saver.ts; these turn it into Redis' replies.
 */

const IN_PROGRESS = 'ERR Background save already in progress';
const SYNTAX = 'ERR syntax error';

const spec = (s: Omit<CommandSpec, 'firstKey' | 'lastKey' | 'step'>): CommandSpec => ({ firstKey: 0, lastKey: 0, step: 0, ...s });

function save(ctx: CommandContext): Reply {
  if (ctx.node.saver.status === 'bgsaving') return err(IN_PROGRESS);
  try {
    ctx.node.saver.save();
    return OK;
  } catch (e) {
    if (e instanceof SnapshotError) return err('ERR'); // shared.err: the reason goes to the log
    throw e;
  }
}

function bgsave(ctx: CommandContext, args: Buffer[]): Reply {
  // BGSAVE SCHEDULE only matters when another child (AOF) is running, which never happens here.
  if (args.length > 2 || (args.length === 2 && args[1].toString('latin1').toLowerCase() !== 'schedule')) return err(SYNTAX);
  try {
    return ctx.node.saver.bgsave() ? status('Background saving started') : err(IN_PROGRESS);
  } catch (e) {
    if (e instanceof SnapshotError) return err('ERR');
    throw e;
  }
}

async function shutdown(ctx: CommandContext, args: Buffer[]): Promise<Reply> {
  const o: ShutdownOptions = {};
  let abort = false;
  for (const a of args.slice(1)) {
    const w = a.toString('latin1').toLowerCase();
    if (w === 'nosave' && o.save === undefined) o.save = false;
    else if (w === 'save' && o.save === undefined) o.save = true;
    else if (w === 'now') continue;
    else if (w === 'force') o.force = true;
    else if (w === 'abort') abort = true;
    else return err(SYNTAX);
  }
  if (abort) return args.length === 2 ? err('ERR No shutdown in progress.') : err(SYNTAX);
  const failure = await ctx.node.shutdown(o);
  // Success closes every connection without a reply, as Redis exits without one.
  return failure !== undefined ? err(failure) : new Promise<Reply>(() => undefined);
}

export const persistenceCommands: CommandSpec[] = [
  spec({ name: 'save', arity: 1, flags: ['admin', 'noscript'], execute: save }),
  spec({ name: 'bgsave', arity: -1, flags: ['admin', 'noscript'], execute: bgsave }),
  spec({ name: 'lastsave', arity: 1, flags: ['random', 'fast', 'loading', 'stale'], execute: (ctx) => int(ctx.node.saver.lastSave) }),
  spec({ name: 'shutdown', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale'], execute: shutdown }),
];
