// Normalisation layers. Batch norm normalises each feature over the batch (each channel over the batch
// and its H·W positions on a [C, H, W] input); layer, group and instance norm normalise each sample over
// (groups of) its values. gamma and beta are per feature, or per channel on an image (layer norm: per value).
// The shared backward for a normalised set of size N with x̂ = (x - μ) / σ:
//   dx = (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)) / σ,   dx̂ = dy · gamma.
import type { FloatArray } from '../types';
import type { BatchNormSpec, GroupNormSpec, InstanceNormSpec, LayerNormSpec } from '../spec/model-spec';
import { isSpatial, shapeSize, type Shape } from '../spec/layer-kinds';
import type { BatchMoments, Layer, Param, StateBuffer } from './layer';
import { BatchCache, type Alloc } from './buffers';
import type { Kernels } from '../kernels/kernels';
import { kernelBatchNormBackward, kernelBatchNormForward } from '../kernels/select';

interface NormBuffers {
  out: FloatArray;
  dIn: FloatArray;
  xhat: FloatArray;
}

function gammaBeta(name: string, alloc: Alloc, n: number): [Param, Param] {
  const gamma: Param = { id: `${name}.gamma`, role: 'gamma', value: alloc(n).fill(1), grad: alloc(n), shape: [1, n], l1: 0, l2: 0 };
  const beta: Param = { id: `${name}.beta`, role: 'beta', value: alloc(n), grad: alloc(n), shape: [1, n], l1: 0, l2: 0 };
  return [gamma, beta];
}

/**
 * Batch norm. Training uses the batch's mean and (biased) variance and updates the running averages as
 * running = momentum · running + (1 - momentum) · batch (Keras convention: momentum is the weight of the
 * old value, e.g. 0.99); the running variance takes the unbiased batch variance. Evaluation uses the
 * running averages only. Over features on kernel memory, training runs the same float64 operations in the
 * wasm module (kernelBatchNormForward/Backward), several features per SIMD instruction, with the loops' bits.
 */
export class BatchNormLayer implements Layer {
  readonly params: Param[];
  readonly state: StateBuffer[];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly outputShape: Shape;
  /** Features, or channels of an image. */
  readonly channels: number;
  /** Positions per channel (H·W; 1 for features). */
  readonly spatial: number;
  readonly gamma: Param;
  readonly beta: Param;
  readonly runningMean: FloatArray;
  readonly runningVar: FloatArray;
  lastInput: FloatArray | null = null;
  lastOutput: FloatArray | null = null;
  private readonly invStd: Float64Array;
  readonly batchMoments: BatchMoments;
  private readonly buffers: BatchCache<NormBuffers>;

  constructor(
    readonly spec: BatchNormSpec,
    readonly position: number,
    readonly inputShape: Shape,
    alloc: Alloc,
    private readonly kernels: Kernels | null = null,
  ) {
    this.inputSize = shapeSize(inputShape);
    this.outputSize = this.inputSize;
    this.outputShape = inputShape;
    this.channels = inputShape[0];
    this.spatial = this.inputSize / this.channels;
    const n = this.channels;
    [this.gamma, this.beta] = gammaBeta(spec.name, alloc, n);
    this.params = [this.gamma, this.beta];
    this.runningMean = alloc(n);
    this.runningVar = alloc(n).fill(1);
    this.state = [
      { id: `${spec.name}.runningMean`, value: this.runningMean },
      { id: `${spec.name}.runningVar`, value: this.runningVar },
    ];
    this.invStd = new Float64Array(n);
    this.batchMoments = { mean: new Float64Array(n), variance: new Float64Array(n) };
    const size = this.inputSize;
    this.buffers = new BatchCache((batch) => ({ out: alloc(batch * size), dIn: alloc(batch * size), xhat: alloc(batch * size) }));
  }

  forward(input: FloatArray, batch: number, training: boolean): FloatArray {
    const size = this.inputSize;
    const S = this.spatial;
    const { out, xhat } = this.buffers.get(batch);
    const g = this.gamma.value;
    const b = this.beta.value;
    const eps = this.spec.epsilon;
    if (training) {
      const { mean: batchMean, variance: batchVar } = this.batchMoments;
      // features (S = 1) in wasm on kernel memory: the same float64 operations as the loops, in SIMD
      const inWasm = S === 1 && this.kernels !== null && kernelBatchNormForward(this.kernels, input, batch, this.channels, eps, g, b, xhat, out, batchMean, batchVar, this.invStd);
      const count = batch * S;
      for (let j = 0; j < this.channels && !inWasm; j++) {
        let mean = 0;
        for (let r = 0; r < batch; r++) for (let i = r * size + j * S, end = i + S; i < end; i++) mean += input[i];
        mean /= count;
        let v = 0;
        for (let r = 0; r < batch; r++) {
          for (let i = r * size + j * S, end = i + S; i < end; i++) {
            const d = input[i] - mean;
            v += d * d;
          }
        }
        v /= count;
        const inv = 1 / Math.sqrt(v + eps);
        this.invStd[j] = inv;
        for (let r = 0; r < batch; r++) {
          for (let i = r * size + j * S, end = i + S; i < end; i++) {
            xhat[i] = (input[i] - mean) * inv;
            out[i] = g[j] * xhat[i] + b[j];
          }
        }
        batchMean[j] = mean;
        batchVar[j] = v;
      }
      const m = this.spec.momentum;
      for (let j = 0; j < this.channels; j++) {
        const v = batchVar[j];
        const unbiased = count > 1 ? (v * count) / (count - 1) : v;
        this.runningMean[j] = m * this.runningMean[j] + (1 - m) * batchMean[j];
        this.runningVar[j] = m * this.runningVar[j] + (1 - m) * unbiased;
      }
    } else {
      for (let j = 0; j < this.channels; j++) {
        const inv = 1 / Math.sqrt(this.runningVar[j] + eps);
        const mean = this.runningMean[j];
        for (let r = 0; r < batch; r++) {
          for (let i = r * size + j * S, end = i + S; i < end; i++) out[i] = g[j] * (input[i] - mean) * inv + b[j];
        }
      }
    }
    this.lastInput = input;
    this.lastOutput = out;
    return out;
  }

  backward(gradOutput: FloatArray, batch: number): FloatArray {
    const size = this.inputSize;
    const S = this.spatial;
    const count = batch * S;
    const { dIn, xhat } = this.buffers.get(batch);
    const g = this.gamma.value;
    if (S === 1 && this.kernels && kernelBatchNormBackward(this.kernels, gradOutput, xhat, batch, this.channels, g, this.invStd, this.gamma.grad, this.beta.grad, dIn)) return dIn;
    for (let j = 0; j < this.channels; j++) {
      let dGamma = 0;
      let dBeta = 0;
      for (let r = 0; r < batch; r++) {
        for (let i = r * size + j * S, end = i + S; i < end; i++) {
          dGamma += gradOutput[i] * xhat[i];
          dBeta += gradOutput[i];
        }
      }
      this.gamma.grad[j] = dGamma;
      this.beta.grad[j] = dBeta;
      // mean(dx̂) = gamma·dBeta/N and mean(dx̂·x̂) = gamma·dGamma/N over the N = batch·S normalised values.
      const meanD = (g[j] * dBeta) / count;
      const meanDX = (g[j] * dGamma) / count;
      const inv = this.invStd[j];
      for (let r = 0; r < batch; r++) {
        for (let i = r * size + j * S, end = i + S; i < end; i++) dIn[i] = (gradOutput[i] * g[j] - meanD - xhat[i] * meanDX) * inv;
      }
    }
    return dIn;
  }
}

/**
 * Layer norm (one group), group norm (`groups` contiguous groups of features, or of channels on an image)
 * and instance norm (one group per channel). Group g covers values [⌊g·n/G⌋, ⌊(g+1)·n/G⌋) of a sample, so
 * a count that does not divide evenly still works. The same computation in training and evaluation.
 */
export class FeatureNormLayer implements Layer {
  readonly params: Param[];
  readonly state: StateBuffer[] = [];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly outputShape: Shape;
  readonly gamma: Param;
  readonly beta: Param;
  readonly groups: number;
  /** Consecutive values sharing one gamma and beta (H·W for group and instance norm on an image, else 1). */
  private readonly affineRun: number;
  lastInput: FloatArray | null = null;
  lastOutput: FloatArray | null = null;
  private readonly buffers: BatchCache<NormBuffers & { invStd: Float64Array }>;

  constructor(
    readonly spec: LayerNormSpec | GroupNormSpec | InstanceNormSpec,
    readonly position: number,
    readonly inputShape: Shape,
    alloc: Alloc,
  ) {
    const n = shapeSize(inputShape);
    this.inputSize = n;
    this.outputSize = n;
    this.outputShape = inputShape;
    const channels = inputShape[0];
    if (spec.kind === 'groupnorm') this.groups = Math.max(1, Math.min(spec.groups, channels));
    else this.groups = spec.kind === 'instancenorm' ? channels : 1;
    this.affineRun = spec.kind !== 'layernorm' && isSpatial(inputShape) ? n / channels : 1;
    [this.gamma, this.beta] = gammaBeta(spec.name, alloc, n / this.affineRun);
    this.params = [this.gamma, this.beta];
    this.buffers = new BatchCache((batch) => ({
      out: alloc(batch * n),
      dIn: alloc(batch * n),
      xhat: alloc(batch * n),
      invStd: new Float64Array(batch * this.groups),
    }));
  }

  forward(input: FloatArray, batch: number): FloatArray {
    const n = this.inputSize;
    const G = this.groups;
    const { out, xhat, invStd } = this.buffers.get(batch);
    const g = this.gamma.value;
    const b = this.beta.value;
    for (let r = 0; r < batch; r++) {
      for (let k = 0; k < G; k++) {
        const lo = r * n + Math.floor((k * n) / G);
        const hi = r * n + Math.floor(((k + 1) * n) / G);
        const size = hi - lo;
        let mean = 0;
        for (let i = lo; i < hi; i++) mean += input[i];
        mean /= size;
        let v = 0;
        for (let i = lo; i < hi; i++) {
          const d = input[i] - mean;
          v += d * d;
        }
        v /= size;
        const inv = 1 / Math.sqrt(v + this.spec.epsilon);
        invStd[r * G + k] = inv;
        for (let i = lo; i < hi; i++) {
          const j = Math.floor((i - r * n) / this.affineRun);
          xhat[i] = (input[i] - mean) * inv;
          out[i] = g[j] * xhat[i] + b[j];
        }
      }
    }
    this.lastInput = input;
    this.lastOutput = out;
    return out;
  }

  backward(gradOutput: FloatArray, batch: number): FloatArray {
    const n = this.inputSize;
    const G = this.groups;
    const { dIn, xhat, invStd } = this.buffers.get(batch);
    const g = this.gamma.value;
    const dGamma = this.gamma.grad;
    const dBeta = this.beta.grad;
    dGamma.fill(0);
    dBeta.fill(0);
    const run = this.affineRun;
    for (let r = 0; r < batch; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) {
        dGamma[Math.floor(j / run)] += gradOutput[o + j] * xhat[o + j];
        dBeta[Math.floor(j / run)] += gradOutput[o + j];
      }
      for (let k = 0; k < G; k++) {
        const lo = o + Math.floor((k * n) / G);
        const hi = o + Math.floor(((k + 1) * n) / G);
        const size = hi - lo;
        let meanD = 0;
        let meanDX = 0;
        for (let i = lo; i < hi; i++) {
          const d = gradOutput[i] * g[Math.floor((i - o) / run)];
          meanD += d;
          meanDX += d * xhat[i];
        }
        meanD /= size;
        meanDX /= size;
        const inv = invStd[r * G + k];
        for (let i = lo; i < hi; i++) dIn[i] = (gradOutput[i] * g[Math.floor((i - o) / run)] - meanD - xhat[i] * meanDX) * inv;
      }
    }
    return dIn;
  }
}
