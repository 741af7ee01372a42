import { describe, expect, it } from 'vitest';
import { splitArgs } from './split-args.js';
import { bytes } from './testing.js';

const split = (line: string) => splitArgs(bytes(line), 0, line.length)?.map((a) => a.toString('latin1')) ?? null;

describe('resp split-args: as sdssplitargs', () => {
  it.each<[string, string[]]>([
    ['', []],
    [' \t\x0b\x0c\r ', []],
    ['a', ['a']],
    ['  a  b  ', ['a', 'b']],
    ['a\tb\rc', ['a', 'b', 'c']],
    ['a\x0bb', ['a\x0bb']], // \v ends no argument, it only is skipped between them
    ['"a b"', ['a b']],
    ['"a"\t"b"', ['a', 'b']],
    ['"a"\x0b"b"', ['a', 'b']], // after a closing quote any isspace char will do
    ['"\\x00\\xff\\xAb"', ['\x00\xff\xab']],
    ['"\\x4"', ['x4']],
    ['"\\"\\\\"', ['"\\']],
    ["'a\\'b'", ["a'b"]],
    ["'a\\nb'", ['a\\nb']],
    ['x"y"', ['xy']],
    ["x'y z'", ['xy z']],
    ['a\x00b c', ['a']], // a NUL ends the C string
  ])('splits %j', (line, args) => expect(split(line)).toEqual(args));

  it.each(['"a', "'a", '"a"b', "'a'b", '"a\\"', '"a\x00"'])('finds unbalanced quotes in %j', (line) =>
    expect(split(line)).toBeNull(),
  );

  it('returns plain arguments as views of the line, without copying', () => {
    const line = bytes('GET key');
    const [, key] = splitArgs(line, 0, line.length)!;
    expect(key.buffer).toBe(line.buffer);
  });
});
