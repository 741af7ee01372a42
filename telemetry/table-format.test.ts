import { describe, expect, it } from 'vitest';
import { formatTable, jsonArray } from './table-format.js';

describe('table format', () => {
  it('table format: aligns columns, numbers to the right, and counts rows', () => {
    const out = formatTable({
      meta: [
        { name: 'channel', type: 'LowCardinality(String)' },
        { name: 'bytes', type: 'UInt64' },
        { name: 'tags', type: 'Array(String)' },
      ],
      data: [
        ['bus', 123456, ['a']],
        ['replication', 7, []],
        [null, 0, ['b', 'c']],
      ],
    });
    expect(out).toBe(
      [
        'channel       bytes  tags',
        '-----------  ------  ---------',
        'bus          123456  ["a"]',
        'replication       7  []',
        'NULL              0  ["b","c"]',
        '(3 rows)',
        '',
      ].join('\n'),
    );
  });

  it('table format: an empty result still prints the header and (0 rows)', () => {
    expect(formatTable({ meta: [{ name: 'x', type: 'UInt8' }], data: [] })).toBe('x\n-\n(0 rows)\n');
  });

  it('table format: JSONEachRow becomes a JSON array, one row per line', () => {
    expect(jsonArray('{"a":1}\n{"a":2}\n')).toBe('[\n{"a":1},\n{"a":2}\n]\n');
    expect(JSON.parse(jsonArray(''))).toEqual([]);
  });
});
