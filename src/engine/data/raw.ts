// Data as a source produces it, before the subset, split and preprocessing steps shared by every source.
import type { Task } from '../spec/model-spec';

export interface RawData {
  task: Task;
  n: number;
  inputs: number;
  /** [n × inputs], row-major. */
  x: Float64Array;
  /** Classification: class index per sample. */
  labels: Int32Array;
  /** Regression: [n × outputs]. */
  targets: Float64Array;
  /** Classification: classes; regression: target columns. */
  outputs: number;
  featureNames: string[];
  classNames: string[] | null;
  /** The rows are already in the order the seeded split puts them (a sampled CSV file placed them as they were kept). */
  inSplitOrder?: boolean;
}

export function classificationData(x: Float64Array, labels: Int32Array, inputs: number, featureNames: string[], classNames: string[]): RawData {
  return { task: 'classification', n: labels.length, inputs, x, labels, targets: new Float64Array(0), outputs: classNames.length, featureNames, classNames };
}

export function regressionData(x: Float64Array, targets: Float64Array, inputs: number, outputs: number, featureNames: string[]): RawData {
  return { task: 'regression', n: targets.length / outputs, inputs, x, labels: new Int32Array(0), targets, outputs, featureNames, classNames: null };
}
