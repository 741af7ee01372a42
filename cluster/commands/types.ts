import type { Reply } from '../resp/reply.js';

/**
 * Command flags, the subset of Redis' `COMMAND` flags we use (see commands.def in Redis 7.0).
 * `write` commands are refused on replicas; `admin` ones are never redirected;
 * `nokeys`-less commands go through slot checks in the dispatcher.
 */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'random'
  | 'loading'
  | 'stale'
  | 'fast'
  | 'no_auth'
  | 'may_replicate';

/**
 * One command, as a row of the command table (STYLE.md 6). The dispatcher looks the
 * name up, checks arity the way Redis does (positive: exact, negative: at least),
 * computes key slots from firstKey/lastKey/step (or `keys()` when positions vary, as for
 * MIGRATE), redirects if needed, then calls `execute`.
 *
 * A command file exports an array of these; the registry is built from those arrays,
 * and a live patch replaces entries of it.
 */
export interface CommandSpec {
  /** Lower-case name, e.g. `get`. For subcommand families (CLUSTER, CLIENT, CONFIG) the container name. */
  name: string;
  /** Redis arity: N means exactly N arguments including the name, -N means at least N. */
  arity: number;
  flags: CommandFlag[];
  /** 1-based index of the first key argument, 0 when the command has no keys. */
  firstKey: number;
  /** Index of the last key; -1 means the last argument. */
  lastKey: number;
  step: number;
  /** Keys when their position depends on the arguments (MIGRATE ... KEYS k1 k2). Overrides the positions. */
  keys?: (args: Buffer[]) => Buffer[];
  execute(ctx: CommandContext, args: Buffer[]): Reply | Promise<Reply>;
}

/** Per-connection state a command may read or change. */
export interface ClientState {
  readonly id: number;
  name: string;
  /** RESP protocol version chosen with HELLO (2 or 3). */
  resp: 2 | 3;
  /** Set by ASKING, cleared after the next command (cluster.c: CLIENT_ASKING). */
  asking: boolean;
  /** Set by READONLY: reads on a replica are served locally for the master's slots. */
  readonly: boolean;
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt: number;
  lastCommand: string;
  /** Asks the connection to close after this reply is written (QUIT). */
  closeAfterReply: boolean;
}

/**
 * What a command sees. Each field is a narrow service; commands take what they need
 * and nothing else (STYLE.md 9). The concrete types live with their owners.
 */
export interface CommandContext {
  client: ClientState;
  db: import('../store/keyspace.js').Keyspace;
  node: import('../node/services.js').NodeServices;
}
