// A loaded, split and preprocessed dataset, ready for the trainer. Features are row-major [n × inputs].
import type { Task } from '../spec/model-spec';

export interface Split {
  n: number;
  /** [n × inputs] features after preprocessing. */
  x: Float64Array;
  /** Classification: class index per sample. Empty for regression. */
  labels: Int32Array;
  /** Regression: [n × outputs] targets. Empty for classification. */
  targets: Float64Array;
}

export interface Dataset {
  task: Task;
  inputs: number;
  /** [C, H, W] for images (`inputs` = C·H·W, channel-major); absent: `inputs` flat features. */
  inputShape?: readonly number[];
  /** Classification: number of classes. Regression: number of target columns. */
  outputs: number;
  featureNames: string[];
  classNames: string[] | null;
  train: Split;
  val: Split;
  /** Statistics of the raw training features (before preprocessing), for the unnormalized-input rule. */
  rawStats: { mean: Float64Array; std: Float64Array; min: Float64Array; max: Float64Array };
  /**
   * Regression with `targetScaling: "standardize"`: the training mean and divisor (std, or 1 for a constant
   * column) of each target column; the split targets hold (raw - mean) / divisor. Null otherwise.
   */
  targetScale: TargetScale | null;
}

export interface TargetScale {
  mean: Float64Array;
  divisor: Float64Array;
}

/** An open data file, read front to back in chunks, or by position (a sample's scan). */
export interface ByteReader {
  /** Fills the start of `into`; returns how many bytes it wrote, 0 at the end of the file. */
  read(into: Uint8Array): number;
  /** Fills the start of `into` from byte `position` of the file (the sequential read stays where it is); 0 past its end. */
  readAt(into: Uint8Array, position: number): number;
  /** Called with the bytes read so far by a reader that reads out of order (a sample's scan). */
  progress?(bytes: number): void;
  close(): void;
}

/** A workspace file the engine reads itself, in chunks (the host resolves and opens it; the engine stays free of fs). */
export interface DataFileSource {
  /** Size in bytes. */
  size: number;
  /** Its path on this machine, for helper threads that read it beside the caller (none: only the caller reads it). */
  path?: string;
  open(): ByteReader;
}

/** Workspace files a model may read, keyed by the path written in the model: their text, or a source to stream. */
export type DataFiles = Record<string, string | DataFileSource>;
