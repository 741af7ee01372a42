import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes per channel in [from, to) (row bucket start, ms), both directions, every node. */
export type ChannelBytes = Record<string, number>;

/**
 * Sums the proxies' rows in `<runDir>/proxy-<port>/traffic.jsonl` (what `up` writes with
 * `--proxy-sink jsonl`, the default without a store) by channel, for rows whose 100 ms
 * bucket starts in [from, to). With a store, the same sums are SQL (table.ts TABLE_SQL).
 */
export function channelBytesFromFiles(runDir: string, from: number, to: number): ChannelBytes {
  const out: ChannelBytes = {};
  for (const d of readdirSync(runDir).filter((x) => x.startsWith('proxy-'))) {
    let text: string;
    try {
      text = readFileSync(join(runDir, d, 'traffic.jsonl'), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('"traffic"')) continue;
      const r = JSON.parse(line) as { table: string; ts_ms: number; channel: string; bytes: number };
      if (r.table !== 'traffic' || r.ts_ms < from || r.ts_ms >= to) continue;
      out[r.channel] = (out[r.channel] ?? 0) + r.bytes;
    }
  }
  return out;
}
