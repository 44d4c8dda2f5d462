// Element-wise activations and the row-wise softmax. Backward passes use the saved output where the
// derivative is a function of it (sigmoid, tanh, softmax) and the saved input otherwise (ReLU family).
import type { FloatArray } from '../types';
import type { ActivationKind, ActivationSpec } from '../spec/model-spec';
import type { Layer, Param, StateBuffer } from './layer';
import { BatchCache, type Alloc } from './buffers';
import { shapeSize, type Shape } from '../spec/layer-kinds';
import { kernelActivation, kernelActivationGrad } from '../kernels/select';

interface ActBuffers {
  out: FloatArray;
  dIn: FloatArray;
}

export class ActivationLayer implements Layer {
  readonly params: Param[] = [];
  readonly state: StateBuffer[] = [];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly outputShape: Shape;
  lastInput: FloatArray | null = null;
  lastOutput: FloatArray | null = null;
  private readonly buffers: BatchCache<ActBuffers>;

  constructor(
    readonly spec: ActivationSpec,
    readonly position: number,
    readonly inputShape: Shape,
    alloc: Alloc,
  ) {
    const inputSize = shapeSize(inputShape);
    this.inputSize = inputSize;
    this.outputSize = inputSize;
    this.outputShape = inputShape;
    this.buffers = new BatchCache((batch) => ({ out: alloc(batch * inputSize), dIn: alloc(batch * inputSize) }));
  }

  get kind(): ActivationKind {
    return this.spec.kind;
  }

  forward(input: FloatArray, batch: number): FloatArray {
    const { out } = this.buffers.get(batch);
    const n = batch * this.inputSize;
    const alpha = this.spec.alpha;
    // The piecewise-linear kinds run in wasm SIMD when the buffers are kernel memory; the loops are the fallback.
    if (!kernelActivation(this.spec.kind, alpha, input, out, n)) switch (this.spec.kind) {
      case 'sigmoid':
        for (let i = 0; i < n; i++) out[i] = sigmoid(input[i]);
        break;
      case 'tanh':
        for (let i = 0; i < n; i++) out[i] = Math.tanh(input[i]);
        break;
      case 'relu':
        for (let i = 0; i < n; i++) out[i] = input[i] > 0 ? input[i] : 0;
        break;
      case 'leaky-relu':
        for (let i = 0; i < n; i++) out[i] = input[i] > 0 ? input[i] : alpha * input[i];
        break;
      case 'relu6':
        for (let i = 0; i < n; i++) out[i] = input[i] <= 0 ? 0 : input[i] >= 6 ? 6 : input[i];
        break;
      case 'linear':
        for (let i = 0; i < n; i++) out[i] = input[i];
        break;
      case 'softmax':
        softmaxRows(input, out, batch, this.inputSize);
        break;
    }
    this.lastInput = input;
    this.lastOutput = out;
    return out;
  }

  backward(gradOutput: FloatArray, batch: number): FloatArray {
    const { dIn } = this.buffers.get(batch);
    const x = this.lastInput!;
    const y = this.lastOutput!;
    const n = batch * this.inputSize;
    const alpha = this.spec.alpha;
    if (!kernelActivationGrad(this.spec.kind, alpha, x, gradOutput, dIn, n)) switch (this.spec.kind) {
      case 'sigmoid':
        for (let i = 0; i < n; i++) dIn[i] = gradOutput[i] * y[i] * (1 - y[i]);
        break;
      case 'tanh':
        for (let i = 0; i < n; i++) dIn[i] = gradOutput[i] * (1 - y[i] * y[i]);
        break;
      case 'relu':
        for (let i = 0; i < n; i++) dIn[i] = x[i] > 0 ? gradOutput[i] : 0;
        break;
      case 'leaky-relu':
        for (let i = 0; i < n; i++) dIn[i] = x[i] > 0 ? gradOutput[i] : alpha * gradOutput[i];
        break;
      case 'relu6':
        for (let i = 0; i < n; i++) dIn[i] = x[i] > 0 && x[i] < 6 ? gradOutput[i] : 0;
        break;
      case 'linear':
        for (let i = 0; i < n; i++) dIn[i] = gradOutput[i];
        break;
      case 'softmax': {
        // Jacobian-vector product of softmax: dx = y ⊙ (dy - <dy, y>) per row.
        const k = this.inputSize;
        for (let r = 0; r < batch; r++) {
          const o = r * k;
          let dot = 0;
          for (let j = 0; j < k; j++) dot += gradOutput[o + j] * y[o + j];
          for (let j = 0; j < k; j++) dIn[o + j] = y[o + j] * (gradOutput[o + j] - dot);
        }
        break;
      }
    }
    return dIn;
  }
}

export function sigmoid(z: number): number {
  // Two branches keep exp() from overflowing for large |z|.
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Row-wise softmax with the max subtracted first, so large logits cannot overflow. */
export function softmaxRows(input: FloatArray, out: FloatArray, batch: number, k: number): void {
  for (let r = 0; r < batch; r++) {
    const o = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) if (input[o + j] > max) max = input[o + j];
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(input[o + j] - max);
      out[o + j] = e;
      sum += e;
    }
    for (let j = 0; j < k; j++) out[o + j] /= sum;
  }
}
