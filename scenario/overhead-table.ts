import { TABLE_HEADER, formatRow } from '../migration/table.js';
import type { ReportData } from './report-data.js';

/** The per-event overhead table, shared by the terminal and the report. */
export const OVERHEAD_COLUMNS = ['run', 'event', 'status', 'at s', 'window s', 'client B', 'replication B', 'bus B', 'total extra B', 'patch msgs B', 'lag ms'] as const;

const bytes = (n: number) => n.toLocaleString('en-US');

export function overheadRows(d: ReportData): string[][] {
  const out: string[][] = [];
  for (const r of d.subRuns) {
    for (const o of r.overheads) {
      const ev = r.events.find((e) => e.id === o.window.id);
      out.push([
        r.label,
        o.method ? `${o.window.kind} ${o.method}` : o.window.kind,
        o.status,
        ((o.window.startMs - r.warmup_end_ms) / 1000).toFixed(1),
        (o.windowMs / 1000).toFixed(1),
        bytes(o.channels.client.extra),
        bytes(o.channels.replication.extra),
        bytes(o.channels.bus.extra),
        bytes(o.totalExtra),
        o.window.kind === 'live-patch' ? bytes(o.patchBytes) : '',
        ev?.lagMs === undefined ? '' : String(ev.lagMs),
      ]);
    }
  }
  return out;
}

/** Aligned text: text columns left, numbers right. */
export function formatOverheadTable(d: ReportData): string {
  const rows = overheadRows(d);
  if (rows.length === 0) return '(no events)\n';
  const all = [[...OVERHEAD_COLUMNS], ...rows];
  const widths = OVERHEAD_COLUMNS.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const right = (i: number) => i >= 3;
  return all.map((r) => r.map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** The migration table of the run's `migration` runs (SQL on the store), markdown; '' without one. */
export function formatMigrationTable(d: ReportData): string {
  const rows = d.migration ?? [];
  if (rows.length === 0) return '';
  return `\nmigration table (SQL on the store; migration/README.md "Table"):\n${TABLE_HEADER}\n${rows.map(formatRow).join('\n')}\n`;
}
