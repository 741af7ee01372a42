/**
 * CLIENT PAUSE WRITE as manual failover uses it (networking.c pauseClients with
 * PAUSE_DURING_FAILOVER): write commands of normal clients wait, they are not
 * refused, until the pause ends by time or by resume().
 */
export class WritePause {
  private untilMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];

  constructor(private readonly now: () => number) {}

  pause(untilMs: number): void {
    this.untilMs = Math.max(this.untilMs, untilMs);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), Math.max(0, this.untilMs - this.now()));
    this.timer.unref?.();
  }

  resume(): void {
    this.untilMs = 0;
    this.check();
  }

  get paused(): boolean {
    return this.untilMs > this.now();
  }

  /** A promise that settles when writes may run again, or undefined when they may now. */
  wait(): Promise<void> | undefined {
    if (!this.paused) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private check(): void {
    if (this.paused) {
      this.pause(this.untilMs);
      return;
    }
    clearTimeout(this.timer);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
