import { existsSync, readFileSync } from 'node:fs';
import type { LocalClusterState } from '../../cluster/launcher/state-file.js';
import type { TrafficRow } from '../../telemetry/rows.js';

/** Every traffic row the proxies of a cluster wrote so far (their JSON-lines files). */
export function readProxyRows(state: LocalClusterState): TrafficRow[] {
  const rows: TrafficRow[] = [];
  for (const p of state.proxies) {
    if (!p.out || !existsSync(p.out)) continue;
    for (const line of readFileSync(p.out, 'utf8').split('\n')) {
      if (line.trim() !== '') rows.push(JSON.parse(line) as TrafficRow);
    }
  }
  return rows;
}

/** Bytes per `node|channel|direction` (or any other key). */
export function sumBy(rows: readonly TrafficRow[], key: (r: TrafficRow) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + r.bytes);
  return out;
}
