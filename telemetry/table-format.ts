/**
 * Printing query results for `kvnetlab sql`: an aligned text table from ClickHouse's
 * JSONCompact output (meta + data), numbers right-aligned like clickhouse-client's
 * PrettyCompact, other values left-aligned.
 */
export interface CompactResult {
  meta: { name: string; type: string }[];
  data: unknown[][];
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function formatTable(r: CompactResult): string {
  const right = r.meta.map((m) => NUMERIC.test(m.type));
  const rows = r.data.map((row) => row.map(cell));
  const width = r.meta.map((m, i) => Math.max(m.name.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(r.meta.map((m) => m.name)), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}

/** JSONEachRow text -> a JSON array, one row per line. */
export function jsonArray(jsonEachRow: string): string {
  const lines = jsonEachRow.split('\n').filter((l) => l.trim() !== '');
  return lines.length === 0 ? '[]\n' : `[\n${lines.join(',\n')}\n]\n`;
}
