// Normalisation layers. Batch norm normalises each feature over the batch; layer norm and group norm
// normalise each sample over (groups of) its features. All have a trainable per-feature gamma and beta.
// The shared backward for a normalised set of size N with x̂ = (x - μ) / σ:
//   dx = (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)) / σ,   dx̂ = dy · gamma.
import type { FloatArray } from '../types';
import type { BatchNormSpec, GroupNormSpec, LayerNormSpec } from '../spec/model-spec';
import type { Layer, Param, StateBuffer } from './layer';
import { BatchCache, type Alloc } from './buffers';

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
 * running averages only.
 */
export class BatchNormLayer implements Layer {
  readonly params: Param[];
  readonly state: StateBuffer[];
  readonly outputSize: number;
  readonly gamma: Param;
  readonly beta: Param;
  readonly runningMean: FloatArray;
  readonly runningVar: FloatArray;
  lastInput: FloatArray | null = null;
  lastOutput: FloatArray | null = null;
  private readonly invStd: Float64Array;
  private readonly buffers: BatchCache<NormBuffers>;

  constructor(
    readonly spec: BatchNormSpec,
    readonly position: number,
    readonly inputSize: number,
    alloc: Alloc,
  ) {
    const n = inputSize;
    this.outputSize = n;
    [this.gamma, this.beta] = gammaBeta(spec.name, alloc, n);
    this.params = [this.gamma, this.beta];
    this.runningMean = alloc(n);
    this.runningVar = alloc(n).fill(1);
    this.state = [
      { id: `${spec.name}.runningMean`, value: this.runningMean },
      { id: `${spec.name}.runningVar`, value: this.runningVar },
    ];
    this.invStd = new Float64Array(n);
    this.buffers = new BatchCache((batch) => ({ out: alloc(batch * n), dIn: alloc(batch * n), xhat: alloc(batch * n) }));
  }

  forward(input: FloatArray, batch: number, training: boolean): FloatArray {
    const n = this.inputSize;
    const { out, xhat } = this.buffers.get(batch);
    const g = this.gamma.value;
    const b = this.beta.value;
    const eps = this.spec.epsilon;
    if (training) {
      const m = this.spec.momentum;
      for (let j = 0; j < n; j++) {
        let mean = 0;
        for (let r = 0; r < batch; r++) mean += input[r * n + j];
        mean /= batch;
        let v = 0;
        for (let r = 0; r < batch; r++) {
          const d = input[r * n + j] - mean;
          v += d * d;
        }
        v /= batch;
        const inv = 1 / Math.sqrt(v + eps);
        this.invStd[j] = inv;
        for (let r = 0; r < batch; r++) {
          const i = r * n + j;
          xhat[i] = (input[i] - mean) * inv;
          out[i] = g[j] * xhat[i] + b[j];
        }
        const unbiased = batch > 1 ? (v * batch) / (batch - 1) : v;
        this.runningMean[j] = m * this.runningMean[j] + (1 - m) * mean;
        this.runningVar[j] = m * this.runningVar[j] + (1 - m) * unbiased;
      }
    } else {
      for (let j = 0; j < n; j++) {
        const inv = 1 / Math.sqrt(this.runningVar[j] + eps);
        const mean = this.runningMean[j];
        for (let r = 0; r < batch; r++) {
          const i = r * n + j;
          out[i] = g[j] * (input[i] - mean) * inv + b[j];
        }
      }
    }
    this.lastInput = input;
    this.lastOutput = out;
    return out;
  }

  backward(gradOutput: FloatArray, batch: number): FloatArray {
    const n = this.inputSize;
    const { dIn, xhat } = this.buffers.get(batch);
    const g = this.gamma.value;
    for (let j = 0; j < n; j++) {
      let dGamma = 0;
      let dBeta = 0;
      for (let r = 0; r < batch; r++) {
        const i = r * n + j;
        dGamma += gradOutput[i] * xhat[i];
        dBeta += gradOutput[i];
      }
      this.gamma.grad[j] = dGamma;
      this.beta.grad[j] = dBeta;
      // mean(dx̂) = gamma·dBeta/B and mean(dx̂·x̂) = gamma·dGamma/B.
      const meanD = (g[j] * dBeta) / batch;
      const meanDX = (g[j] * dGamma) / batch;
      const inv = this.invStd[j];
      for (let r = 0; r < batch; r++) {
        const i = r * n + j;
        dIn[i] = (gradOutput[i] * g[j] - meanD - xhat[i] * meanDX) * inv;
      }
    }
    return dIn;
  }
}

/**
 * Layer norm (one group) and group norm (`groups` contiguous groups of features). Group g covers features
 * [⌊g·F/G⌋, ⌊(g+1)·F/G⌋), so a feature count that does not divide evenly still works.
 * The same computation in training and evaluation.
 */
export class FeatureNormLayer implements Layer {
  readonly params: Param[];
  readonly state: StateBuffer[] = [];
  readonly outputSize: number;
  readonly gamma: Param;
  readonly beta: Param;
  readonly groups: number;
  lastInput: FloatArray | null = null;
  lastOutput: FloatArray | null = null;
  private readonly buffers: BatchCache<NormBuffers & { invStd: Float64Array }>;

  constructor(
    readonly spec: LayerNormSpec | GroupNormSpec,
    readonly position: number,
    readonly inputSize: number,
    alloc: Alloc,
  ) {
    const n = inputSize;
    this.outputSize = n;
    this.groups = spec.kind === 'groupnorm' ? Math.max(1, Math.min(spec.groups, n)) : 1;
    [this.gamma, this.beta] = gammaBeta(spec.name, alloc, n);
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
          const j = i - r * n;
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
    for (let r = 0; r < batch; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) {
        dGamma[j] += gradOutput[o + j] * xhat[o + j];
        dBeta[j] += gradOutput[o + j];
      }
      for (let k = 0; k < G; k++) {
        const lo = o + Math.floor((k * n) / G);
        const hi = o + Math.floor(((k + 1) * n) / G);
        const size = hi - lo;
        let meanD = 0;
        let meanDX = 0;
        for (let i = lo; i < hi; i++) {
          const d = gradOutput[i] * g[i - o];
          meanD += d;
          meanDX += d * xhat[i];
        }
        meanD /= size;
        meanDX /= size;
        const inv = invStd[r * G + k];
        for (let i = lo; i < hi; i++) dIn[i] = (gradOutput[i] * g[i - o] - meanD - xhat[i] * meanDX) * inv;
      }
    }
    return dIn;
  }
}
