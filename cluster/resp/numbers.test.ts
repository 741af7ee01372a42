import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDouble, integerText, parseDouble, string2ll } from './numbers.js';
import { bytes } from './testing.js';

const ll = (s: string) => string2ll(bytes(s), 0, s.length);

describe('resp numbers: string2ll, as Redis util.c', () => {
  it.each([
    ['0', 0],
    ['7', 7],
    ['-1', -1],
    ['1048576', 1048576],
    ['9223372036854775807', 9223372036854775807],
    ['-9223372036854775808', -9223372036854775808],
  ])('reads %s', (text, value) => expect(ll(text)).toBe(value));

  it.each([
    '',
    '-',
    '-0',
    '01',
    '+1',
    ' 1',
    '1 ',
    '1a',
    '0x1',
    '9223372036854775808',
    '-9223372036854775809',
    '000000000000000000001',
    '12345678901234567890',
  ])('refuses %j', (text) => expect(ll(text)).toBeNaN());

  it('reads only the given range of the buffer', () => {
    expect(string2ll(bytes('$123\r\n'), 1, 4)).toBe(123);
  });
});

describe('resp numbers: doubles', () => {
  it.each([
    [0.1, '0.10000000000000001'],
    [1.5, '1.5'],
    [-2, '-2'],
    [100, '100'],
    [0.0001, '0.0001'],
    [0.00001, '1.0000000000000001e-05'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [123456789012345680, '1.2345678901234568e+17'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '4.9406564584124654e-324'],
    [-0, '-0'],
    [0, '0'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ])('formats %d as %s', (d, text) => expect(formatDouble(d)).toBe(text));

  it('reads back every double it formats, bit for bit', () => {
    fc.assert(
      fc.property(fc.double(), (d) => {
        expect(Object.is(parseDouble(formatDouble(d)), d)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it.each(['', '0x10', 'Infinity', '1e', '.', '1.2.3', ' 1', 'nanx'])('refuses the double text %j', (text) =>
    expect(parseDouble(text)).toBeUndefined(),
  );

  it.each([
    ['.5', 0.5],
    ['-3.', -3],
    ['1E3', 1000],
    ['+inf', Infinity],
  ])('reads the double text %s', (text, value) => expect(parseDouble(text)).toBe(value));
});

describe('resp numbers: integer replies', () => {
  it('writes integers with all their digits', () => {
    expect(integerText(42)).toBe('42');
    expect(integerText(-0)).toBe('0');
    expect(integerText(2 ** 63)).toBe('9223372036854775808');
    expect(integerText(7.9)).toBe('7');
  });
});
