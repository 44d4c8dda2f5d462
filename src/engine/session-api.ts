// The headless run that the CLI, the worker and the tests share: parse -> load data -> build -> train with
// probes -> diagnose. Implemented by session.ts; this file is the contract between them.
import type { SpecIssue } from './spec/model-spec';
import type { DType, EpochMetrics, Finding, ModelSummary, ProbeSnapshot, RunSummary, StepMetrics, VisualSnapshot } from './types';

export interface SessionOptions {
  /**
   * Probe every N steps; 0 disables probes, and so the rules that read them (gradients, activations, update
   * ratios, batch norm). The rules on epoch metrics (loss, validation, NaN) still run. Default DEFAULT_PROBE_EVERY.
   */
  probeEvery?: number;
  thresholds?: Record<string, Record<string, number>>;
  epochs?: number;
  seed?: number;
  dtype?: DType;
  /**
   * Take the panel's pictures (decision boundary, layer distributions) at most every `everyMs` of `clock`
   * (performance.now by default; a recording may pass a clock of its own to picture every step). Absent: none.
   */
  visuals?: { everyMs: number; clock?: () => number };
  /** At most this many threads for the matrix products (0 or undefined: every core). */
  threads?: number;
  /** Yield to the event loop this often (ms) so stop/pause are seen; default 20. */
  yieldEveryMs?: number;
}

export interface SessionCallbacks {
  onStart?(model: ModelSummary): void;
  onStep?(metrics: StepMetrics): void;
  onEpoch?(metrics: EpochMetrics): void;
  onProbe?(snapshot: ProbeSnapshot): void;
  onVisual?(snapshot: VisualSnapshot): void;
  /** Live findings, re-evaluated after each epoch (full list each time). */
  onFindings?(findings: Finding[]): void;
}

export interface SessionResult {
  summary: RunSummary;
  findings: Finding[];
  model: ModelSummary;
  epochs: EpochMetrics[];
  probes: ProbeSnapshot[];
}

/** Thrown (rejected) when the model text is invalid: carries positioned issues. */
export class InvalidModelError extends Error {
  constructor(
    readonly file: string,
    readonly issues: SpecIssue[],
  ) {
    super(issues.filter((i) => i.severity === 'error').map((i) => `${file}: ${i.message}`).join('\n') || `${file}: invalid model`);
    this.name = 'InvalidModelError';
  }
}

export interface TrainingSessionLike {
  run(): Promise<SessionResult>;
  stop(): void;
  pause(): void;
  resume(): void;
}
