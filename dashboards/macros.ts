/**
 * What Grafana and the ClickHouse plugin do to a panel's SQL before ClickHouse sees it,
 * so the tests can run every panel's query on chDB exactly as Grafana would send it:
 *
 *   1. Grafana's template service replaces variables: `$run`, `${run}`, `${node:singlequote}`,
 *      `[[run]]`, and the globals `$__from` / `$__to` (ms since the epoch), `$__interval_ms`.
 *   2. The plugin's backend expands its macros (grafana/clickhouse-datasource
 *      pkg/macros/macros.go): `$__timeFilter(col)` -> `col >= toDateTime(s) AND col <= toDateTime(s)`,
 *      `$__timeFilter_ms(col)` with `fromUnixTimestamp64Milli(ms)`, `$__fromTime`, `$__toTime`
 *      (`toDateTime(s)`), `$__fromTime_ms`, `$__toTime_ms`, `$__timeInterval(col)`
 *      (`toStartOfInterval(toDateTime(col), INTERVAL n second)`, n >= 1),
 *      `$__timeInterval_ms(col)`, `$__interval_s`, `$__dateFilter(col)`.
 */

export interface QueryContext {
  /** Dashboard time range, ms since the epoch. */
  fromMs: number;
  toMs: number;
  /** Grafana's computed interval for the panel (range / max data points), ms. */
  intervalMs: number;
  /** Variable values; a multi-value variable has several. */
  vars: Record<string, string | string[]>;
}

export class MacroError extends Error {
  readonly code = 'DASH_MACRO';
}

const sec = (ms: number) => Math.floor(ms / 1000);
const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Grafana's variable formats that SQL panels use (docs: "Advanced variable format options"). */
function formatValue(values: string[], format: string | undefined, name: string): string {
  switch (format) {
    case undefined:
    case 'raw':
    case 'csv':
      return values.join(',');
    case 'singlequote':
    case 'sqlstring':
      return values.map(quote).join(',');
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    default:
      throw new MacroError(`variable ${name}: format ${format} is not supported here`);
  }
}

/** Step 1: template variables and Grafana's globals. Unknown names are left as Grafana leaves them. */
export function interpolateVariables(sql: string, ctx: QueryContext): string {
  const globals: Record<string, string> = {
    __from: String(ctx.fromMs),
    __to: String(ctx.toMs),
    __interval_ms: String(ctx.intervalMs),
    __interval: `${Math.max(1, Math.round(ctx.intervalMs / 1000))}s`,
  };
  return sql.replace(/\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]|\$(\w+)/g, (whole, n1, f1, n2, f2, n3) => {
    const name = (n1 ?? n2 ?? n3) as string;
    const format = (f1 ?? f2) as string | undefined;
    if (name in globals) return globals[name]!;
    const v = ctx.vars[name];
    if (v === undefined) return whole;
    return formatValue(Array.isArray(v) ? v : [v], format, name);
  });
}

type Macro = (args: string[], ctx: QueryContext) => string;

const one = (name: string, args: string[]): string => {
  if (args.length !== 1 || !args[0]) throw new MacroError(`$__${name}: expected 1 argument, received ${args.length}`);
  return args[0];
};

const MACROS: Record<string, Macro> = {
  fromTime: (_, c) => `toDateTime(${sec(c.fromMs)})`,
  toTime: (_, c) => `toDateTime(${sec(c.toMs)})`,
  fromTime_ms: (_, c) => `fromUnixTimestamp64Milli(${c.fromMs})`,
  toTime_ms: (_, c) => `fromUnixTimestamp64Milli(${c.toMs})`,
  timeFilter: (a, c) => {
    const col = one('timeFilter', a);
    return `${col} >= toDateTime(${sec(c.fromMs)}) AND ${col} <= toDateTime(${sec(c.toMs)})`;
  },
  timeFilter_ms: (a, c) => {
    const col = one('timeFilter_ms', a);
    return `${col} >= fromUnixTimestamp64Milli(${c.fromMs}) AND ${col} <= fromUnixTimestamp64Milli(${c.toMs})`;
  },
  dateFilter: (a, c) => {
    const col = one('dateFilter', a);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    return `${col} >= toDate('${day(c.fromMs)}') AND ${col} <= toDate('${day(c.toMs)}')`;
  },
  timeInterval: (a, c) => `toStartOfInterval(toDateTime(${one('timeInterval', a)}), INTERVAL ${Math.max(1, Math.floor(c.intervalMs / 1000))} second)`,
  timeInterval_ms: (a, c) => `toStartOfInterval(toDateTime64(${one('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(1, Math.floor(c.intervalMs))} millisecond)`,
  interval_s: (_, c) => String(Math.max(1, Math.floor(c.intervalMs / 1000))),
};

/** Step 2: the plugin's macros. An unknown `$__name` is an error (the plugin would send it verbatim and fail). */
export function expandMacros(sql: string, ctx: QueryContext): string {
  return sql.replace(/\$__(\w+)(?:\(([^()]*)\))?/g, (_whole, name: string, args: string | undefined) => {
    const m = MACROS[name];
    if (!m) throw new MacroError(`unknown macro $__${name}`);
    const list = args === undefined ? [] : args.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return m(list, ctx);
  });
}

/** Both steps, in Grafana's order. */
export function renderQuery(sql: string, ctx: QueryContext): string {
  return expandMacros(interpolateVariables(sql, ctx), ctx);
}
