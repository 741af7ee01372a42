import { type Reply, OK, err } from '../resp/reply.js';
import type { CommandSpec } from '../commands/types.js';
import { parseInteger } from '../commands/subcommands.js';
import { NO_REPLY } from '../node/connection.js';
import { F } from '../topology/node-flags.js';
import type { Replication } from './replication.js';

/** The part of Replication its commands call (NodeServices.replication). */
export type ReplicationCommands = Pick<Replication, 'replconfSet' | 'psync' | 'wait' | 'ack'>;

const spec = (s: Omit<CommandSpec, 'firstKey' | 'lastKey' | 'step'>): CommandSpec => ({ firstKey: 0, lastKey: 0, step: 0, ...s });

/** REPLCONF <option> <value> ... (replication.c replconfCommand). */
function replconf(ctx: Parameters<CommandSpec['execute']>[0], args: Buffer[]): Reply {
  const repl = ctx.node.replication;
  if (!repl) return err('ERR replication is not available');
  if (args.length % 2 === 0) return err('ERR syntax error');
  for (let i = 1; i < args.length; i += 2) {
    const opt = args[i].toString('latin1').toLowerCase();
    const val = args[i + 1].toString('latin1');
    if (opt === 'listening-port') {
      const port = parseInteger(args[i + 1]);
      if (port === undefined) return err('ERR value is not an integer or out of range');
      repl.replconfSet(ctx.client.id, { listeningPort: port });
    } else if (opt === 'capa') {
      if (val.toLowerCase() === 'eof') repl.replconfSet(ctx.client.id, { capaEof: true });
      else if (val.toLowerCase() === 'psync2') repl.replconfSet(ctx.client.id, { capaPsync2: true });
      // Unknown capabilities are ignored, so that masters stay compatible with newer replicas.
    } else if (opt === 'ack') {
      // Replicas' offset reports: never answered (the master does not reply to its replicas).
      const off = parseInteger(args[i + 1]);
      if (off !== undefined) repl.ack(ctx.client.id, off);
      return NO_REPLY;
    } else if (opt === 'getack') {
      return NO_REPLY; // only meaningful from a master, on the replica's link (master-link.ts)
    } else if (opt === 'ip-address' || opt === 'rdb-only') {
      // accepted, not used: the master sees the replica's address on the connection
    } else {
      return err(`ERR Unrecognized REPLCONF option: ${args[i].toString('latin1')}`);
    }
  }
  return OK;
}

export const replicationCommands: CommandSpec[] = [
  spec({ name: 'replconf', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale'], execute: replconf }),
  spec({
    name: 'psync',
    arity: -3,
    flags: ['admin', 'noscript'],
    execute(ctx, args) {
      const repl = ctx.node.replication;
      if (!repl) return err('ERR replication is not available');
      const from = parseInteger(args[2]);
      if (from === undefined) return err('ERR value is not an integer or out of range');
      const r = repl.psync(ctx.client.id, ctx.client.addr, args[1].toString('latin1'), from);
      if (typeof r === 'string') return err(r);
      // The backlog or the snapshot follows the reply line, once the connection wrote it.
      queueMicrotask(r.after);
      return { t: 'status', v: r.reply };
    },
  }),
  spec({
    name: 'wait',
    arity: 3,
    flags: ['noscript'],
    execute(ctx, args) {
      const repl = ctx.node.replication;
      if (!repl) return err('ERR replication is not available');
      if (ctx.node.cluster.myself.flags & F.SLAVE) {
        return err(
          'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
        );
      }
      const n = parseInteger(args[1]);
      const timeout = parseInteger(args[2]);
      if (n === undefined || timeout === undefined) return err('ERR value is not an integer or out of range');
      if (timeout < 0) return err('ERR timeout is negative');
      return repl.wait(ctx.client.id, n, timeout);
    },
  }),
];
