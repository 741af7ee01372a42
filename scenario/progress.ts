/**
 * One progress line per step on stderr: `[2/6 3-1 64MiB lp-pull] event 3/10 ... elapsed
 * 1m20s ETA 14m`. The ETA is the remaining sub-runs' estimates, corrected by how far the
 * finished ones were off (actual / estimated).
 */
export class Progress {
  private readonly started = Date.now();
  private doneEstimateS = 0;
  private doneActualS = 0;
  private current = '';
  private subStarted = Date.now();

  constructor(private readonly estimatesS: number[], private readonly write: (line: string) => void) {}

  begin(index: number, label: string): void {
    this.current = `[${index + 1}/${this.estimatesS.length} ${label}]`;
    this.subStarted = Date.now();
  }

  end(index: number, actualS: number): void {
    this.doneEstimateS += this.estimatesS[index]!;
    this.doneActualS += actualS;
    this.current = '';
  }

  /** Seconds left from inside sub-run `index` (its own time so far subtracted). */
  etaS(index: number): number {
    const left = this.estimatesS.slice(index).reduce((a, b) => a + b, 0);
    const factor = this.doneEstimateS > 0 ? this.doneActualS / this.doneEstimateS : 1;
    const inCurrent = this.current ? (Date.now() - this.subStarted) / 1000 : 0;
    return Math.max(0, left * factor - inCurrent);
  }

  line(text: string, index: number): void {
    const elapsed = (Date.now() - this.started) / 1000;
    this.write(`${this.current ? `${this.current} ` : ''}${text}  elapsed ${clock(elapsed)} ETA ${clock(this.etaS(index))}`);
  }
}

export function clock(s: number): string {
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
