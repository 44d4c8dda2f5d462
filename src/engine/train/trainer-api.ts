// What the trainer promises to its callers (CLI, worker, tests). Implemented in train/trainer.ts.
import type { DType, EpochMetrics, ModelSummary, NonFiniteReport, RunSummary, StepMetrics } from '../types';
import type { TrainingObserver } from './observer';

export interface TrainerOptions {
  dtype?: DType;
  /** Overrides the spec's epochs. */
  epochs?: number;
  /** Overrides the spec's seed. */
  seed?: number;
  observers?: TrainingObserver[];
  /** At most this many threads for the matrix products (0 or undefined: every core); results do not depend on it. */
  threads?: number;
  /** Yield to the event loop at least this often (ms) so stop/pause messages are seen; 0 = never yield. */
  yieldEveryMs?: number;
}

export type TrainerEvent =
  | { type: 'start'; model: ModelSummary }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'non-finite'; report: NonFiniteReport }
  | { type: 'end'; summary: RunSummary };

export type TrainerListener = (event: TrainerEvent) => void;
