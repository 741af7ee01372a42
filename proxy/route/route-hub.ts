import type { ClientSwitch } from './client-switch.js';
import type { RouteControl } from './control.js';
import { type Dest, ProxyMigration } from './proxy-migration.js';

/**
 * A proxy's routing state: at most one open migration (this proxy's node is its source)
 * and the client connections that can be taken over. The control connection drives it
 * (route/control.ts); NodeProxy registers every client-port connection's switch.
 */
export class RouteHub implements RouteControl {
  readonly switches = new Set<ClientSwitch>();
  private mig?: ProxyMigration;

  constructor(private readonly log: (line: string) => void, private readonly openTimeoutMs = 5000) {}

  current(): ProxyMigration | undefined {
    return this.mig && !this.mig.closed ? this.mig : undefined;
  }

  /** Opens the migration; resolves once every client connection is routed and its earlier replies passed. */
  async open(dest: Dest, slots: number[]): Promise<ProxyMigration> {
    if (this.current()) throw new Error(`a migration to ${this.mig!.dest.host}:${this.mig!.dest.port} is open already`);
    const mig = new ProxyMigration(dest, slots, this.log);
    this.mig = mig;
    const waits = [...this.switches].map((sw) => sw.startRouting(mig)).filter((p) => p !== undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${waits.length} client connection(s) not at a command boundary within ${this.openTimeoutMs} ms`)), this.openTimeoutMs);
    });
    try {
      await Promise.race([Promise.all(waits), late]);
    } catch (e) {
      mig.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    this.log(`migration to ${dest.host}:${dest.port} open: ${slots.length} group(s), ${waits.length} connection(s) taken over`);
    return mig;
  }

  close(): void {
    this.mig?.close();
  }

  status(): Record<string, unknown> {
    const routed = [...this.switches].filter((s) => s.route).length;
    const m = this.mig;
    return m
      ? { open: !m.closed, dest: `${m.dest.host}:${m.dest.port}`, groups: m.groups.counts(), handedOver: m.handedOver.size, routed }
      : { open: false, routed };
  }
}
