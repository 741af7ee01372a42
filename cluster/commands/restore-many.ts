import { err, int } from '../resp/reply.js';
import { guarded, str } from '../store/command-kit.js';
import { restoreValue } from '../store/dump.js';
import { bufferHashSlot } from '../store/slot.js';
import type { Value } from '../store/value.js';
import { isMaster } from '../topology/cluster-node.js';
import type { CommandSpec } from './types.js';

/**
 * KVNETLAB.RESTORE-MANY REPLACE|KEEP <key> <expire-at-ms|0> <DUMP payload> ... (kvnetlab
 * only): a group of keys copied in one command, the copy of source-based and
 * proxy-tracked migration (node/migrate-out.ts). Why not RESTORE-ASKING per key, as
 * Redis' MIGRATE sends: its command name, ASKING-free framing and one +OK per key are
 * about 30 bytes a key, 3 % of a 1 KB value, paid again for every key of a migration.
 *
 * - Expiry is absolute (ms since the epoch, 0 = none): replayed on a replica it means the
 *   same instant.
 * - KEEP leaves a key the node has (a client wrote it here since the move began); REPLACE
 *   overwrites it. Answers the number of keys written.
 * - No key positions in the command table (like MIGRATE-OUT): it is never redirected and
 *   checks itself that every key's slot is served here or being imported; a replica
 *   applies what its master sent.
 * - Every payload is decoded before any key is written: a bad one changes nothing.
 */
export const restoreManyCommands: CommandSpec[] = [
  {
    name: 'kvnetlab.restore-many',
    arity: -5,
    flags: ['write', 'denyoom'],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    execute: guarded((ctx, args) => {
      const mode = args[1]!.toString('latin1').toLowerCase();
      if ((mode !== 'replace' && mode !== 'keep') || (args.length - 2) % 3 !== 0) {
        return err('ERR KVNETLAB.RESTORE-MANY REPLACE|KEEP <key> <expire-at-ms> <payload> ...');
      }
      const { cluster } = ctx.node;
      const me = cluster.myself;
      const entries: Array<{ key: string; expireAt: number; value: Value }> = [];
      for (let i = 2; i < args.length; i += 3) {
        const slot = bufferHashSlot(args[i]!);
        if (isMaster(me) && cluster.slots[slot] !== me && !cluster.importing.has(slot)) {
          return err(`ERR slot ${slot} is neither served nor imported here`);
        }
        const expireAt = Number(args[i + 1]!.toString('latin1'));
        if (!Number.isSafeInteger(expireAt) || expireAt < 0) return err('ERR Invalid expire time');
        entries.push({ key: str(args[i]!), expireAt, value: restoreValue(args[i + 2]!) });
      }
      const now = ctx.node.now();
      let written = 0;
      for (const e of entries) {
        if (mode === 'keep' && ctx.db.exists(e.key, now)) continue;
        ctx.db.delete(e.key);
        if (e.expireAt > 0 && e.expireAt <= now) continue; // expired on the way: nothing to add
        ctx.db.set(e.key, e.value, { expireAt: e.expireAt > 0 ? e.expireAt : undefined });
        written++;
      }
      return int(written);
    }),
  },
];
