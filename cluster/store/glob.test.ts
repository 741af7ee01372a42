import { describe, expect, it } from 'vitest';
import { globMatch } from './glob.js';

describe('glob', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', '', false], // as in stringmatchlen; KEYS and SCAN special-case a lone '*'
    ['*', 'anything', true],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'heeeello', true],
    ['h*llo', 'hllo', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[b-a]llo', 'hallo', true], // reversed range is swapped
    ['h[a-b]llo', 'hcllo', false],
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['[\\]]', ']', true],
    ['[abc', 'a', true], // an unterminated set runs to the end of the pattern
    ['[abc', 'ab', false],
    ['user:*:name', 'user:1000:name', true],
    ['user:*:name', 'user:1000:age', false],
    ['*a*b*c', 'xxaxxbxxc', true],
    ['*a*b*c', 'xxaxxbxx', false],
    ['a*', 'b', false],
    ['abc', 'abcd', false],
    ['abc*', 'abc', true],
    ['\\', '\\', true],
  ];
  for (const [p, s, want] of cases) {
    it(`glob: '${p}' ${want ? 'matches' : 'does not match'} '${s}'`, () => {
      expect(globMatch(p, s)).toBe(want);
    });
  }

  it('glob: compares bytes, so latin1 keys with high bytes match exactly', () => {
    expect(globMatch('k\xff*', 'k\xff\x00\x80')).toBe(true);
    expect(globMatch('k[\x80-\xff]', 'k\x90')).toBe(true);
    expect(globMatch('k?', 'k\x00')).toBe(true);
  });

  it('glob: folds ASCII case only when asked', () => {
    expect(globMatch('HeLLo', 'hello')).toBe(false);
    expect(globMatch('HeLLo', 'hello', true)).toBe(true);
    expect(globMatch('[A-C]x', 'bx', true)).toBe(true);
  });

  it('glob: gives up on abusive patterns in bounded time', () => {
    const started = Date.now();
    expect(globMatch('a*'.repeat(40) + 'b', 'a'.repeat(60))).toBe(false);
    expect(globMatch('*'.repeat(3000) + 'x', 'y'.repeat(10))).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
