import { type Reply, err } from '../resp/reply.js';
import type { CommandContext } from './types.js';

/** One subcommand of a container command (CLUSTER, CLIENT, CONFIG, COMMAND). */
export interface Subcommand {
  /** Arity counted like Redis 7 does for subcommands: including the container name. */
  arity: number;
  execute(ctx: CommandContext, args: Buffer[]): Reply | Promise<Reply>;
}

/**
 * Dispatch on args[1] with Redis 7's error texts:
 *   ERR unknown subcommand 'x'. Try CLUSTER HELP.
 *   ERR wrong number of arguments for 'cluster|meet' command
 */
export function dispatchSubcommand(
  container: string,
  table: Record<string, Subcommand>,
  ctx: CommandContext,
  args: Buffer[],
): Reply | Promise<Reply> {
  const raw = args[1].toString('latin1');
  const name = raw.toLowerCase();
  const sub = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  if (!sub) return err(`ERR unknown subcommand '${raw.slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`);
  const ok = sub.arity > 0 ? args.length === sub.arity : args.length >= -sub.arity;
  if (!ok) return err(`ERR wrong number of arguments for '${container}|${name}' command`);
  return sub.execute(ctx, args);
}

/** Parse a non-negative integer argument the way Redis' getLongLongFromObject does, or undefined. */
export function parseInteger(arg: Buffer): number | undefined {
  const s = arg.toString('latin1');
  if (!/^-?\d{1,18}$/.test(s)) return undefined;
  return Number(s);
}
