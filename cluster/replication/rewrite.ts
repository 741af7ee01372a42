import type { Reply } from '../resp/reply.js';

/**
 * What a write command becomes in the replication stream. Redis propagates the
 * command as executed, except where replaying it later would give another result
 * (relative times, floats) or where it changed nothing (server.dirty stayed put):
 *
 *   SET k v EX|PX|EXAT n, SETEX, PSETEX  -> SET k v PXAT <abs ms>   (t_string.c setGenericCommand)
 *   EXPIRE, PEXPIRE, EXPIREAT k n [flag] -> PEXPIREAT k <abs ms> [flag], or DEL when already past (expire.c)
 *   GETEX k EX..|PERSIST                 -> PEXPIREAT k <abs ms> | PERSIST k (t_string.c getexCommand)
 *   GETDEL k -> DEL k;  GETSET k v -> SET k v
 *   INCRBYFLOAT k d  -> SET k <result> KEEPTTL;  HINCRBYFLOAT k f d -> HSET k f <result>
 *   MIGRATE (no COPY) -> DEL of the keys moved (cluster.c migrateCommand)
 *   a command that changed nothing (DEL of missing keys, SET NX that lost) -> nothing
 *
 * Everything else is propagated as received, so a plain SET costs the replica link
 * exactly the bytes the client sent (DESIGN.md: ratio 1.000 on Redis 7.0).
 */
export function propagatedForm(name: string, args: Buffer[], reply: Reply, nowMs: number): Buffer[][] {
  if (reply.t === 'error') return [];
  const lower = (i: number) => args[i].toString('latin1').toLowerCase();
  const b = (s: string | number) => Buffer.from(String(s));
  switch (name) {
    case 'set': {
      let expireMs: number | undefined;
      let conditional = false;
      let get = false;
      for (let i = 3; i < args.length; i++) {
        const o = lower(i);
        if (o === 'nx' || o === 'xx') conditional = true;
        else if (o === 'get') get = true;
        else if (o === 'ex') expireMs = nowMs + Number(args[++i]) * 1000;
        else if (o === 'px') expireMs = nowMs + Number(args[++i]);
        else if (o === 'exat') expireMs = Number(args[++i]) * 1000;
        else if (o === 'pxat') i++; // already absolute: propagated as is
      }
      // SET NX/XX answers nil when it did not set (and GET cannot tell us): not propagated.
      if (conditional && !get && reply.t === 'bulk' && reply.v === null) return [];
      if (expireMs === undefined) return [args];
      return [[b('SET'), args[1], args[2], b('PXAT'), b(expireMs)]];
    }
    case 'setex':
    case 'psetex': {
      const ms = name === 'setex' ? Number(args[2]) * 1000 : Number(args[2]);
      return [[b('SET'), args[1], args[3], b('PXAT'), b(nowMs + ms)]];
    }
    case 'expire':
    case 'pexpire':
    case 'expireat':
    case 'pexpireat': {
      if (reply.t === 'int' && reply.v === 0) return [];
      const n = Number(args[2]);
      const at = name === 'expire' ? nowMs + n * 1000 : name === 'pexpire' ? nowMs + n : name === 'expireat' ? n * 1000 : n;
      if (at <= nowMs) return [[b('DEL'), args[1]]];
      return [[b('PEXPIREAT'), args[1], b(at), ...args.slice(3)]];
    }
    case 'getex': {
      if (reply.t === 'bulk' && reply.v === null) return [];
      if (args.length < 3) return [];
      const o = lower(2);
      if (o === 'persist') return [[b('PERSIST'), args[1]]];
      const n = Number(args[3]);
      const at = o === 'ex' ? nowMs + n * 1000 : o === 'px' ? nowMs + n : o === 'exat' ? n * 1000 : n;
      return [at <= nowMs ? [b('DEL'), args[1]] : [b('PEXPIREAT'), args[1], b(at)]];
    }
    case 'getdel':
      return reply.t === 'bulk' && reply.v === null ? [] : [[b('DEL'), args[1]]];
    case 'getset':
      return [[b('SET'), args[1], args[2]]];
    case 'incrbyfloat':
      return reply.t === 'bulk' && reply.v ? [[b('SET'), args[1], reply.v, b('KEEPTTL')]] : [];
    case 'hincrbyfloat':
      return reply.t === 'bulk' && reply.v ? [[b('HSET'), args[1], args[2], reply.v]] : [];
    case 'migrate':
      return migrateDeletes(args, reply);
    case 'del':
    case 'unlink':
    case 'hdel':
    case 'zrem':
    case 'zremrangebyscore':
    case 'zremrangebyrank':
    case 'persist':
    case 'setnx':
    case 'msetnx':
    case 'hsetnx':
      return reply.t === 'int' && reply.v === 0 ? [] : [args];
    default:
      return [args];
  }
}

/** MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH..] [KEYS k...]: the keys it removed here. */
function migrateDeletes(args: Buffer[], reply: Reply): Buffer[][] {
  if (reply.t !== 'status') return []; // NOKEY or an error: nothing moved
  const opts = args.slice(6).map((a) => a.toString('latin1').toLowerCase());
  if (opts.includes('copy')) return [];
  const k = opts.indexOf('keys');
  const keys = k >= 0 ? args.slice(6 + k + 1) : [args[3]];
  return [[Buffer.from('DEL'), ...keys]];
}
