/**
 * One HTML page with every dashboard's panels as tables of their query results (what
 * Grafana would draw from): the dashboard test renders it in headless Chromium and takes
 * a screenshot, so a reviewer sees the data each panel gets from a real run.
 */
export interface PanelResult {
  title: string;
  kind: string;
  rows: Array<Record<string, unknown>>;
  /** The SQL as sent to ClickHouse (macros expanded). */
  sql: string;
  /** Why an empty panel is expected (a feature this build's run did not exercise). */
  emptyBecause?: string;
}

export interface DashboardResult {
  title: string;
  uid: string;
  panels: PanelResult[];
}

const esc = (v: unknown) =>
  String(v ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function cell(v: unknown): string {
  const s = typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(v ?? '');
  return esc(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function table(p: PanelResult, maxRows: number): string {
  if (p.rows.length === 0) return `<p class="empty">no rows${p.emptyBecause ? `: ${esc(p.emptyBecause)}` : ''}</p>`;
  const cols = Object.keys(p.rows[0]!);
  const head = cols.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = p.rows
    .slice(0, maxRows)
    .map((r) => `<tr>${cols.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="panel"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function resultsHtml(title: string, subtitle: string, dashboards: DashboardResult[], maxRows = 8): string {
  const sections = dashboards
    .map(
      (d) => `<section data-uid="${esc(d.uid)}"><h2>${esc(d.title)}</h2>
${d.panels
  .map(
    (p) => `<div class="card" data-rows="${p.rows.length}"><h3>${esc(p.title)} <span class="meta">${esc(p.kind)}, ${p.rows.length} rows</span></h3>
${table(p, maxRows)}</div>`,
  )
  .join('\n')}
</section>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>
body{font:12px/1.35 system-ui,sans-serif;margin:16px;background:#111217;color:#d8d9da}
h1{font-size:18px;margin:0 0 4px} h2{font-size:15px;margin:18px 0 6px;color:#8ab8ff} h3{font-size:12px;margin:0 0 4px}
.sub{color:#999;margin-bottom:8px} .meta{color:#888;font-weight:normal}
section{display:flex;flex-wrap:wrap;gap:8px} section h2{width:100%}
.card{background:#181b1f;border:1px solid #2c3235;padding:6px;max-width:100%;overflow:hidden}
table{border-collapse:collapse;font-size:11px} th,td{border:1px solid #2c3235;padding:1px 4px;text-align:right;white-space:nowrap}
th{background:#22252b} .empty{color:#f5a623}
</style></head><body><h1>${esc(title)}</h1><div class="sub">${esc(subtitle)}</div>
${sections}
</body></html>`;
}
