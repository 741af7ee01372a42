import type { Arg, KvClient } from '../loadgen/connect.js';
import { keyHashSlot } from '../cluster/store/slot.js';
import { MigrationError } from './errors.js';
import type { MigrationRouter } from './router.js';

const keyOf = (a: Arg | undefined): string => (a === undefined ? '' : Buffer.isBuffer(a) ? a.toString('latin1') : String(a));

/**
 * The load generator speaking a migration protocol (runLoadgen's `wrapClient`): GET and
 * SET of the moving keys go through the router; every other command goes on unchanged.
 * Partial updates of a moving key (HSET of one field, YCSB's hash records) are refused
 * with an error while it moves (router.ts `write` says why): use a string preset
 * (memtier-*, cache-aside) during a routed migration.
 */
export function routedLoadgenClient(router: MigrationRouter, inner: KvClient): KvClient {
  return {
    call(name, args, tally) {
      const n = name.toLowerCase();
      const key = keyOf(args[0]);
      const base = () => inner.call(name, args, tally);
      const atDest = (asking: boolean) => router.destCall(name, args, asking, true);
      if (n === 'get') return router.read(key, base, atDest);
      if (n === 'set') return router.write(key, base, atDest);
      if (router.active && router.groups.stateOf(keyHashSlot(key)) !== undefined) {
        return Promise.reject(new MigrationError('UNSUPPORTED_COMMAND', `${name} of a key that is moving: only GET and SET are routed`));
      }
      return base();
    },
    usedMemory: () => inner.usedMemory(),
    close: () => inner.close(),
  };
}
