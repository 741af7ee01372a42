/**
 * Number parsing and formatting with Redis' rules (util.c). Values arrive as latin1
 * strings or Buffers; integers are signed 64-bit, so they are parsed into bigint.
 */

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

const toStr = (v: Buffer | string): string => (typeof v === 'string' ? v : v.toString('latin1'));

/**
 * util.c string2ll: optional '-', then "0" alone or a digit 1-9 followed by digits; no
 * spaces, no '+', no leading zeros, within int64. Anything else is undefined.
 */
export function parseInt64(v: Buffer | string): bigint | undefined {
  const s = toStr(v);
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** strtod's decimal grammar plus inf/infinity (case-insensitive). Hex floats are not accepted. */
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

/** strtod on the whole string; undefined when it would stop early or the text is not a number. */
function strtodWhole(s: string): { value: number; range: boolean } | undefined {
  const inf = INFINITY.exec(s);
  if (inf) return { value: inf[1] === '-' ? -Infinity : Infinity, range: false };
  if (!DECIMAL.test(s)) return undefined;
  const value = Number(s);
  // ERANGE: overflow to +-inf, or underflow to zero of a literal that is not zero.
  const range = !Number.isFinite(value) || (value === 0 && /[1-9]/.test(s.split(/[eE]/)[0]));
  return { value, range };
}

/**
 * object.c getDoubleFromObject (ZADD scores, ZINCRBY): the whole string is a number, no
 * leading space, not NaN, no overflow and no underflow to zero. "inf" and "-inf" are fine.
 */
export function parseDouble(v: Buffer | string): number | undefined {
  const s = toStr(v);
  if (s.length === 0 || /^\s/.test(s)) return undefined;
  const r = strtodWhole(s);
  if (!r || r.range || Number.isNaN(r.value)) return undefined;
  return r.value;
}

/**
 * util.c string2ld (INCRBYFLOAT, HINCRBYFLOAT), the same rules in long double in Redis.
 * We compute in double; see formatHumanDouble for how results are printed.
 */
export const parseLongDouble = parseDouble;

/**
 * t_zset.c zslParseRange's strtod: leading spaces allowed, overflow becomes +-inf, NaN
 * refused. `(` for an exclusive end is stripped by the caller.
 */
export function parseRangeDouble(s: string): number | undefined {
  const t = s.replace(/^[ \t\n\v\f\r]+/, '');
  if (t.length === 0) return s.length === 0 ? 0 : undefined; // strtod("") parses nothing and ends at the NUL
  const r = strtodWhole(t);
  if (!r || Number.isNaN(r.value)) return undefined;
  return r.value;
}

/** printf("%.17g"), what Redis 7.0 prints for a double: one implementation, in the RESP codec. */
export { formatDouble as formatG17 } from '../resp/numbers.js';
import { formatDouble as formatG17 } from '../resp/numbers.js';

/**
 * util.c d2string: integral values within +-2^62 print as integers (double2ll), the rest as
 * "%.17g". ZSCAN answers scores this way (a small zset's listpack stores this text).
 */
export function formatD2string(d: number): string {
  if (Number.isInteger(d) && d !== 0 && Math.abs(d) <= 2 ** 62) return BigInt(d).toString();
  return formatG17(d);
}

/** Drops trailing zeros of a fixed-point number, and the '.' if nothing is left after it. */
function trimFraction(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * util.c ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros trimmed, never an exponent;
 * INCRBYFLOAT and HINCRBYFLOAT store and answer this text. Redis computes in long double,
 * whose 17 decimals of 10.5+0.1 read "10.60000000000000000"; a double's read
 * "10.59999999999999964". To print what Redis prints we start from the shortest decimal
 * that round-trips (JS's own), and only use toFixed(17) when that needs more than 17
 * decimals. Precision beyond a double's is not kept.
 */
export function formatHumanDouble(d: number): string {
  if (d === 0) return '0'; // also -0: ld2string turns "-0" into "0"
  const plain = expandExponent(String(d));
  const dot = plain.indexOf('.');
  const s = dot >= 0 && plain.length - dot - 1 > 17 ? trimFraction(Math.abs(d) < 1e21 ? d.toFixed(17) : plain) : plain;
  return s === '-0' ? '0' : s;
}

/** "1.5e-7" -> "0.00000015", "1e+21" -> "1000000000000000000000". */
function expandExponent(s: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = '', expText] = m;
  const exp = Number(expText);
  const digits = int + frac;
  const point = int.length + exp; // position of the decimal point within `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`.replace(/0+$/, '');
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
