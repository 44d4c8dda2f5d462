// Live training data is produced far faster than anyone can look at it. The worker gathers it into one
// batch and sends at most `maxPerSecond` batches, and only while fewer than `window` batches are
// unacknowledged, so a fast model cannot flood the extension host or the webview. The pending batch is a
// run history (shared/history.ts), bounded and thinned as every holder's is when the host falls behind.
import type { EpochMetrics, Finding, ProbeSnapshot, ProgressBatch, StepMetrics, VisualSnapshot } from '../shared/protocol';
import { RunHistory } from '../shared/history';

export interface CoalescerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: CoalescerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class ProgressCoalescer {
  private pending = new RunHistory();
  private seq = 0;
  private acked = 0;
  private lastSent = -Infinity;
  private timer: unknown = null;
  private readonly minIntervalMs: number;

  constructor(
    private readonly send: (seq: number, batch: ProgressBatch) => void,
    maxPerSecond: number,
    private readonly window = 4,
    private readonly clock: CoalescerClock = realClock,
  ) {
    this.minIntervalMs = 1000 / Math.max(1, Math.min(maxPerSecond, 60));
  }

  addStep(m: StepMetrics): void {
    this.pending.steps.push(m);
    this.schedule();
  }

  addEpoch(m: EpochMetrics): void {
    this.pending.epochs.push(m);
    this.schedule();
  }

  addProbe(p: ProbeSnapshot): void {
    this.pending.absorb({ steps: [], epochs: [], probes: [p], findings: null });
    this.schedule();
  }

  addVisual(v: VisualSnapshot): void {
    this.pending.absorb({ steps: [], epochs: [], probes: [], findings: null, visuals: [v] });
    this.schedule();
  }

  setFindings(f: Finding[]): void {
    this.pending.findings = f;
    this.schedule();
  }

  ack(seq: number): void {
    this.acked = Math.max(this.acked, seq);
    this.schedule();
  }

  get sent(): number {
    return this.seq;
  }

  /** Sends whatever is pending now, ignoring rate and window (end of run). */
  flush(): void {
    this.cancelTimer();
    if (this.hasPending()) this.emit();
  }

  dispose(): void {
    this.cancelTimer();
  }

  private hasPending(): boolean {
    return !this.pending.isEmpty;
  }

  private schedule(): void {
    if (this.timer !== null || !this.hasPending()) return;
    if (this.seq - this.acked >= this.window) return; // the next ack calls schedule again
    const wait = Math.max(0, this.lastSent + this.minIntervalMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.hasPending() && this.seq - this.acked < this.window) this.emit();
    }, wait);
  }

  private emit(): void {
    const batch: ProgressBatch = this.pending.toBatch();
    this.pending = new RunHistory();
    this.lastSent = this.clock.now();
    this.send(++this.seq, batch);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
