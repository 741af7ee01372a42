import type { ReportData } from './report-data.js';

/** The migration table of the report (SQL rows, migration/table-sql.ts), as text cells. */
export const MIGRATION_COLUMNS = [
  'protocol', 'write %', 'client-side extra %', 'server-side extra %', 'migration ms', 'downtime ms',
  'ops/s before', 'ops/s during', 'p50 ms before / during', 'p99 ms before / during', 'migration B',
] as const;

export function migrationRows(d: ReportData): string[][] {
  return (d.migration ?? []).map((r) => [
    r.protocol, String(r.writeRatio), r.clientExtraPct.toFixed(1), r.serverExtraPct.toFixed(1), String(r.migrationMs), String(r.downtimeMs),
    String(Math.round(r.before.tput)), String(Math.round(r.during.tput)),
    `${r.before.p50.toFixed(2)} / ${r.during.p50.toFixed(2)}`, `${r.before.p99.toFixed(2)} / ${r.during.p99.toFixed(2)}`,
    r.migrationBytes.toLocaleString('en-US'),
  ]);
}
