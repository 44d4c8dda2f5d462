// Per-channel statistics for layers on images ([C, H, W]): per-filter gradient norms and update ratios of a
// conv layer, output moments per channel, dead filters after a ReLU, saturation per channel after sigmoid
// or tanh, a batch norm's per-channel batch moments against its running ones, and per-channel histograms.
// A channel's values are the batch's samples at all of its H·W positions. Pure readers of live buffers.
import type { ChannelProbe, FloatArray } from '../types';
import type { Layer, Param } from '../layers/layer';
import { descriptorOf, isSpatial } from '../spec/layer-kinds';
import { deadUnits } from './layer-stats';
import { channelHistograms, stuckShares } from './channel-histograms';

/** Mean and std per channel of `values` laid out [batch × C × S]. */
function channelMoments(values: FloatArray, channels: number, spatial: number): { mean: number[]; std: number[] } {
  const size = channels * spatial;
  const rows = values.length / size;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    let s = 0;
    let q = 0;
    for (let r = 0; r < rows; r++) {
      for (let i = r * size + c * spatial, end = i + spatial; i < end; i++) {
        s += values[i];
        q += values[i] * values[i];
      }
    }
    const n = Math.max(1, rows * spatial);
    const m = s / n;
    mean.push(m);
    std.push(Math.sqrt(Math.max(0, q / n - m * m)));
  }
  return { mean, std };
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

/** Whether one output of a sigmoid or tanh sits where its derivative is below 0.01 (sigmoid) or 0.02 (tanh). */
const saturatedTest = (kind: string) => (kind === 'sigmoid' ? (y: number) => y < 0.01 || y > 0.99 : (y: number) => Math.abs(y) > 0.99);
/** Whether one input of a ReLU-family unit leaves it inactive (or only on the leak): deadUnits' test, per value. */
const inactiveTest = (kind: string) => (kind === 'relu6' ? (x: number) => !(x > 0 && x < 6) : (x: number) => !(x > 0));

/** The per-channel probe of a layer that reads or writes images, else null. `main` is its weight (conv) or gamma. */
export function channelProbe(layer: Layer, main: Param | null): ChannelProbe | null {
  const out = layer.lastOutput;
  const input = layer.lastInput;
  // layers that output an image; a dense or flatten after one reads it as flat features
  if (!out || !input || !isSpatial(layer.outputShape) || !isSpatial(layer.inputShape)) return null;
  const traits = descriptorOf(layer.spec).traits;
  const outChannels = layer.outputShape[0];
  const outSpatial = layer.outputSize / outChannels;
  const inChannels = layer.inputShape[0];
  const inSpatial = layer.inputSize / inChannels;
  const { mean, std } = channelMoments(out, outChannels, outSpatial);
  let batchNorm: ChannelProbe['batchNorm'] = null;
  if (traits.normalization === 'batch') {
    const m = channelMoments(input, inChannels, inSpatial);
    const running = (name: string) => Array.from(layer.state.find((s) => s.id.endsWith(name))?.value ?? []);
    batchNorm = { batchMean: m.mean, batchVar: m.std.map((s) => s * s), runningMean: running('.runningMean'), runningVar: running('.runningVar') };
  }
  // a weight layer that outputs an image is a convolution: its weight rows are its filters
  const filters = traits.hasWeights && main !== null && main.role === 'weight' ? main : null;
  const gradNorm = filters ? rowNorms(filters.grad, filters.shape[0]) : null;
  const kind = layer.spec.kind;
  const saturation = traits.activation === 'sigmoid' || traits.activation === 'tanh' ? stuckShares(out, outChannels, outSpatial, saturatedTest(kind)) : null;
  // a ReLU layer keeps its input's shape, so its inactive shares line up with its output channels
  const stuck = saturation ? () => saturation : traits.activation === 'relu' ? () => stuckShares(input, inChannels, inSpatial, inactiveTest(kind)) : null;
  return {
    gradNorm,
    updateRatio: null,
    activationMean: mean,
    activationStd: std,
    dead: traits.activation === 'relu' ? deadUnits(kind, input, inChannels, inSpatial) : null,
    saturation,
    batchNorm,
    histograms: channelHistograms({ output: out, channels: outChannels, spatial: outSpatial, stuck, filters, std, filterGradNorms: gradNorm }),
  };
}
