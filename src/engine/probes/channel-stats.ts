// Per-channel statistics for layers on images ([C, H, W]): per-filter gradient norms and update ratios of a
// conv layer, output moments per channel, dead filters after a ReLU, saturation per channel after sigmoid
// or tanh, a batch norm's per-channel batch moments against its running ones, and per-channel histograms.
// A channel's values are the batch's samples at all of its H·W positions. One full pass over the output
// (channel-sums.ts) gives them all, and the layer-wide output moments, dead and saturated shares are summed
// from it rather than read again; a batch norm's batch moments are the layer's own. Pure readers of live
// buffers.
import type { ChannelProbe, FloatArray } from '../types';
import type { Layer, Param } from '../layers/layer';
import type { Kernels } from '../kernels/kernels';
import { descriptorOf, isSpatial } from '../spec/layer-kinds';
import { channelHistograms } from './channel-histograms';
import { channelSums } from './channel-sums';
import { stuckTest } from './stuck-tests';

/** What one probe reads off an image layer: its channel probe and the layer-wide numbers derived from the same passes. */
export interface ImageLayerStats {
  channels: ChannelProbe;
  /** Mean and std of the whole output; null when its sums are not finite (the caller then counts the non-finite values). */
  output: { mean: number; std: number } | null;
  /** Share of dead channels (ReLU family), else null. */
  deadRatio: number | null;
  /** Share of saturated outputs (sigmoid, tanh), else null. */
  saturationRatio: number | null;
}

/** L2 norm of each row of a [rows × cols] tensor. */
export function rowNorms(a: FloatArray, rows: number): number[] {
  const cols = a.length / rows;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = r * cols; i < (r + 1) * cols; i++) s += a[i] * a[i];
    out.push(Math.sqrt(s));
  }
  return out;
}

/** ‖after - before‖ / ‖before‖ per row (null for a row that was all zeros). */
export function rowUpdateRatios(after: FloatArray, before: FloatArray, rows: number): (number | null)[] {
  const cols = before.length / rows;
  const out: (number | null)[] = [];
  for (let r = 0; r < rows; r++) {
    let d = 0;
    let w = 0;
    for (let i = r * cols; i < (r + 1) * cols; i++) {
      d += (after[i] - before[i]) ** 2;
      w += before[i] * before[i];
    }
    out.push(w > 0 ? Math.sqrt(d / w) : null);
  }
  return out;
}

/** Mean and std of `count` values from their sum and sum of squares. */
function moments(sum: number, squares: number, count: number): { mean: number; std: number } {
  const n = Math.max(1, count);
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, squares / n - mean * mean)) };
}

/**
 * Whether `next` is a plain ReLU on `layer`'s image output, with no stuck test of `layer`'s own: then one pass
 * over that output gives both layers' sums (reluPairSums).
 */
export function reluFollows(layer: Layer, next: Layer | undefined): boolean {
  const out = layer.lastOutput;
  return next !== undefined && next.spec.kind === 'relu' && out !== null && next.lastInput === out && isSpatial(layer.outputShape) && isSpatial(layer.inputShape) && stuckTest(layer.spec.kind) === null;
}

/**
 * The per-channel probe of a layer that reads and writes images, with what it gives the layer's own probe; else
 * null. `main` is its weight (conv) or gamma; `outputSums`, when given, are channelSums of its output with
 * its own stuck test, taken already.
 */
export function imageLayerStats(layer: Layer, main: Param | null, kernels: Kernels | null, outputSums: Float64Array | null = null): ImageLayerStats | null {
  const out = layer.lastOutput;
  const input = layer.lastInput;
  // layers that output an image; a dense or flatten after one reads it as flat features
  if (!out || !input || !isSpatial(layer.outputShape) || !isSpatial(layer.inputShape)) return null;
  const traits = descriptorOf(layer.spec).traits;
  const kind = layer.spec.kind;
  const C = layer.outputShape[0];
  const S = layer.outputSize / C;
  const perChannel = out.length / C;
  // sigmoid and tanh saturate on their output; a ReLU-family output is positive (inside (0, 6) for ReLU6)
  // exactly where its input is, NaN included, so its inactive test reads the output in the same pass
  const saturating = traits.activation === 'sigmoid' || traits.activation === 'tanh' ? stuckTest(kind) : null;
  const inactive = traits.activation === 'relu' ? stuckTest(kind) : null;
  const sums = outputSums ?? channelSums(out, C, S, saturating ?? inactive, kernels);
  const mean: number[] = [];
  const std: number[] = [];
  let sum = 0;
  let squares = 0;
  for (let c = 0; c < C; c++) {
    const m = moments(sums[c], sums[C + c], perChannel);
    mean.push(m.mean);
    std.push(m.std);
    sum += sums[c];
    squares += sums[C + c];
  }
  const stuckCounts = saturating || inactive ? sums.subarray(2 * C) : null;
  const stuck = stuckCounts ? Array.from(stuckCounts, (n) => n / Math.max(1, perChannel)) : null;
  let batchNorm: ChannelProbe['batchNorm'] = null;
  const batchMoments = layer.batchMoments;
  if (batchMoments) {
    const running = (name: string) => Array.from(layer.state.find((s) => s.id.endsWith(name))?.value ?? []);
    batchNorm = { batchMean: Array.from(batchMoments.mean), batchVar: Array.from(batchMoments.variance), runningMean: running('.runningMean'), runningVar: running('.runningVar') };
  }
  // a weight layer that outputs an image is a convolution: its weight rows are its filters
  const filters = traits.hasWeights && main !== null && main.role === 'weight' ? main : null;
  const gradNorm = filters ? rowNorms(filters.grad, filters.shape[0]) : null;
  // exact: a filter is dead only when it is stuck at every sample and position
  const dead = inactive && stuckCounts ? Array.from(stuckCounts, (n): number => (n === perChannel ? 1 : 0)) : null;
  const whole = moments(sum, squares, out.length);
  return {
    channels: {
      gradNorm,
      updateRatio: null,
      activationMean: mean,
      activationStd: std,
      dead,
      saturation: saturating ? stuck : null,
      batchNorm,
      histograms: channelHistograms({ output: out, channels: C, spatial: S, stuck: stuck ? () => stuck : null, filters, std, filterGradNorms: gradNorm }, kernels),
    },
    output: Number.isFinite(sum) && Number.isFinite(squares) ? whole : null,
    deadRatio: dead ? dead.reduce((n, d) => n + d, 0) / C : null,
    saturationRatio: saturating && stuckCounts ? stuckCounts.reduce((n, k) => n + k, 0) / Math.max(1, out.length) : null,
  };
}
