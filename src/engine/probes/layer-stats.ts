// Per-layer statistics computed from a layer's live buffers. Pure readers: nothing here writes to a layer.
import type { FloatArray, BatchNormProbe } from '../types';
import type { BatchMoments, Layer, Param } from '../layers/layer';
import type { Kernels } from '../kernels/kernels';
import { kernelCopy, kernelDeadUnits, kernelGather, kernelGatherDiff, kernelMoments, kernelSumSquaredDiff } from '../kernels/select';
import { stuckTest } from './stuck-tests';

/** Below this many entries a float64 loop is as quick as a kernel call, and exact. */
export const KERNEL_MIN = 1024;

/** Two float64 results of a kernel (sums), read back right after each call. */
const sums = new Float64Array(2);

export function l2Norm(a: FloatArray): number {
  return Math.sqrt(sumSquares64(a));
}

/** Σa² in float64, four sums at a time (one alone waits on each add). */
export function sumSquares64(a: FloatArray): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * a[i];
    s1 += a[i + 1] * a[i + 1];
    s2 += a[i + 2] * a[i + 2];
    s3 += a[i + 3] * a[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * a[i];
  return s0 + s1 + (s2 + s3);
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
 * The weight gradient and weight norms, exact over every entry, and the non-finite gradient entries (left
 * out of the norm). `sumSquares` reads tensors in wasm SIMD where it can; `g2`, the gradient's, may come
 * from the global norm's pass, and `w2`, the weights', from before the step; the entry-by-entry pass runs
 * only when the gradient holds a non-finite value.
 */
export function mainNorms(grad: FloatArray, value: FloatArray, sumSquares: (a: FloatArray) => number, g2 = sumSquares(grad), w2 = sumSquares(value)): { gradNorm: number; weightNorm: number; nonFinite: number } {
  const weightNorm = Math.sqrt(w2);
  if (Number.isFinite(g2)) return { gradNorm: Math.sqrt(g2), weightNorm, nonFinite: 0 };
  let finite = 0;
  let bad = 0;
  for (let i = 0; i < grad.length; i++) {
    const g = grad[i];
    if (g - g !== 0) bad++;
    else finite += g * g;
  }
  return { gradNorm: Math.sqrt(finite), weightNorm, nonFinite: bad };
}

/**
 * Copies the (sampled) weights before an update, for the update ratio, in wasm where it can: a typed-array
 * copy within shared memory takes V8's slower path for shared buffers.
 */
export function copyWeights(value: FloatArray, sample: Int32Array | null, before: FloatArray, kernels: Kernels | null = null): void {
  if (!sample) {
    const src = value.length === before.length ? value : value.subarray(0, before.length);
    if (!kernels || !kernelCopy(kernels, src, before)) before.set(src);
  } else if (!kernels || !kernelGather(kernels, value, sample, before)) for (let k = 0; k < sample.length; k++) before[k] = value[sample[k]];
}

/**
 * ‖w - before‖ / ‖before‖ over the copied entries (null when those weights were all zero), and whether it is
 * finite. `beforeSquares` is Σbefore² when already known (the whole tensor was copied and its norm taken).
 * Large whole tensors in kernel memory are compared in wasm SIMD (differences rounded to float32), samples
 * of them gathered in wasm.
 */
export function updateRatio(value: FloatArray, sample: Int32Array | null, before: FloatArray, beforeSquares: number | null = null, kernels: Kernels | null = null): { ratio: number | null; finite: boolean } {
  let d: number;
  let w: number;
  if (!sample && beforeSquares !== null) {
    d = (kernels && before.length >= KERNEL_MIN ? kernelSumSquaredDiff(kernels, value, before) : null) ?? sumSquaredDifferences(value, before);
    w = beforeSquares;
  } else if (sample && kernels && kernelGatherDiff(kernels, value, sample, before, sums)) {
    d = sums[0];
    w = sums[1];
  } else {
    d = 0;
    w = 0;
    for (let k = 0; k < before.length; k++) {
      const a = value[sample ? sample[k] : k] - before[k];
      d += a * a;
      w += before[k] * before[k];
    }
  }
  return { ratio: w > 0 ? Math.sqrt(d / w) : null, finite: Number.isFinite(d) };
}

/** Σ(a - b)² over b's length, four sums at a time (one alone waits on each add). */
function sumSquaredDifferences(a: FloatArray, b: FloatArray): number {
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
  const n = b.length;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const x0 = a[k] - b[k];
    const x1 = a[k + 1] - b[k + 1];
    const x2 = a[k + 2] - b[k + 2];
    const x3 = a[k + 3] - b[k + 3];
    d0 += x0 * x0;
    d1 += x1 * x1;
    d2 += x2 * x2;
    d3 += x3 * x3;
  }
  for (; k < n; k++) d0 += (a[k] - b[k]) * (a[k] - b[k]);
  return d0 + d1 + (d2 + d3);
}

/** Mean, std and non-finite count of a layer's output; summed in wasm SIMD when `out` is in kernel memory. */
export function outputStats(out: FloatArray, kernels: Kernels | null = null): { mean: number; std: number; nonFinite: number } {
  if (kernels && kernelMoments(kernels, out, sums) && Number.isFinite(sums[1]) && Number.isFinite(sums[0])) return moments(sums[0], sums[1], out.length, 0);
  // four independent sums of each kind (one alone waits on each add); a non-finite entry shows in them
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
  const n = out.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = out[i];
    const b = out[i + 1];
    const c = out[i + 2];
    const d = out[i + 3];
    s0 += a;
    s1 += b;
    s2 += c;
    s3 += d;
    q0 += a * a;
    q1 += b * b;
    q2 += c * c;
    q3 += d * d;
  }
  for (; i < n; i++) {
    s0 += out[i];
    q0 += out[i] * out[i];
  }
  const sum = s0 + s1 + (s2 + s3);
  const squares = q0 + q1 + (q2 + q3);
  if (Number.isFinite(squares) && Number.isFinite(sum)) return moments(sum, squares, n, 0);
  let bad = 0;
  let s = 0;
  let sq = 0;
  for (let j = 0; j < n; j++) {
    const x = out[j];
    if (x - x !== 0) {
      bad++;
      continue;
    }
    s += x;
    sq += x * x;
  }
  return moments(s, sq, n - bad, bad);
}

function moments(s: number, s2: number, count: number, nonFinite: number): { mean: number; std: number; nonFinite: number } {
  const n = Math.max(1, count);
  const mean = s / n;
  return { mean, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)), nonFinite };
}

/**
 * Fraction of units whose gradient is zero (or only the leak) for every sample of the batch: ReLU units
 * that output 0, leaky-ReLU units always on the negative slope, ReLU6 units always at 0 or 6 (stuck-tests.ts).
 * Image layers count whole channels instead (channel-stats.ts). In wasm when `input` is kernel memory.
 */
export function deadRatio(kind: string, input: FloatArray, units: number, kernels: Kernels | null = null): number {
  const test = stuckTest(kind);
  const rows = input.length / units;
  // the wasm pass has the ReLU family's (mode 1) test only
  const fast = kernels && test?.wasm.mode === 1 ? kernelDeadUnits(kernels, input, rows, units, test.wasm.lo, test.wasm.hi) : null;
  if (fast !== null) return fast / units;
  const stuck = test?.test ?? (() => false);
  let dead = 0;
  for (let j = 0; j < units; j++) {
    let alive = false;
    for (let at = j; at < rows * units && !alive; at += units) alive = !stuck(input[at]);
    if (!alive) dead++;
  }
  return dead / units;
}

/** Share of outputs where a sigmoid or tanh is saturated (stuck-tests.ts: derivative below 0.01 or 0.02). */
export function saturationRatio(kind: string, output: FloatArray): number {
  const stuck = stuckTest(kind)?.test ?? (() => false);
  let n = 0;
  for (let i = 0; i < output.length; i++) if (stuck(output[i])) n++;
  return n / output.length;
}

/**
 * A batch norm's batch moments against its running ones, averaged over its units (over channels after an
 * image layer). The batch moments are the layer's own, those it normalised the batch with, so the probe
 * reads none of its input.
 */
export function batchNormStats(layer: Layer, gamma: Param | null, beta: Param | null): BatchNormProbe | null {
  const moments = layer.batchMoments;
  const rm = layer.state.find((s) => s.id.endsWith('.runningMean'))?.value;
  const rv = layer.state.find((s) => s.id.endsWith('.runningVar'))?.value;
  if (!layer.lastInput || !moments || !rm || !rv) return null;
  const eps = layer.spec.kind === 'batchnorm' ? layer.spec.epsilon : 1e-5;
  return summarize(moments, rm, rv, eps, gamma, beta);
}

/** The probe from per-unit batch moments. */
function summarize(moments: BatchMoments, rm: FloatArray, rv: FloatArray, eps: number, gamma: Param | null, beta: Param | null): BatchNormProbe {
  const n = rm.length;
  let meanShift = 0;
  let varRatio = 0;
  let batchMean = 0;
  let batchVar = 0;
  let runningMean = 0;
  let runningVar = 0;
  for (let j = 0; j < n; j++) {
    const m = moments.mean[j];
    const v = moments.variance[j];
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
