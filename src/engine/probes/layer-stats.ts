// Per-layer statistics computed from a layer's live buffers. Pure readers: nothing here writes to a layer.
import type { FloatArray, BatchNormProbe } from '../types';
import type { Layer, Param } from '../layers/layer';

export function l2Norm(a: FloatArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

export function countNonFinite(a: FloatArray | null): number {
  if (!a) return 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] - a[i] !== 0) n++;
  return n;
}

/** The layer's main trainable tensor (dense weight, norm gamma) and its bias/beta. */
export function mainParams(layer: Layer): { main: Param | null; bias: Param | null } {
  let main: Param | null = null;
  let bias: Param | null = null;
  for (const p of layer.params) {
    if (p.role === 'weight' || p.role === 'gamma') main = p;
    else bias = p;
  }
  return { main, bias };
}

/**
 * One pass over the (sampled) weight gradient and weights: both norms, scaled to the whole tensor when
 * sampled, the non-finite gradient entries, and the weights copied for the update ratio.
 */
export function readMain(grad: FloatArray, value: FloatArray, sample: Int32Array | null, before: Float64Array): { gradNorm: number; weightNorm: number; nonFinite: number } {
  let g2 = 0;
  let w2 = 0;
  let bad = 0;
  for (let k = 0; k < before.length; k++) {
    const i = sample ? sample[k] : k;
    const g = grad[i];
    const w = value[i];
    if (g - g !== 0) bad++;
    else g2 += g * g;
    w2 += w * w;
    before[k] = w;
  }
  const scale = value.length / Math.max(1, before.length);
  return { gradNorm: Math.sqrt(g2 * scale), weightNorm: Math.sqrt(w2 * scale), nonFinite: bad };
}

/** Mean, std and non-finite count of a layer's output in one pass. */
export function outputStats(out: FloatArray): { mean: number; std: number; nonFinite: number } {
  let s = 0;
  let s2 = 0;
  let bad = 0;
  for (let i = 0; i < out.length; i++) {
    const x = out[i];
    if (x - x !== 0) {
      bad++;
      continue;
    }
    s += x;
    s2 += x * x;
  }
  const n = Math.max(1, out.length - bad);
  const mean = s / n;
  return { mean, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)), nonFinite: bad };
}

/**
 * Fraction of units whose gradient is zero (or only the leak) for every sample of the batch: ReLU units
 * that output 0, leaky-ReLU units always on the negative slope, ReLU6 units always at 0 or 6.
 */
export function deadRatio(kind: string, input: FloatArray, units: number): number {
  const rows = input.length / units;
  let dead = 0;
  for (let j = 0; j < units; j++) {
    let alive = false;
    for (let r = 0; r < rows && !alive; r++) {
      const x = input[r * units + j];
      alive = kind === 'relu6' ? x > 0 && x < 6 : x > 0;
    }
    if (!alive) dead++;
  }
  return dead / units;
}

/** Sigmoid output within 0.01 of 0 or 1 (derivative < 0.01); tanh |output| > 0.99 (derivative < 0.02). */
export function saturationRatio(kind: string, output: FloatArray): number {
  let n = 0;
  if (kind === 'sigmoid') {
    for (let i = 0; i < output.length; i++) if (output[i] < 0.01 || output[i] > 0.99) n++;
  } else {
    for (let i = 0; i < output.length; i++) if (Math.abs(output[i]) > 0.99) n++;
  }
  return n / output.length;
}

export function batchNormStats(layer: Layer, gamma: Param | null, beta: Param | null): BatchNormProbe | null {
  const input = layer.lastInput;
  const rm = layer.state.find((s) => s.id.endsWith('.runningMean'))?.value;
  const rv = layer.state.find((s) => s.id.endsWith('.runningVar'))?.value;
  if (!input || !rm || !rv) return null;
  const n = layer.inputSize;
  const rows = input.length / n;
  const eps = layer.spec.kind === 'batchnorm' ? layer.spec.epsilon : 1e-5;
  let meanShift = 0;
  let varRatio = 0;
  let batchMean = 0;
  let batchVar = 0;
  let runningMean = 0;
  let runningVar = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    let s2 = 0;
    for (let r = 0; r < rows; r++) {
      const x = input[r * n + j];
      s += x;
      s2 += x * x;
    }
    const m = s / rows;
    const v = Math.max(0, s2 / rows - m * m);
    meanShift += Math.abs(m - rm[j]) / Math.sqrt(rv[j] + eps);
    varRatio += (v + eps) / (rv[j] + eps);
    batchMean += m;
    batchVar += v;
    runningMean += rm[j];
    runningVar += rv[j];
  }
  let gammaMean = 0;
  let gammaMinAbs = Infinity;
  if (gamma) {
    for (let j = 0; j < gamma.value.length; j++) {
      gammaMean += gamma.value[j];
      gammaMinAbs = Math.min(gammaMinAbs, Math.abs(gamma.value[j]));
    }
    gammaMean /= gamma.value.length;
  }
  let betaMean = 0;
  if (beta) {
    for (let j = 0; j < beta.value.length; j++) betaMean += beta.value[j];
    betaMean /= beta.value.length;
  }
  return {
    meanShift: meanShift / n,
    varRatio: varRatio / n,
    batchMean: batchMean / n,
    batchVar: batchVar / n,
    runningMean: runningMean / n,
    runningVar: runningVar / n,
    gammaMean,
    gammaMinAbs: gamma ? gammaMinAbs : 0,
    betaMean,
  };
}
