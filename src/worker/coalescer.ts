// Live training data is produced far faster than anyone can look at it. The worker gathers it into one
// batch and sends at most `maxPerSecond` batches, and only while fewer than `window` batches are
// unacknowledged, so a fast model cannot flood the extension host or the webview. The pending batch
// is thinned when the host falls behind, which keeps memory bounded.
import { keepPictures, type EpochMetrics, type Finding, type ProbeSnapshot, type ProgressBatch, type StepMetrics, type VisualSnapshot } from '../shared/protocol';

const MAX_PENDING_STEPS = 2000;
const MAX_PENDING_PROBES = 400;

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

/** Keeps every other entry: halves a list while preserving its shape over time. */
function thin<T>(items: T[]): T[] {
  return items.filter((_, i) => i % 2 === 1 || i === items.length - 1);
}

export class ProgressCoalescer {
  private steps: StepMetrics[] = [];
  private epochs: EpochMetrics[] = [];
  private probes: ProbeSnapshot[] = [];
  private findings: Finding[] | null = null;
  private visuals: VisualSnapshot[] = [];
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
    this.steps.push(m);
    if (this.steps.length > MAX_PENDING_STEPS) this.steps = thin(this.steps);
    this.schedule();
  }

  addEpoch(m: EpochMetrics): void {
    this.epochs.push(m);
    this.schedule();
  }

  addProbe(p: ProbeSnapshot): void {
    this.probes.push(p);
    if (this.probes.length > MAX_PENDING_PROBES) this.probes = thin(this.probes);
    this.schedule();
  }

  addVisual(v: VisualSnapshot): void {
    this.visuals = keepPictures(this.visuals, [v]);
    this.schedule();
  }

  setFindings(f: Finding[]): void {
    this.findings = f;
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
    return this.steps.length > 0 || this.epochs.length > 0 || this.probes.length > 0 || this.findings !== null || this.visuals.length > 0;
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
    const batch: ProgressBatch = { steps: this.steps, epochs: this.epochs, probes: this.probes, findings: this.findings, visuals: this.visuals };
    this.visuals = [];
    this.steps = [];
    this.epochs = [];
    this.probes = [];
    this.findings = null;
    this.lastSent = this.clock.now();
    this.send(++this.seq, batch);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
