import { SCHEMA_VERSION } from './grafana.js';

/**
 * A structural check of dashboard JSON against what Grafana's schema (schemaVersion 39,
 * the `Dashboard` kind of grafana/grafana's kinds) requires of the parts we use, and the
 * mistakes Grafana would not report but would show as empty panels: a panel without a
 * datasource or targets, a duplicate id, overlapping grid positions, a variable used in a
 * query but not defined, a ClickHouse query without SQL.
 */

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const KNOWN_PANELS = new Set(['timeseries', 'table', 'barchart', 'stat', 'gauge', 'text', 'row', 'bargauge', 'piechart', 'state-timeline', 'heatmap']);
const DATASOURCES = new Set(['grafana-clickhouse-datasource', 'prometheus', 'grafana']);
/** Names Grafana or the ClickHouse plugin define: `$__from`, `$__timeFilter(...)` etc. */
const BUILTIN = /^__/;

/** Variable names a query references: $name, ${name}, ${name:format}, [[name]]. */
export function referencedVariables(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)/g)) {
    const name = m[1] ?? m[2] ?? m[3]!;
    if (!BUILTIN.test(name)) out.add(name);
  }
  return [...out];
}

/** A query variable's SQL: the plugin's {rawSql} model, or a legacy plain string. */
function variableSql(v: Json): string {
  return typeof v.query === 'string' ? v.query : isObj(v.query) && typeof v.query.rawSql === 'string' ? v.query.rawSql : '';
}

function queryText(target: Json): string {
  return String(target.rawSql ?? target.expr ?? '');
}

export function validateDashboard(d: unknown): string[] {
  const errors: string[] = [];
  const err = (where: string, what: string) => errors.push(`${where}: ${what}`);
  if (!isObj(d)) return ['dashboard: not an object'];
  for (const k of ['uid', 'title'] as const) if (typeof d[k] !== 'string' || !(d[k] as string)) err('dashboard', `${k} must be a non-empty string`);
  if (typeof d.uid === 'string' && !/^[A-Za-z0-9_-]{1,40}$/.test(d.uid)) err('dashboard', 'uid must be 1-40 characters of [A-Za-z0-9_-]');
  if (d.schemaVersion !== SCHEMA_VERSION) err('dashboard', `schemaVersion must be ${SCHEMA_VERSION}, is ${String(d.schemaVersion)}`);
  if (!isObj(d.time) || typeof d.time.from !== 'string' || typeof d.time.to !== 'string') err('dashboard', 'time {from, to} missing');

  const templating = isObj(d.templating) && Array.isArray(d.templating.list) ? (d.templating.list as unknown[]) : undefined;
  if (!templating) err('dashboard', 'templating.list missing');
  const defined = new Set<string>();
  for (const [i, v] of (templating ?? []).entries()) {
    const where = `variable ${i}`;
    if (!isObj(v)) {
      err(where, 'not an object');
      continue;
    }
    if (typeof v.name !== 'string' || !/^\w+$/.test(v.name)) err(where, 'name must be a word');
    else if (defined.has(v.name)) err(where, `duplicate name ${v.name}`);
    else defined.add(v.name);
    if (v.type !== 'query' && v.type !== 'custom' && v.type !== 'interval' && v.type !== 'constant') err(where, `type ${String(v.type)} not supported here`);
    if (v.type === 'query' && (!isObj(v.datasource) || !variableSql(v))) err(where, 'a query variable needs a datasource and a query (a string, or {rawSql})');
    if (v.type === 'custom' && (typeof v.query !== 'string' || !v.query)) err(where, 'a custom variable needs its values in query');
  }
  // A variable may reference only variables defined before it (Grafana resolves in order).
  for (const [i, v] of (templating ?? []).entries()) {
    if (!isObj(v) || v.type !== 'query') continue;
    const earlier = new Set((templating ?? []).slice(0, i).map((x) => (isObj(x) ? String(x.name) : '')));
    for (const r of referencedVariables(variableSql(v))) if (!earlier.has(r)) err(`variable ${String(v.name)}`, `uses $${r}, not defined before it`);
  }

  const annotations = isObj(d.annotations) && Array.isArray(d.annotations.list) ? (d.annotations.list as unknown[]) : undefined;
  if (!annotations) err('dashboard', 'annotations.list missing');
  for (const [i, a] of (annotations ?? []).entries()) {
    if (!isObj(a) || typeof a.name !== 'string' || !isObj(a.datasource)) {
      err(`annotation ${i}`, 'needs a name and a datasource');
      continue;
    }
    if (a.builtIn) continue;
    const t = a.target;
    if (!isObj(t) || typeof t.rawSql !== 'string' || !t.rawSql) err(`annotation ${a.name}`, 'needs target.rawSql');
    else {
      for (const col of ['time', 'timeEnd', 'text', 'tags']) if (!new RegExp(`\\bAS ${col}\\b`).test(t.rawSql)) err(`annotation ${a.name}`, `SQL must return a ${col} column`);
      for (const r of referencedVariables(t.rawSql)) if (!defined.has(r)) err(`annotation ${a.name}`, `uses undefined variable $${r}`);
    }
  }

  if (!Array.isArray(d.panels) || d.panels.length === 0) return [...errors, 'dashboard: no panels'];
  const ids = new Set<number>();
  const cells = new Map<string, string>();
  for (const [i, p] of (d.panels as unknown[]).entries()) {
    if (!isObj(p)) {
      err(`panel ${i}`, 'not an object');
      continue;
    }
    const where = `panel ${String(p.id)} "${String(p.title)}"`;
    if (typeof p.id !== 'number' || !Number.isInteger(p.id) || p.id < 1) err(where, 'id must be a positive integer');
    else if (ids.has(p.id)) err(where, 'duplicate id');
    else ids.add(p.id);
    if (typeof p.title !== 'string' || !p.title) err(where, 'title missing');
    if (typeof p.type !== 'string' || !KNOWN_PANELS.has(p.type)) err(where, `unknown panel type ${String(p.type)}`);
    const g = p.gridPos;
    if (!isObj(g) || ![g.x, g.y, g.w, g.h].every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) err(where, 'gridPos {x, y, w, h} must be integers');
    else {
      const { x, y, w, h } = g as { x: number; y: number; w: number; h: number };
      if (w < 1 || h < 1 || x + w > 24) err(where, `gridPos out of the 24-column grid (x ${x}, w ${w})`);
      for (let cx = x; cx < x + w; cx++) {
        for (let cy = y; cy < y + h; cy++) {
          const other = cells.get(`${cx},${cy}`);
          if (other && other !== where) {
            err(where, `overlaps ${other}`);
            cx = x + w;
            break;
          }
          cells.set(`${cx},${cy}`, where);
        }
      }
    }
    if (p.type === 'row' || p.type === 'text') continue;
    if (!isObj(p.datasource) || typeof p.datasource.type !== 'string' || !DATASOURCES.has(p.datasource.type) || typeof p.datasource.uid !== 'string') {
      err(where, 'datasource {type, uid} of a provisioned datasource missing');
    }
    if (!Array.isArray(p.targets) || p.targets.length === 0) {
      err(where, 'no targets');
      continue;
    }
    const refIds = new Set<string>();
    for (const t of p.targets as unknown[]) {
      if (!isObj(t) || typeof t.refId !== 'string') {
        err(where, 'target without refId');
        continue;
      }
      if (refIds.has(t.refId)) err(where, `duplicate refId ${t.refId}`);
      refIds.add(t.refId);
      const ds = isObj(t.datasource) ? t.datasource.type : isObj(p.datasource) ? p.datasource.type : undefined;
      if (ds === 'grafana-clickhouse-datasource') {
        if (typeof t.rawSql !== 'string' || !t.rawSql.trim()) err(where, 'ClickHouse target without rawSql');
        if (t.editorType !== 'sql') err(where, "ClickHouse target must have editorType 'sql'");
        if (t.format !== 0 && t.format !== 1) err(where, 'ClickHouse target format must be 0 (time series) or 1 (table)');
        if (p.type === 'timeseries' && !/\bAS time\b/.test(String(t.rawSql))) err(where, 'a time series query must return a `time` column');
      } else if (ds === 'prometheus') {
        if (typeof t.expr !== 'string' || !t.expr.trim()) err(where, 'Prometheus target without expr');
      }
      const repeat = typeof p.repeat === 'string' ? p.repeat : undefined;
      if (repeat && !defined.has(repeat)) err(where, `repeats over undefined variable ${repeat}`);
      for (const r of referencedVariables(queryText(t))) if (!defined.has(r)) err(where, `uses undefined variable $${r}`);
    }
    if (typeof p.title === 'string') for (const r of referencedVariables(p.title)) if (!defined.has(r)) err(where, `title uses undefined variable $${r}`);
    if (!isObj(p.fieldConfig) || !isObj(p.fieldConfig.defaults)) err(where, 'fieldConfig.defaults missing');
  }
  return errors;
}
