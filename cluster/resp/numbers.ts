/**
 * Number syntax on the wire: lengths and integers as Redis reads them, doubles as
 * Redis writes them. Pure functions over bytes and strings.
 */

const ZERO = 0x30;
const NINE = 0x39;
const MINUS = 0x2d;

/** LONG_STR_SIZE in Redis: a number of 21 characters or more is never valid. */
const LONG_STR_SIZE = 21;
const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/**
 * Redis' `string2ll` (util.c) over `buf[start, end)`: an optional '-', then "0" alone
 * or a first digit 1-9 followed by digits, fitting a signed 64-bit integer, fewer than
 * 21 characters. No '+', no spaces, no leading zeros, no "-0".
 *
 * Returns NaN when the text is not such a number. Values beyond 2^53 come back
 * rounded, which is fine for its callers: they only compare them against limits far
 * below that.
 */
export function string2ll(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len >= LONG_STR_SIZE) return NaN;
  if (len === 1 && buf[start] === ZERO) return 0;
  let p = start;
  const negative = buf[p] === MINUS;
  if (negative && ++p === end) return NaN;
  const first = buf[p];
  if (first <= ZERO || first > NINE) return NaN;
  let v = first - ZERO;
  for (p++; p < end; p++) {
    const c = buf[p];
    if (c < ZERO || c > NINE) return NaN;
    v = v * 10 + (c - ZERO);
  }
  // Up to 15 digits the double arithmetic above is exact; beyond, check the int64
  // range exactly (rare: only absurd lengths get here).
  if (end - start - (negative ? 1 : 0) > 15) {
    const exact = BigInt(Buffer.from(buf.buffer, buf.byteOffset + start, len).toString('latin1'));
    if (exact > LLONG_MAX || exact < LLONG_MIN) return NaN;
    return Number(exact);
  }
  return negative ? -v : v;
}

/**
 * The text after ':' for an integer reply. Integers are always written as integers:
 * a fractional value is truncated toward zero, and a value past 2^53 is written with
 * all its digits rather than as "1e+21".
 *
 * @throws RangeError for NaN and infinities, which no integer reply can carry.
 */
export function integerText(v: number): string {
  if (Number.isSafeInteger(v)) return String(v);
  if (!Number.isFinite(v)) throw new RangeError(`integer reply must be finite, got ${v}`);
  const t = Math.trunc(v);
  return Number.isSafeInteger(t) ? String(t) : BigInt(t).toString();
}

/**
 * A double as Redis 7.0 prints it: printf("%.17g") (networking.c addReplyDouble), so 0.1
 * is "0.10000000000000001", 1 is "1", 1e20 is "1e+20". Redis 7.2 switched to the shortest
 * round-tripping digits; kvnetlab answers like 7.0, the version the paper measured.
 * Infinities are "inf" and "-inf" (addReplyDouble special-cases them), NaN is "nan",
 * negative zero "-0".
 */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const [mant, expText] = d.toExponential(16).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 17) {
    const m = trimFraction(mant);
    const e = Math.abs(exp);
    return `${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return trimFraction(d.toFixed(16 - exp));
}

/** %g drops trailing zeros of the fraction, and the '.' if nothing is left after it. */
function trimFraction(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

const DOUBLE_SYNTAX = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The text of a RESP3 double (`,` type): a decimal number, "inf", "-inf" or "nan"
 * (RESP3 spec, "Double type"). Returns undefined for anything else: Number() alone
 * would accept "", "0x10" and "Infinity".
 */
export function parseDouble(text: string): number | undefined {
  switch (text) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
    case '-nan':
      return NaN;
  }
  return DOUBLE_SYNTAX.test(text) ? Number(text) : undefined;
}
