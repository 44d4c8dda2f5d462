// From dataset rows to what the loss needs: the model's output width for a task, dense target rows
// (one-hot classes, a single 0/1 column for two classes on one output, or regression targets), and
// correct-prediction counts for accuracy.
import type { FloatArray } from '../types';
import type { ModelSpec } from '../spec/model-spec';
import { inferShapes, shapeSize } from '../spec/layer-kinds';
import type { Dataset, Split, TargetScale } from '../data/dataset';
import type { Kernels } from '../kernels/kernels';
import { kernelGatherRows } from '../kernels/select';

/**
 * The width the last layer must have: the class count (or 1 for two classes with a single sigmoid/MSE
 * output) for classification, the target column count for regression.
 */
export function requiredOutputWidth(spec: ModelSpec, data: Dataset): number {
  if (data.task === 'regression') return data.outputs;
  const shaped = inferShapes(spec.layers, data.inputShape ?? [data.inputs]);
  const last = shaped.layers[shaped.layers.length - 1];
  const modelWidth = shaped.problem || !last ? -1 : shapeSize(last.output);
  const binarySingle = data.outputs === 2 && modelWidth === 1 && spec.loss !== 'softmax-cross-entropy';
  return binarySingle ? 1 : data.outputs;
}

/**
 * Copies rows `order[start..start+batch)` of `split` into x [batch × inputs] and y [batch × width]; the inputs
 * through wasm when `kernels` is the wasm path and x is kernel memory (the same float32 values).
 */
export function gatherBatch(
  split: Split,
  task: Dataset['task'],
  inputs: number,
  width: number,
  order: Int32Array,
  start: number,
  batch: number,
  x: FloatArray,
  y: FloatArray,
  labels: Int32Array,
  kernels: Kernels | null = null,
): void {
  const copied = kernels !== null && kernelGatherRows(kernels, split.x, order, start, batch, inputs, x);
  for (let r = 0; r < batch; r++) {
    const row = order[start + r];
    if (!copied) {
      const src = row * inputs;
      const dst = r * inputs;
      for (let j = 0; j < inputs; j++) x[dst + j] = split.x[src + j];
    }
    const yo = r * width;
    if (task === 'regression') {
      for (let j = 0; j < width; j++) y[yo + j] = split.targets[row * width + j];
      labels[r] = -1;
    } else {
      const label = split.labels[row];
      labels[r] = label;
      if (width === 1) y[yo] = label;
      else for (let j = 0; j < width; j++) y[yo + j] = j === label ? 1 : 0;
    }
  }
}

/**
 * Correct predictions in a batch: argmax over outputs, or output > threshold for a single output
 * (0.5 on probabilities, 0 on raw logits).
 */
export function countCorrect(output: FloatArray, labels: Int32Array, batch: number, width: number, threshold: number): number {
  let correct = 0;
  for (let r = 0; r < batch; r++) {
    const o = r * width;
    let predicted: number;
    if (width === 1) {
      predicted = output[o] > threshold ? 1 : 0;
    } else {
      predicted = 0;
      for (let j = 1; j < width; j++) if (output[o + j] > output[o + predicted]) predicted = j;
    }
    if (predicted === labels[r]) correct++;
  }
  return correct;
}

/**
 * The mean squared error in the targets' original units, from outputs and targets on the standardised
 * scale: each column's squared error times its divisor squared, so a user sees the loss of the
 * predictions mapped back (output · divisor + mean), whatever scaling trained the network.
 */
export function unscaledMse(output: ArrayLike<number>, y: ArrayLike<number>, batch: number, width: number, scale: TargetScale): number {
  let sum = 0;
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < width; j++) {
      const d = (output[r * width + j] - y[r * width + j]) * scale.divisor[j];
      sum += d * d;
    }
  }
  return sum / (batch * width);
}
