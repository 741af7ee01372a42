import { Counter, Gauge, type Registry } from 'prom-client';
import type { RowSink, RowsByTable, TableName } from '../telemetry/rows.js';
import type { KernelCounts } from './pcap-stats.js';

/**
 * The capture's Prometheus metrics (telemetry/METRICS.md). Like the proxy's, the byte
 * counters are fed from the rows handed to the sink (a pass-through stage in front of
 * it), so a scrape agrees with the store to the byte and costs nothing per packet; the
 * kernel's counters are read at scrape time from the capture's last reading.
 */
export const CAPTURE_METRICS = {
  bytes: 'kvnetlab_capture_bytes_total',
  wireBytes: 'kvnetlab_capture_wire_bytes_total',
  frames: 'kvnetlab_capture_frames_total',
  retransmits: 'kvnetlab_capture_retransmits_total',
  kernelReceived: 'kvnetlab_capture_kernel_received_packets',
  kernelDropped: 'kvnetlab_capture_kernel_dropped_packets',
} as const;

export class CaptureMetricsSink implements RowSink {
  private readonly bytes: Counter;
  private readonly wire: Counter;
  private readonly frames: Counter;
  private readonly retransmits: Counter;

  constructor(private readonly inner: RowSink, registry: Registry, kernel: () => KernelCounts | undefined) {
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['node', 'channel', 'direction'], registers: [registry] });
    this.bytes = counter(CAPTURE_METRICS.bytes, 'TCP payload bytes captured (a retransmitted byte once), by node, channel and direction from the node');
    this.wire = counter(CAPTURE_METRICS.wireBytes, 'Frame bytes on the wire (headers and retransmissions included)');
    this.frames = counter(CAPTURE_METRICS.frames, 'TCP segments captured (bare ACKs included)');
    this.retransmits = counter(CAPTURE_METRICS.retransmits, 'Segments whose payload had been seen before');
    const gauge = (name: string, help: string, pick: (k: KernelCounts) => number) => new Gauge({
      name, help, registers: [registry],
      collect() {
        const k = kernel();
        if (k) this.set(pick(k));
      },
    });
    gauge(CAPTURE_METRICS.kernelReceived, "Packets the kernel handed the capture socket (PACKET_STATISTICS, read every second)", (k) => k.received);
    gauge(CAPTURE_METRICS.kernelDropped, 'Packets the kernel dropped because the ring was full (raise --buffer-mb)', (k) => k.dropped);
  }

  write<T extends TableName>(table: T, rows: RowsByTable[T][]): void {
    if (table === 'traffic') {
      for (const r of rows as RowsByTable['traffic'][]) {
        const labels = { node: r.node, channel: r.channel, direction: r.direction };
        if (r.bytes > 0) this.bytes.inc(labels, r.bytes);
        if (r.wire_bytes > 0) this.wire.inc(labels, r.wire_bytes);
        if (r.messages > 0) this.frames.inc(labels, r.messages);
        if (r.retransmits > 0) this.retransmits.inc(labels, r.retransmits);
      }
    }
    this.inner.write(table, rows);
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
