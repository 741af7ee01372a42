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
 * A double as Redis prints it with "%.17g", except that the digits are the shortest
 * that read back to the same double (what Redis 7.2 does with fpconv_dtoa) rather than
 * always 17 of them: 0.1 is "0.1", not "0.10000000000000001".
 *
 * The %g layout is kept: fixed notation when the decimal exponent is in [-4, 17),
 * otherwise "d.ddde+XX" with at least two exponent digits. Infinities are "inf" and
 * "-inf" (addReplyDouble special-cases them), NaN is "nan", negative zero "-0".
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest round-tripping digits.
  const s = d.toExponential();
  const e = s.indexOf('e');
  const negative = s.charCodeAt(0) === MINUS;
  const digits = s.slice(negative ? 1 : 0, e).replace('.', '');
  const exp = Number(s.slice(e + 1));
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= 17) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const abs = Math.abs(exp);
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
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
