import { badFlag } from './errors.js';

/**
 * Parsers for loadgen flags. Each names its flag and the allowed values in the error, which
 * the CLI turns into exit code 2 (usage error), before anything connects.
 */
export function count(flag: string, min = 0): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) < min) throw badFlag(flag, v, `an integer >= ${min}`);
    return Number(v);
  };
}

export function fraction(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw badFlag(flag, v, 'a number from 0 to 1');
    return n;
  };
}

export function positiveNumber(flag: string, allowZero = false): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw badFlag(flag, v, allowZero ? 'a number >= 0' : 'a number > 0');
    return n;
  };
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** `256MiB`, `1.5GB`, `1048576`. */
export function byteSize(flag: string): (v: string) => number {
  return (v) => {
    const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(v.trim());
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    if (!m || unit === undefined || Number(m[1]) <= 0) throw badFlag(flag, v, 'a size such as 256MiB, 1GiB, 500MB or a byte count');
    return Math.round(Number(m[1]) * unit);
  };
}

export function oneOf<T extends string>(flag: string, allowed: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(allowed as readonly string[]).includes(v)) throw badFlag(flag, v, allowed.join(', '));
    return v as T;
  };
}

/** `host:port[,host:port...]`. */
export function seeds(flag: string): (v: string) => Array<{ host: string; port: number }> {
  return (v) =>
    v.split(',').map((part) => {
      const m = /^(.+):(\d+)$/.exec(part.trim());
      const port = m ? Number(m[2]) : 0;
      if (!m || port < 1 || port > 65535) throw badFlag(flag, v, 'host:port[,host:port...] with ports 1-65535');
      return { host: m[1]!, port };
    });
}
