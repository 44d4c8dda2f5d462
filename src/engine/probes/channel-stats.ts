// Per-channel statistics for layers on images ([C, H, W]): per-filter gradient norms and update ratios of a
// conv layer, output moments per channel, dead filters after a ReLU, saturation per channel after sigmoid
// or tanh, and a batch norm's per-channel batch moments against its running ones. A channel's values are
// the batch's samples at all of its H·W positions. Pure readers of the layer's live buffers.
import type { ChannelProbe, FloatArray } from '../types';
import type { Layer, Param } from '../layers/layer';
import { descriptorOf, isSpatial } from '../spec/layer-kinds';
import { deadUnits } from './layer-stats';

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

function saturationPerChannel(kind: string, out: FloatArray, channels: number, spatial: number): number[] {
  const size = channels * spatial;
  const rows = out.length / size;
  const saturated = (y: number) => (kind === 'sigmoid' ? y < 0.01 || y > 0.99 : Math.abs(y) > 0.99);
  const result: number[] = [];
  for (let c = 0; c < channels; c++) {
    let n = 0;
    for (let r = 0; r < rows; r++) for (let i = r * size + c * spatial, end = i + spatial; i < end; i++) if (saturated(out[i])) n++;
    result.push(n / Math.max(1, rows * spatial));
  }
  return result;
}

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
  return {
    gradNorm: filters ? rowNorms(filters.grad, filters.shape[0]) : null,
    updateRatio: null,
    activationMean: mean,
    activationStd: std,
    dead: traits.activation === 'relu' ? deadUnits(layer.spec.kind, input, inChannels, inSpatial) : null,
    saturation: traits.activation === 'sigmoid' || traits.activation === 'tanh' ? saturationPerChannel(layer.spec.kind, out, outChannels, outSpatial) : null,
    batchNorm,
  };
}
