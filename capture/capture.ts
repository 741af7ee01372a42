import type { EventRow, RowSink } from '../telemetry/rows.js';
import { Attribution, type CaptureTotals } from './attribution.js';
import { decodeTcp, newPacket } from './decode.js';
import { type PacketDevice, openDevice } from './device.js';
import type { CapLoader } from './load-cap.js';
import { type KernelCounts, PcapStats, packetSocketFds } from './pcap-stats.js';
import type { PortMap } from './port-map.js';

/**
 * A running capture: device -> decode -> attribution -> rows every 100 ms (STYLE.md 7).
 *
 *   libpcap ring --pcap_dispatch--> 'packet' (cap) --decodeTcp--> Attribution.packet
 *                                                   every 100 ms: tick -> sink (traffic)
 *   kernel PACKET_STATISTICS --python3 helper, every second--> received / dropped
 *
 * The capture also writes one `events` row (kind `capture`): at start (running) and at
 * stop (ok, or failed when the kernel dropped packets), whose detail holds the
 * interface, the filter, the kernel counters and the capture's totals.
 */
export interface CaptureOptions {
  iface: string;
  filter: string;
  leg: string;
  ports: () => PortMap;
  namesKnown?: () => boolean;
  runId: string;
  sink: RowSink;
  bufferBytes: number;
  log: (line: string) => void;
  verbose?: boolean;
  load?: CapLoader;
  /** How often the kernel counters are read (and a drop is logged). */
  statsEveryMs?: number;
}

export interface CaptureSummary {
  kernel: KernelCounts | { unavailable: string };
  totals: CaptureTotals;
}

export class Capture {
  private readonly attribution: Attribution;
  private readonly device: PacketDevice;
  private readonly timers: NodeJS.Timeout[] = [];
  private kernel?: KernelCounts;
  private readonly startMs = Date.now();
  private readonly eventId: string;

  private stats?: PcapStats;

  private constructor(private readonly o: CaptureOptions) {
    this.eventId = `capture-${o.iface}-${process.pid}-${this.startMs}`;
    this.attribution = new Attribution({ runId: o.runId, ports: o.ports, namesKnown: o.namesKnown, sink: o.sink, log: o.verbose ? o.log : undefined });
    const pkt = newPacket();
    const a = this.attribution;
    this.device = openDevice({
      iface: o.iface,
      filter: o.filter,
      bufferBytes: o.bufferBytes,
      load: o.load,
      onPacket: (buf, caplen) => {
        if (decodeTcp(buf, caplen, pkt)) a.packet(pkt, buf, caplen, Date.now());
        else a.other(caplen);
      },
    });
  }

  static async start(o: CaptureOptions): Promise<Capture> {
    const before = new Set(packetSocketFds());
    const c = new Capture(o);
    // The packet socket libpcap just opened: the one descriptor that was not there before.
    c.stats = await PcapStats.start(packetSocketFds().find((fd) => !before.has(fd)));
    const stats = c.stats;
    await c.readKernel();
    if (stats.unavailable) o.log(`kernel drop counters unavailable: ${stats.unavailable}`);
    c.timers.push(setInterval(() => c.attribution.tick(Date.now()), 100));
    c.timers.push(setInterval(() => void c.readKernel(), o.statsEveryMs ?? 1000));
    c.event('running', 0);
    return c;
  }

  totals(): CaptureTotals {
    return this.attribution.totals();
  }

  /** Stops capturing: reads the kernel counters a last time, emits every count, writes the event row. */
  async stop(): Promise<CaptureSummary> {
    for (const t of this.timers) clearInterval(t);
    await this.readKernel();
    this.device.close();
    this.stats?.close();
    this.attribution.tick(Date.now(), true);
    const summary = this.summary();
    const dropped = 'dropped' in summary.kernel ? summary.kernel.dropped : 0;
    this.event(dropped > 0 || summary.totals.missingBytes > 0 ? 'failed' : 'ok', Date.now());
    return summary;
  }

  summary(): CaptureSummary {
    return { kernel: this.kernel ?? { unavailable: this.stats?.unavailable ?? 'not read' }, totals: this.totals() };
  }

  private async readKernel(): Promise<void> {
    const before = this.kernel?.dropped ?? 0;
    const k = await this.stats?.read();
    if (!k) return;
    this.kernel = k;
    if (k.dropped > before) this.o.log(`the kernel dropped ${k.dropped - before} packets (ring full; raise --buffer-mb): ${k.dropped} of ${k.received} so far`);
  }

  private event(status: EventRow['status'], endMs: number): void {
    const detail = { iface: this.o.iface, filter: this.o.filter, leg: this.o.leg, pid: process.pid, ...this.summary() };
    this.o.sink.write('events', [{
      run_id: this.o.runId, event_id: this.eventId, parent_id: '', kind: 'capture', node: '',
      start_ms: this.startMs, end_ms: endMs, status, detail: JSON.stringify(detail),
    }]);
  }
}
