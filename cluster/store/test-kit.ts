import { arityOk } from '../commands/registry.js';
import type { ClientState, CommandContext, CommandSpec } from '../commands/types.js';
import type { NodeServices } from '../node/services.js';
import { err, type Reply } from '../resp/reply.js';
import { Keyspace } from './keyspace.js';

/**
 * Test support for the command families: a real Keyspace, a movable clock and a small
 * client, and `call('SET', 'k', 'v')` that checks arity like the dispatcher and executes.
 */
export interface Harness {
  db: Keyspace;
  ctx: CommandContext;
  call(...args: Array<string | Buffer>): Reply;
  /** call() then plain(). */
  run(...args: Array<string | Buffer>): Plain;
  advance(ms: number): void;
  readonly now: number;
}

export type Plain = string | number | null | { err: string } | Plain[];

export const T0 = 1_700_000_000_000;

export function harness(...families: CommandSpec[][]): Harness {
  let t = T0;
  const db = new Keyspace();
  const client: ClientState = {
    id: 1,
    name: '',
    resp: 2,
    asking: false,
    readonly: false,
    addr: '127.0.0.1:50000',
    laddr: '127.0.0.1:7000',
    createdAt: T0,
    lastCommand: '',
    closeAfterReply: false,
  };
  // The data families only call now(); any other service is a test bug, so it throws.
  const fake: Record<string | symbol, unknown> = { now: () => t };
  const node = new Proxy(fake, {
    get(target, p) {
      if (p in target || typeof p === 'symbol') return target[p];
      throw new Error(`test-kit: NodeServices.${p} is not faked`);
    },
  }) as unknown as NodeServices;
  const ctx: CommandContext = { client, db, node };
  const table = new Map(families.flat().map((s) => [s.name, s]));
  const call = (...args: Array<string | Buffer>): Reply => {
    const spec = table.get(String(args[0]).toLowerCase());
    if (!spec) throw new Error(`no command ${String(args[0])}`);
    const bufs = args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
    if (!arityOk(spec, bufs.length)) return err(`ERR wrong number of arguments for '${spec.name}' command`);
    const r = spec.execute(ctx, bufs);
    if (r instanceof Promise) throw new Error('unexpected async command');
    return r;
  };
  return {
    db,
    ctx,
    call,
    run: (...args) => plain(call(...args)),
    advance: (ms) => {
      t += ms;
    },
    get now() {
      return t;
    },
  };
}

/**
 * A reply as plain values: bulk -> latin1 string or null, status -> its text, int and
 * double -> number, error -> { err }, array -> array, map -> flat array (its RESP2 form).
 */
export function plain(r: Reply): Plain {
  switch (r.t) {
    case 'status':
      return r.v;
    case 'error':
      return { err: r.v };
    case 'int':
    case 'double':
      return r.v;
    case 'bulk':
      return r.v === null ? null : r.v.toString('latin1');
    case 'array':
      return r.v === null ? null : r.v.map(plain);
    case 'map':
      return r.v.flatMap(([k, v]) => [plain(k), plain(v)]);
  }
}
