import type { RowSink, RowsByTable, TableName } from '../telemetry/rows.js';

/** Bytes and messages the proxy handed its sink for one (node, channel, direction). */
export interface TrafficTotal {
  node: string;
  channel: string;
  direction: string;
  bytes: number;
  messages: number;
  rows: number;
}

/**
 * The proxy's own totals: a pass-through stage in front of the real sink (STYLE.md 7)
 * that sums every traffic row it forwards. The proxy logs them when it exits, after the
 * sink is closed, so what it counted over its whole life can be held against what the
 * store kept (test/proxy-store.test.ts): stored = totals - dropped, to the byte.
 *
 * Why a log line and not /metrics: the bus never goes quiet, so a scrape is a moment
 * that the store can only match if the whole cluster is frozen; the exit line is the
 * proxy's complete count at the instant its sink closes. Why not a second (JSON lines)
 * sink: that is another copy of the data with its own drops, and costs I/O per row.
 * This costs one Map update per row (10 rows per 100 ms per connection at most).
 */
export class TotalsSink implements RowSink {
  private readonly sums = new Map<string, TrafficTotal>();

  constructor(private readonly inner: RowSink) {}

  write<T extends TableName>(table: T, rows: RowsByTable[T][]): void {
    if (table === 'traffic') {
      for (const r of rows as RowsByTable['traffic'][]) {
        const key = `${r.node}\0${r.channel}\0${r.direction}`;
        let t = this.sums.get(key);
        if (!t) this.sums.set(key, (t = { node: r.node, channel: r.channel, direction: r.direction, bytes: 0, messages: 0, rows: 0 }));
        t.bytes += r.bytes;
        t.messages += r.messages;
        t.rows++;
      }
    }
    this.inner.write(table, rows);
  }

  /** Sums so far, in a stable order. */
  totals(): TrafficTotal[] {
    return [...this.sums.values()].sort((a, b) => `${a.node} ${a.channel} ${a.direction}`.localeCompare(`${b.node} ${b.channel} ${b.direction}`));
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  dropped(): Record<TableName, number> {
    return this.inner.dropped();
  }
}
