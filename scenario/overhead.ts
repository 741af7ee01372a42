/**
 * Per-event network overhead (DESIGN.md "Measurement definitions"): the bytes in the
 * event's window minus what the run's baseline rate would have sent in the same time,
 * per channel. Pure arithmetic on the store's 100 ms traffic buckets:
 *
 *   warm-up end                                                      measure end
 *   |--- baseline ---|=== event A ===|--- baseline ---|== event B ==|--- baseline ---|
 *
 *   baseline rate[ch] = bytes[ch] in buckets outside every event window / their length
 *   extra[ch]         = bytes[ch] in the window - round(rate[ch] x window length)
 *
 * Windows are widened to whole buckets (start floored, end ceiled to 100 ms), because a
 * bucket's bytes cannot be split. The rows are the proxies' (each byte counted once, by
 * the proxy of the node it was accepted for), both directions summed.
 */

export const BUCKET_MS = 100;
export const CHANNELS = ['client', 'replication', 'bus', 'migration'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/** Bytes of one channel in one 100 ms bucket, summed over nodes and directions. */
export interface BucketBytes {
  ts_ms: number;
  channel: string;
  bytes: number;
}

export interface Window {
  id: string;
  kind: string;
  startMs: number;
  endMs: number;
}

export interface ChannelOverhead {
  /** Bytes in the (bucket-aligned) window. */
  bytes: number;
  /** What the baseline rate sends in the same length (rounded to a byte). */
  baseline: number;
  /** bytes - baseline: the event's cost; negative when the window was quieter. */
  extra: number;
}

export interface EventOverhead {
  window: Window;
  /** Length of the bucket-aligned window. */
  windowMs: number;
  channels: Record<ChannelName, ChannelOverhead>;
  totalExtra: number;
}

export interface Baseline {
  /** Length of all baseline buckets together. */
  ms: number;
  bytes: Record<ChannelName, number>;
}

const floorTo = (t: number) => Math.floor(t / BUCKET_MS) * BUCKET_MS;
const ceilTo = (t: number) => Math.ceil(t / BUCKET_MS) * BUCKET_MS;
const zeroChannels = (): Record<ChannelName, number> => ({ client: 0, replication: 0, bus: 0, migration: 0 });
const isChannel = (c: string): c is ChannelName => (CHANNELS as readonly string[]).includes(c);

function aligned(w: Window): { start: number; end: number } {
  return { start: floorTo(w.startMs), end: Math.max(ceilTo(w.endMs), floorTo(w.startMs) + BUCKET_MS) };
}

/**
 * The baseline of [fromMs, toMs): every bucket there outside all event windows, empty
 * buckets included (the proxy writes no row for a bucket without bytes).
 */
export function baselineOf(rows: readonly BucketBytes[], windows: readonly Window[], fromMs: number, toMs: number): Baseline {
  const from = ceilTo(fromMs);
  const to = floorTo(toMs);
  const spans = windows.map(aligned);
  const inEvent = (t: number) => spans.some((s) => t >= s.start && t < s.end);
  let buckets = 0;
  for (let t = from; t < to; t += BUCKET_MS) if (!inEvent(t)) buckets++;
  const bytes = zeroChannels();
  for (const r of rows) {
    if (r.ts_ms < from || r.ts_ms >= to || inEvent(r.ts_ms) || !isChannel(r.channel)) continue;
    bytes[r.channel] += r.bytes;
  }
  return { ms: buckets * BUCKET_MS, bytes };
}

/** The overhead of every window against the baseline of [fromMs, toMs). */
export function eventOverheads(rows: readonly BucketBytes[], windows: readonly Window[], fromMs: number, toMs: number): EventOverhead[] {
  const base = baselineOf(rows, windows, fromMs, toMs);
  return windows.map((w) => {
    const { start, end } = aligned(w);
    const windowMs = end - start;
    const inWindow = zeroChannels();
    for (const r of rows) if (r.ts_ms >= start && r.ts_ms < end && isChannel(r.channel)) inWindow[r.channel] += r.bytes;
    const channels = {} as Record<ChannelName, ChannelOverhead>;
    let totalExtra = 0;
    for (const ch of CHANNELS) {
      // Integers throughout: round once, at the end, so equal inputs give equal bytes.
      const baseline = base.ms === 0 ? 0 : Math.round((base.bytes[ch] * windowMs) / base.ms);
      const extra = inWindow[ch] - baseline;
      channels[ch] = { bytes: inWindow[ch], baseline, extra };
      totalExtra += extra;
    }
    return { window: w, windowMs, channels, totalExtra };
  });
}

/** Bytes in a window (widened to whole buckets), all channels: e.g. the PATCH messages of a live patch. */
export function bytesIn(rows: readonly BucketBytes[], w: Window): number {
  const { start, end } = aligned(w);
  let n = 0;
  for (const r of rows) if (r.ts_ms >= start && r.ts_ms < end) n += r.bytes;
  return n;
}

/** Average bytes per second of per-second points [second start ms, bytes] over the whole seconds inside [fromMs, toMs). */
export function perSecondAverage(points: ReadonlyArray<readonly [number, number]>, fromMs: number, toMs: number): number {
  const from = Math.ceil(fromMs / 1000) * 1000;
  const to = Math.floor(toMs / 1000) * 1000;
  if (to <= from) return 0;
  let bytes = 0;
  for (const [t, b] of points) if (t >= from && t < to) bytes += b;
  return (bytes * 1000) / (to - from);
}

/** Average bytes per second over [fromMs, toMs), all channels. */
export function averageRate(rows: readonly BucketBytes[], fromMs: number, toMs: number): number {
  const from = ceilTo(fromMs);
  const to = floorTo(toMs);
  if (to <= from) return 0;
  let bytes = 0;
  for (const r of rows) if (r.ts_ms >= from && r.ts_ms < to) bytes += r.bytes;
  return (bytes * 1000) / (to - from);
}
