import { queryRows, type Store } from '../telemetry/store.js';

/**
 * `kvnetlab check`: the proxy's counts against the capture's, per node and channel, for
 * one run. Both write TrafficRows into the same table; the capture's `bytes` are new TCP
 * payload bytes of the connections on the public ports, the proxy's the bytes it read
 * on the same connections (capture/README.md, "Which leg"), so the two must be equal.
 *
 *   overhead % = (wire bytes - payload bytes) / payload bytes x 100
 *   (what Ethernet, IP and TCP headers, bare ACKs and retransmissions add to the payload)
 */
export interface CheckLine {
  node: string;
  channel: string;
  proxyBytes: number;
  captureBytes: number;
  /** capture - proxy */
  diff: number;
  frames: number;
  wireBytes: number;
  retransmits: number;
  /** null when there is no payload to relate the headers to. */
  overheadPct: number | null;
}

export interface CaptureRun {
  status: string;
  detail: { iface?: string; filter?: string; kernel?: { received?: number; dropped?: number; unavailable?: string }; totals?: { missingBytes?: number; frames?: number } };
}

export interface CheckReport {
  lines: CheckLine[];
  captures: CaptureRun[];
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export async function checkRun(store: Pick<Store, 'query'>, runId: string): Promise<CheckReport> {
  const sums = await queryRows<{ node: string; channel: string; source: string; bytes: string; frames: string; wire: string; retrans: string }>(
    store,
    `SELECT node, channel, source, sum(bytes) AS bytes, sum(messages) AS frames, sum(wire_bytes) AS wire, sum(retransmits) AS retrans
     FROM traffic WHERE run_id = ${quote(runId)} GROUP BY node, channel, source ORDER BY node, channel, source`,
  );
  const byKey = new Map<string, CheckLine>();
  for (const r of sums) {
    const key = `${r.node}\0${r.channel}`;
    let l = byKey.get(key);
    if (!l) byKey.set(key, (l = { node: r.node, channel: r.channel, proxyBytes: 0, captureBytes: 0, diff: 0, frames: 0, wireBytes: 0, retransmits: 0, overheadPct: null }));
    if (r.source === 'proxy') l.proxyBytes += Number(r.bytes);
    else {
      l.captureBytes += Number(r.bytes);
      l.frames += Number(r.frames);
      l.wireBytes += Number(r.wire);
      l.retransmits += Number(r.retrans);
    }
  }
  const lines = [...byKey.values()];
  for (const l of lines) {
    l.diff = l.captureBytes - l.proxyBytes;
    l.overheadPct = l.captureBytes > 0 ? ((l.wireBytes - l.captureBytes) / l.captureBytes) * 100 : null;
  }
  const events = await queryRows<{ status: string; detail: string }>(
    store,
    `SELECT status, detail FROM events FINAL WHERE run_id = ${quote(runId)} AND kind = 'capture' ORDER BY start_ms`,
  );
  return { lines, captures: events.map((e) => ({ status: e.status, detail: JSON.parse(e.detail) as CaptureRun['detail'] })) };
}

const n = (x: number) => x.toLocaleString('en-US');

/** The report as aligned text: one line per node and channel, a total, then the capture's kernel counters. */
export function formatCheck(runId: string, r: CheckReport): string {
  const head = ['node', 'channel', 'proxy bytes', 'capture bytes', 'difference', 'frames', 'wire bytes', 'retransmits', 'overhead %'];
  const total: CheckLine = { node: 'total', channel: '', proxyBytes: 0, captureBytes: 0, diff: 0, frames: 0, wireBytes: 0, retransmits: 0, overheadPct: null };
  for (const l of r.lines) {
    total.proxyBytes += l.proxyBytes;
    total.captureBytes += l.captureBytes;
    total.frames += l.frames;
    total.wireBytes += l.wireBytes;
    total.retransmits += l.retransmits;
  }
  total.diff = total.captureBytes - total.proxyBytes;
  total.overheadPct = total.captureBytes > 0 ? ((total.wireBytes - total.captureBytes) / total.captureBytes) * 100 : null;
  const rows = [...r.lines, total].map((l) => [
    l.node, l.channel, n(l.proxyBytes), n(l.captureBytes), (l.diff > 0 ? '+' : '') + n(l.diff), n(l.frames), n(l.wireBytes), n(l.retransmits),
    l.overheadPct === null ? '-' : l.overheadPct.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = [`run ${runId}: proxy vs capture, payload bytes per node and channel`, fmt(head), ...rows.map(fmt)];
  if (r.captures.length === 0) out.push('no capture in this run (start one with `kvnetlab up --capture` or `kvnetlab capture`)');
  for (const c of r.captures) {
    const k = c.detail.kernel;
    const kernel = k && k.dropped !== undefined ? `kernel: ${n(k.received ?? 0)} packets received by the filter, ${n(k.dropped)} dropped` : `kernel counters unavailable (${k?.unavailable ?? 'no reading'})`;
    out.push(`capture on ${c.detail.iface} (${c.status}): ${kernel}; ${n(c.detail.totals?.missingBytes ?? 0)} stream bytes missed`);
  }
  return out.join('\n') + '\n';
}
