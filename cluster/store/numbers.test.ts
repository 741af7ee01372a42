import { describe, expect, it } from 'vitest';
import {
  formatD2string,
  formatG17,
  formatHumanDouble,
  parseDouble,
  parseInt64,
  parseRangeDouble,
} from './numbers.js';

describe('numbers', () => {
  it('numbers: parses int64 like string2ll, refusing spaces, plus signs and leading zeros', () => {
    expect(parseInt64('0')).toBe(0n);
    expect(parseInt64('-42')).toBe(-42n);
    expect(parseInt64('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseInt64('-9223372036854775808')).toBe(-9223372036854775808n);
    for (const bad of ['', ' 1', '1 ', '+1', '01', '-0', '1.0', '9223372036854775808', 'abc', '-']) {
      expect(parseInt64(bad), bad).toBeUndefined();
    }
  });

  it('numbers: parses doubles like getDoubleFromObject, with inf but without NaN or range errors', () => {
    expect(parseDouble('1.5')).toBe(1.5);
    expect(parseDouble('.5')).toBe(0.5);
    expect(parseDouble('5.')).toBe(5);
    expect(parseDouble('-1e3')).toBe(-1000);
    expect(parseDouble('+inf')).toBe(Infinity);
    expect(parseDouble('-Infinity')).toBe(-Infinity);
    for (const bad of ['', ' 1', '1 ', 'nan', '1e400', '1e-400', '0x10', 'abc', '1.2.3']) {
      expect(parseDouble(bad), bad).toBeUndefined();
    }
    expect(parseDouble('0e-400')).toBe(0); // zero is not an underflow
  });

  it('numbers: parses range ends like zslParseRange strtod, allowing leading space and overflow', () => {
    expect(parseRangeDouble(' 1')).toBe(1);
    expect(parseRangeDouble('1e400')).toBe(Infinity);
    expect(parseRangeDouble('')).toBe(0);
    expect(parseRangeDouble('nan')).toBeUndefined();
    expect(parseRangeDouble('1x')).toBeUndefined();
  });

  it('numbers: prints %.17g as Redis 7.0 addReplyDouble does', () => {
    expect(formatG17(1)).toBe('1');
    expect(formatG17(1.5)).toBe('1.5');
    expect(formatG17(0.1)).toBe('0.10000000000000001');
    expect(formatG17(-2.5)).toBe('-2.5');
    expect(formatG17(1e20)).toBe('1e+20');
    expect(formatG17(1e16)).toBe('10000000000000000');
    expect(formatG17(1e-5)).toBe('1.0000000000000001e-05');
    expect(formatG17(0.0001)).toBe('0.0001');
    expect(formatG17(Infinity)).toBe('inf');
    expect(formatG17(-Infinity)).toBe('-inf');
    expect(formatG17(-0)).toBe('-0');
  });

  it('numbers: prints d2string with integers plain up to 2^62', () => {
    expect(formatD2string(1e18)).toBe('1000000000000000000');
    expect(formatD2string(2 ** 63)).toBe('9.2233720368547758e+18');
    expect(formatD2string(0.1)).toBe('0.10000000000000001');
    expect(formatD2string(-3)).toBe('-3');
  });

  it('numbers: prints INCRBYFLOAT results in human form, never with an exponent', () => {
    expect(formatHumanDouble(10.5 + 0.1)).toBe('10.6');
    expect(formatHumanDouble(3)).toBe('3');
    expect(formatHumanDouble(-0)).toBe('0');
    expect(formatHumanDouble(5.0e3)).toBe('5000');
    expect(formatHumanDouble(1e21)).toBe('1000000000000000000000');
    expect(formatHumanDouble(1.5e-7)).toBe('0.00000015');
    expect(formatHumanDouble(1e-20)).toBe('0');
    expect(formatHumanDouble(-1.25)).toBe('-1.25');
  });
});
