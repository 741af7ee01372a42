import { queryRows, type Store } from '../telemetry/store.js';
import type { ChannelBytes } from './traffic-files.js';

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Bytes per channel in [from, to) from the store's proxy rows of one run: what
 * traffic-files.ts sums from the JSON lines when the proxies write to the store instead
 * (`up` with a store, `kvnetlab run migration`).
 */
export async function channelBytesFromStore(store: Pick<Store, 'query'>, runId: string, from: number, to: number): Promise<ChannelBytes> {
  const rows = await queryRows(store, `SELECT channel, sum(bytes) AS bytes FROM traffic
    WHERE run_id = ${quote(runId)} AND source = 'proxy' AND ts_ms >= ${from} AND ts_ms < ${to} GROUP BY channel`);
  return Object.fromEntries(rows.map((r) => [String(r.channel), Number(r.bytes)]));
}

/**
 * Waits until every proxy of the run has rows at or after `untilMs` (the bus keeps each
 * one busy about once a second), so the sums above are complete: the proxies flush every
 * 100 ms, the collector batches, and the rows of one bucket reach the store at different
 * times. Gives up after `timeoutMs` and says so: the sums may then be short.
 */
export async function settleStore(store: Pick<Store, 'query'>, runId: string, nodes: number, untilMs: number, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await queryRows(store, `SELECT count() AS n, min(last) AS oldest FROM (SELECT node, max(ts_ms) AS last FROM traffic
      WHERE run_id = ${quote(runId)} AND source = 'proxy' AND ts_ms >= ${untilMs - 60_000} GROUP BY node)`);
    const r = rows[0];
    if (r && Number(r.n) >= nodes && Number(r.oldest) >= untilMs) return;
    if (Date.now() > deadline) {
      log(`store: the proxies' rows up to ${new Date(untilMs).toISOString()} did not all arrive in ${timeoutMs} ms; byte sums may be short`);
      return;
    }
    await new Promise((res) => setTimeout(res, 250));
  }
}
