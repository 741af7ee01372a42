import { type Reply, OK, PONG, array, bulk, bulks, err, int, map, status } from '../resp/reply.js';
import type { CommandContext, CommandSpec } from './types.js';
import { type Subcommand, dispatchSubcommand, parseInteger } from './subcommands.js';
import { CONFIG_OPTIONS, configPatternToRegex } from '../node/config.js';
import { F } from '../topology/node-flags.js';

/**
 * Connection and server commands: PING, ECHO, SELECT, QUIT, HELLO, TIME, INFO,
 * COMMAND, CLIENT, CONFIG. Replies follow Redis 7.0 (server.c, networking.c, config.c).
 */

const spec = (s: Omit<CommandSpec, 'firstKey' | 'lastKey' | 'step'>): CommandSpec => ({ firstKey: 0, lastKey: 0, step: 0, ...s });

function clientInfoLine(ctx: CommandContext, c: CommandContext['client']): string {
  const now = ctx.node.now();
  return [
    `id=${c.id}`,
    `addr=${c.addr}`,
    `laddr=${c.laddr}`,
    `fd=0`,
    `name=${c.name}`,
    `age=${Math.floor((now - c.createdAt) / 1000)}`,
    `idle=0`,
    `flags=${c.readonly ? 'r' : 'N'}`,
    `db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r`,
    `cmd=${c.lastCommand || 'NULL'}`,
    `user=default redir=-1 resp=${c.resp}`,
  ].join(' ');
}

const clientTable: Record<string, Subcommand> = {
  id: { arity: 2, execute: (ctx) => int(ctx.client.id) },
  getname: { arity: 2, execute: (ctx) => bulk(ctx.client.name === '' ? null : ctx.client.name) },
  setname: {
    arity: 3,
    execute(ctx, args) {
      const name = args[2].toString('latin1');
      // networking.c clientSetName: no spaces, newlines or other special characters.
      if (/[^\x21-\x7e]/.test(name)) return err('ERR Client names cannot contain spaces, newlines or special characters.');
      ctx.client.name = name;
      return OK;
    },
  },
  list: {
    arity: -2,
    execute: (ctx) => bulk(ctx.node.clients().map((c) => clientInfoLine(ctx, c) + '\n').join('')),
  },
  info: { arity: 2, execute: (ctx) => bulk(clientInfoLine(ctx, ctx.client) + '\n') },
  kill: {
    arity: -3,
    execute(ctx, args) {
      // Only the `ID n` form: what tests and the controller use.
      if (args.length === 4 && args[2].toString().toLowerCase() === 'id') {
        const id = parseInteger(args[3]);
        if (id === undefined) return err('ERR client-id should be greater than 0');
        return int(ctx.node.killClient(id) ? 1 : 0);
      }
      return err('ERR syntax error');
    },
  },
  // Sent by newer clients; accepted and ignored like Redis 7.2 does for unknown attributes.
  setinfo: { arity: 4, execute: () => OK },
  reply: { arity: 3, execute: () => OK },
};

const configTable: Record<string, Subcommand> = {
  get: {
    arity: -3,
    execute(ctx, args) {
      const pairs: Array<[Reply, Reply]> = [];
      const seen = new Set<string>();
      for (const pattern of args.slice(2)) {
        const re = configPatternToRegex(pattern.toString('latin1'));
        for (const [name, opt] of Object.entries(CONFIG_OPTIONS)) {
          if (re.test(name) && !seen.has(name)) {
            seen.add(name);
            pairs.push([bulk(name), bulk(opt.get(ctx.node.config))]);
          }
        }
      }
      return map(pairs);
    },
  },
  set: {
    arity: -4,
    execute(ctx, args) {
      if (args.length % 2 !== 0) return err("ERR wrong number of arguments for 'config|set' command");
      for (let i = 2; i < args.length; i += 2) {
        const name = args[i].toString('latin1').toLowerCase();
        const opt = CONFIG_OPTIONS[name];
        if (!opt) return err(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
        if (!opt.set) return err(`ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`);
        try {
          opt.set(ctx.node.config, args[i + 1].toString('latin1'));
          // Announced address changes show in CLUSTER NODES/SLOTS too, not only in bus
          // headers (config.c updateClusterAnnouncedPort).
          const me = ctx.node.cluster.myself;
          me.ip = ctx.node.config.announceHost;
          me.port = ctx.node.config.announcePort;
          me.cport = ctx.node.config.announceBusPort;
          ctx.node.cluster.dirty = true;
          ctx.node.saveClusterConfig();
        } catch (e) {
          return err(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${(e as Error).message}`);
        }
      }
      return OK;
    },
  },
  resetstat: {
    arity: 2,
    execute(ctx) {
      ctx.node.stats.reset();
      return OK;
    },
  },
  rewrite: { arity: 2, execute: () => err('ERR The server is running without a config file') },
};

/** COMMAND's 10-element rows (Redis 7): name, arity, flags, first, last, step, acl, tips, key specs, subcommands. */
function commandRow(c: CommandSpec): Reply {
  return array([
    bulk(c.name),
    int(c.arity),
    array(c.flags.map(status)),
    int(c.firstKey),
    int(c.lastKey),
    int(c.step),
    array([]),
    array([]),
    array([]),
    array([]),
  ]);
}

const commandTable: Record<string, Subcommand> = {
  count: { arity: 2, execute: (ctx) => int(ctx.node.commandTable().length) },
  info: {
    arity: -2,
    execute(ctx, args) {
      const all = ctx.node.commandTable();
      if (args.length === 2) return array(all.map(commandRow));
      return array(args.slice(2).map((a) => {
        const found = all.find((c) => c.name === a.toString('latin1').toLowerCase());
        return found ? commandRow(found) : { t: 'array', v: null } as Reply;
      }));
    },
  },
  // redis-cli asks for docs to build its hints; an empty map per command is valid.
  docs: {
    arity: -2,
    execute(ctx, args) {
      const names = args.length > 2 ? args.slice(2).map((a) => a.toString('latin1').toLowerCase()) : ctx.node.commandTable().map((c) => c.name);
      return map(names.filter((n) => ctx.node.commandTable().some((c) => c.name === n)).map((n) => [bulk(n), map([])]));
    },
  },
  list: { arity: -2, execute: (ctx) => bulks(ctx.node.commandTable().map((c) => c.name)) },
  getkeys: { arity: -3, execute: () => err('ERR Invalid command specified') },
};

export const serverCommands: CommandSpec[] = [
  spec({
    name: 'ping',
    arity: -1,
    flags: ['fast', 'stale', 'loading'],
    execute(_ctx, args) {
      if (args.length > 2) return err("ERR wrong number of arguments for 'ping' command");
      return args.length === 2 ? bulk(args[1]) : PONG;
    },
  }),
  spec({ name: 'echo', arity: 2, flags: ['fast'], execute: (_ctx, args) => bulk(args[1]) }),
  spec({
    name: 'select',
    arity: 2,
    flags: ['fast', 'loading', 'stale'],
    execute(_ctx, args) {
      const db = parseInteger(args[1]);
      if (db === undefined) return err('ERR value is not an integer or out of range');
      // Cluster mode has one database (server.c selectCommand).
      return db === 0 ? OK : err('ERR SELECT is not allowed in cluster mode');
    },
  }),
  spec({
    name: 'quit',
    arity: -1,
    flags: ['fast', 'loading', 'stale'],
    execute(ctx) {
      ctx.client.closeAfterReply = true;
      return OK;
    },
  }),
  spec({
    name: 'hello',
    arity: -1,
    flags: ['fast', 'loading', 'stale'],
    execute(ctx, args) {
      let i = 1;
      if (args.length > 1) {
        const ver = parseInteger(args[1]);
        if (ver === undefined) return err('ERR Protocol version is not an integer or out of range');
        if (ver !== 2 && ver !== 3) return err('NOPROTO unsupported protocol version');
        ctx.client.resp = ver;
        i = 2;
      }
      for (; i < args.length; i++) {
        const opt = args[i].toString('latin1').toLowerCase();
        if (opt === 'setname' && i + 1 < args.length) ctx.client.name = args[++i].toString('latin1');
        else if (opt === 'auth' && i + 2 < args.length) i += 2;
        else return err(`ERR Syntax error in HELLO option '${args[i]}'`);
      }
      const me = ctx.node.cluster.myself;
      return map([
        [bulk('server'), bulk('redis')],
        [bulk('version'), bulk('7.0.15')],
        [bulk('proto'), int(ctx.client.resp)],
        [bulk('id'), int(ctx.client.id)],
        [bulk('mode'), bulk('cluster')],
        [bulk('role'), bulk(me.flags & F.SLAVE ? 'replica' : 'master')],
        [bulk('modules'), array([])],
      ]);
    },
  }),
  spec({
    name: 'time',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    execute() {
      const us = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
      return bulks([String(us / 1_000_000n), String(us % 1_000_000n)]);
    },
  }),
  spec({
    name: 'info',
    arity: -1,
    flags: ['loading', 'stale'],
    execute: (ctx, args) => bulk(ctx.node.info(args.slice(1).map((a) => a.toString('latin1').toLowerCase()))),
  }),
  spec({
    name: 'command',
    arity: -1,
    flags: ['loading', 'stale'],
    execute(ctx, args) {
      if (args.length === 1) return array(ctx.node.commandTable().map(commandRow));
      return dispatchSubcommand('command', commandTable, ctx, args);
    },
  }),
  spec({ name: 'client', arity: -2, flags: ['admin', 'loading', 'stale'], execute: (ctx, args) => dispatchSubcommand('client', clientTable, ctx, args) }),
  spec({ name: 'config', arity: -2, flags: ['admin', 'loading', 'stale'], execute: (ctx, args) => dispatchSubcommand('config', configTable, ctx, args) }),
];
