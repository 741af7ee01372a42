import { describe, expect, it } from 'vitest';
import { expandMacros, interpolateVariables, MacroError, renderQuery, type QueryContext } from './macros.js';

const ctx: QueryContext = { fromMs: 1_700_000_000_123, toMs: 1_700_000_060_456, intervalMs: 2500, vars: { run: 'up-1', node: ['a', "o'b"], step: '100' } };

describe('Grafana and ClickHouse-plugin query rendering', () => {
  it('macros: $__timeFilter, $__fromTime/$__toTime and their _ms forms expand as the plugin does', () => {
    expect(expandMacros('WHERE $__timeFilter(ts)', ctx)).toBe('WHERE ts >= toDateTime(1700000000) AND ts <= toDateTime(1700000060)');
    expect(expandMacros('$__fromTime, $__toTime', ctx)).toBe('toDateTime(1700000000), toDateTime(1700000060)');
    expect(expandMacros('$__timeFilter_ms(ts)', ctx)).toBe('ts >= fromUnixTimestamp64Milli(1700000000123) AND ts <= fromUnixTimestamp64Milli(1700000060456)');
    expect(expandMacros('$__fromTime_ms', ctx)).toBe('fromUnixTimestamp64Milli(1700000000123)');
  });

  it('macros: $__timeInterval rounds the interval down to whole seconds, at least 1; _ms keeps milliseconds', () => {
    expect(expandMacros('$__timeInterval(ts)', ctx)).toBe('toStartOfInterval(toDateTime(ts), INTERVAL 2 second)');
    expect(expandMacros('$__timeInterval(ts)', { ...ctx, intervalMs: 20 })).toBe('toStartOfInterval(toDateTime(ts), INTERVAL 1 second)');
    expect(expandMacros('$__timeInterval_ms(ts)', ctx)).toBe('toStartOfInterval(toDateTime64(ts, 3), INTERVAL 2500 millisecond)');
    expect(expandMacros('$__interval_s', ctx)).toBe('2');
  });

  it('macros: a wrong argument count or an unknown macro is an error, not a silent pass-through', () => {
    expect(() => expandMacros('$__timeFilter()', ctx)).toThrow(MacroError);
    expect(() => expandMacros('$__nope(x)', ctx)).toThrow(/unknown macro/);
  });

  it('variables: singlequote quotes and escapes each value; raw joins with commas; unknown names stay', () => {
    expect(interpolateVariables('run_id = ${run:singlequote}', ctx)).toBe("run_id = 'up-1'");
    expect(interpolateVariables('node IN (${node:singlequote})', ctx)).toBe("node IN ('a','o\\'b')");
    expect(interpolateVariables('$step ms, [[step]], ${step}', ctx)).toBe('100 ms, 100, 100');
    expect(interpolateVariables('$other', ctx)).toBe('$other');
  });

  it('variables: $__from and $__to are ms since the epoch, and do not swallow $__fromTime', () => {
    expect(renderQuery('$__from $__to $__fromTime', ctx)).toBe('1700000000123 1700000060456 toDateTime(1700000000)');
  });
});
