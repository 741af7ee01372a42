import { type Reply, err } from '../resp/reply.js';
import type { CommandSpec } from './types.js';
import { parseInteger } from './subcommands.js';
import type { MigrateRequest } from '../node/services.js';

/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS k ...]
 * (cluster.c migrateCommand). Parsing only; moving the keys is the node's job
 * (node/migrate.ts), because it owns the connections to other nodes.
 */
export function parseMigrate(args: Buffer[]): MigrateRequest | Reply {
  let copy = false;
  let replace = false;
  let auth: MigrateRequest['auth'];
  let keys: string[] | undefined;
  for (let i = 6; i < args.length; i++) {
    const opt = args[i].toString('latin1').toLowerCase();
    const more = args.length - i - 1;
    if (opt === 'copy') copy = true;
    else if (opt === 'replace') replace = true;
    else if (opt === 'auth' && more >= 1) auth = { password: args[++i].toString('latin1') };
    else if (opt === 'auth2' && more >= 2) auth = { user: args[++i].toString('latin1'), password: args[++i].toString('latin1') };
    else if (opt === 'keys') {
      if (args[3].length !== 0) {
        return err('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
      }
      keys = args.slice(i + 1).map((k) => k.toString('latin1'));
      break;
    } else return err('ERR syntax error');
  }
  const port = parseInteger(args[2]);
  const db = parseInteger(args[4]);
  const timeout = parseInteger(args[5]);
  if (port === undefined || db === undefined || timeout === undefined) return err('ERR value is not an integer or out of range');
  if (db !== 0) return err('ERR Target database must be 0 in cluster mode');
  return {
    host: args[1].toString('latin1'),
    port,
    keys: keys ?? [args[3].toString('latin1')],
    timeoutMs: timeout <= 0 ? 1000 : timeout,
    copy,
    replace,
    auth,
  };
}

export const migrateCommands: CommandSpec[] = [
  {
    name: 'migrate',
    arity: -6,
    flags: ['write'],
    firstKey: 3,
    lastKey: 3,
    step: 1,
    keys(args) {
      const k = args.findIndex((a, i) => i >= 6 && a.toString('latin1').toLowerCase() === 'keys');
      if (k >= 0) return args.slice(k + 1);
      return args[3] && args[3].length > 0 ? [args[3]] : [];
    },
    execute(ctx, args) {
      const req = parseMigrate(args);
      if ('t' in req) return req;
      return ctx.node.migrate(req);
    },
  },
];
