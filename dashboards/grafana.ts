/**
 * Small builders for Grafana dashboard JSON (schemaVersion 39, Grafana 11/12), so each
 * dashboard in dashboards.ts reads as its panels and their SQL. The JSON files Grafana
 * provisions (dashboards/grafana/dashboards/*.json) are generated from these by
 * `npm run dashboards` and a test checks they are up to date.
 */

export const SCHEMA_VERSION = 39;
/**
 * The ClickHouse plugin version docker-compose.yml installs. Queries carry it: the plugin
 * treats a query without a pluginVersion >= 4 as a v3 query and migrates it
 * (src/data/migration.ts), which these already are not.
 */
export const CLICKHOUSE_PLUGIN_VERSION = '4.23.5';
export const CLICKHOUSE = { type: 'grafana-clickhouse-datasource', uid: 'kvnetlab-clickhouse' } as const;
export const PROMETHEUS = { type: 'prometheus', uid: 'kvnetlab-prometheus' } as const;
export type Datasource = typeof CLICKHOUSE | typeof PROMETHEUS;

export type PanelKind = 'timeseries' | 'table' | 'barchart' | 'stat';

/** A panel as dashboards.ts writes it: one query, a kind, a size. */
export interface PanelSpec {
  title: string;
  kind: PanelKind;
  /** ClickHouse SQL (with the plugin's macros and ${var} references) ... */
  sql?: string;
  /** ... or a PromQL expression. */
  promql?: string;
  /** Legend of a PromQL series, e.g. `{{node}} {{channel}}`. */
  legend?: string;
  unit?: string;
  stacked?: boolean;
  /** Grid width (of 24) and height. */
  w?: number;
  h?: number;
  /** Repeat the panel for each value of this variable. */
  repeat?: string;
  description?: string;
  /** The kvnetlab feature that must have run for this panel to have rows (tests use it). */
  needs?: 'live-patch' | 'migrate';
}

export type VariableSpec =
  | { name: string; label: string; kind: 'query'; sql: string; multi?: boolean; includeAll?: boolean }
  | { name: string; label: string; kind: 'custom'; values: string[]; multi?: boolean; includeAll?: boolean };

export interface AnnotationSpec {
  name: string;
  color: string;
  sql: string;
  needs?: PanelSpec['needs'];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** File name under dashboards/grafana/dashboards/. */
  file: string;
  tags: string[];
  refresh?: string;
  time?: { from: string; to: string };
  variables: VariableSpec[];
  annotations: AnnotationSpec[];
  panels: PanelSpec[];
}

type Json = Record<string, unknown>;

function target(p: PanelSpec, ds: Datasource): Json {
  if (ds === PROMETHEUS) {
    return { refId: 'A', datasource: ds, expr: p.promql, legendFormat: p.legend ?? '__auto', range: true, editorMode: 'code' };
  }
  // Plugin v4 query model: editorType sql, rawSql; format 0 = time series (long frames are
  // turned wide, one series per string column value), 1 = table (sqlutil.FormatQueryOption).
  const series = p.kind === 'timeseries';
  return { refId: 'A', datasource: ds, pluginVersion: CLICKHOUSE_PLUGIN_VERSION, editorType: 'sql', rawSql: p.sql, format: series ? 0 : 1, queryType: series ? 'timeseries' : 'table' };
}

function fieldConfig(p: PanelSpec): Json {
  const custom: Json =
    p.kind === 'timeseries'
      ? { drawStyle: 'line', lineWidth: 1, fillOpacity: p.stacked ? 60 : 10, showPoints: 'never', spanNulls: false, stacking: { mode: p.stacked ? 'normal' : 'none', group: 'A' } }
      : p.kind === 'barchart'
        ? { fillOpacity: 80, lineWidth: 1 }
        : {};
  return { defaults: { ...(p.unit ? { unit: p.unit } : {}), custom }, overrides: [] };
}

function options(p: PanelSpec): Json {
  switch (p.kind) {
    case 'timeseries':
      return { legend: { displayMode: 'table', placement: 'right', calcs: ['mean', 'max'], showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } };
    case 'barchart':
      return { orientation: 'auto', stacking: p.stacked ? 'normal' : 'none', showValue: 'auto', legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'none' } };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], countRows: false } };
    case 'stat':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto' };
  }
}

function variable(v: VariableSpec): Json {
  const common = { name: v.name, label: v.label, multi: v.multi ?? false, includeAll: v.includeAll ?? false, current: {}, hide: 0, skipUrlSync: false };
  if (v.kind === 'custom') {
    return { ...common, type: 'custom', query: v.values.join(','), options: v.values.map((x, i) => ({ text: x, value: x, selected: i === 0 })), current: { text: v.values[0], value: v.values[0] } };
  }
  // The plugin's variable query model (src/data/CHVariableSupport.tsx); refresh 2 = on time range change.
  return { ...common, type: 'query', datasource: CLICKHOUSE, query: { refId: 'var', queryType: 'sql', rawSql: v.sql }, definition: v.sql, refresh: 2, sort: 0, regex: '', options: [] };
}

function annotation(a: AnnotationSpec): Json {
  // Columns time, timeEnd, text, tags: a region from start to end on every panel.
  return { name: a.name, enable: true, hide: false, iconColor: a.color, datasource: CLICKHOUSE, target: { refId: 'Anno', datasource: CLICKHOUSE, pluginVersion: CLICKHOUSE_PLUGIN_VERSION, editorType: 'sql', rawSql: a.sql, format: 1, queryType: 'table' } };
}

/** The dashboard JSON Grafana provisions. Panels flow left to right, 24 columns a row. */
export function buildDashboard(d: DashboardSpec): Json {
  let x = 0;
  let y = 0;
  let rowH = 0;
  const panels = d.panels.map((p, i) => {
    const w = p.w ?? 12;
    const h = p.h ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const gridPos = { h, w, x, y };
    x += w;
    rowH = Math.max(rowH, h);
    const ds = p.promql !== undefined ? PROMETHEUS : CLICKHOUSE;
    return {
      id: i + 1,
      type: p.kind,
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      gridPos,
      datasource: ds,
      targets: [target(p, ds)],
      fieldConfig: fieldConfig(p),
      options: options(p),
      ...(p.repeat ? { repeat: p.repeat, repeatDirection: 'h', maxPerRow: 3 } : {}),
    };
  });
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: d.tags,
    editable: true,
    graphTooltip: 1,
    timezone: 'utc',
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: d.refresh ?? '',
    time: d.time ?? { from: 'now-15m', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [{ title: 'kvnetlab', type: 'dashboards', tags: ['kvnetlab'], asDropdown: true, includeVars: true, keepTime: true }],
    annotations: {
      list: [
        { builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' },
        ...d.annotations.map(annotation),
      ],
    },
    templating: { list: d.variables.map(variable) },
    panels,
  };
}
