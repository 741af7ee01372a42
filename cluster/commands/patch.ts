import { type Reply, array, bulk, err, int, map } from '../resp/reply.js';
import type { PatchRecord } from '../patch/record.js';
import { dispatchSubcommand } from './subcommands.js';
import type { CommandContext, CommandSpec } from './types.js';

/**
 * PATCH LOAD <bundle> [PUSH|PULL]  register a signed bundle on this node (cluster/patch):
 *   PUSH sends it to every patch peer at once, PULL lets peers fetch it when they see
 *   it in our ping extension. Replies the version's record once applied or refused.
 * PATCH LIST                        one record per version this node knows.
 * Records are maps (flat arrays in RESP2, like CLUSTER SHARDS / XINFO):
 *   version, id, state, via, from, bytes, registered_ms, received_ms, applied_ms,
 *   refusal (code, or ""), message
 */
function recordReply(r: PatchRecord): Reply {
  const kv: Array<[string, Reply]> = [
    ['version', int(r.version)],
    ['id', bulk(r.id)],
    ['state', bulk(r.state)],
    ['via', bulk(r.via)],
    ['from', bulk(r.from)],
    ['bytes', int(r.bytes)],
    ['registered_ms', int(r.registeredMs)],
    ['received_ms', int(r.receivedMs)],
    ['applied_ms', int(r.appliedMs)],
    ['refusal', bulk(r.refusal?.code ?? '')],
    ['message', bulk(r.refusal?.message ?? '')],
  ];
  return map(kv.map(([k, v]) => [bulk(k), v]));
}

function service(ctx: CommandContext) {
  return ctx.node.patches;
}

const NO_SUPPORT = err('ERR NO_SUPPORT live patching is off on this node (--no-patch-support)');

export const patchCommands: CommandSpec[] = [
  {
    name: 'patch',
    arity: -2,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    execute: (ctx, args) =>
      dispatchSubcommand('patch', {
        load: {
          arity: -3,
          execute: async (c, a) => {
            const p = service(c);
            if (!p) return NO_SUPPORT;
            if (a.length > 4) return err('ERR syntax error');
            const method = (a[3]?.toString('latin1') ?? 'push').toLowerCase();
            if (method !== 'push' && method !== 'pull') return err('ERR syntax error, method is PUSH or PULL');
            return recordReply(await p.register(a[2], method));
          },
        },
        list: {
          arity: 2,
          execute: (c) => {
            const p = service(c);
            if (!p) return NO_SUPPORT;
            return array(p.list().map(recordReply));
          },
        },
      }, ctx, args),
  },
];
