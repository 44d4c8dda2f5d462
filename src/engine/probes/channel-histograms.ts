// Per-channel histograms of an image layer: each channel's outputs over the batch and positions, and each
// conv filter's |weight gradient|. A probe carries at most CHANNEL_HISTOGRAMS channels: every channel of
// the small CNNs people start with, and for wider layers the worst ones, which are what a user looks for
// (the rest are summarised by the per-channel moments). That bounds a layer's share of a probe message at
// CHANNEL_HISTOGRAMS × (CHANNEL_BINS + HISTOGRAM_BINS) numbers whatever the layer's width.
import type { ChannelHistograms, FloatArray } from '../types';
import type { Param } from '../layers/layer';
import { histogram } from '../visuals/pictures';
import { gradientHistogram, sampleIndices } from './histogram';

export const CHANNEL_HISTOGRAMS = 16;
/** Bins of a channel's output histogram: fewer than a whole layer's, as they are drawn as small multiples. */
export const CHANNEL_BINS = 20;
/** Outputs read per channel: plenty for 20 bins, and a fixed cost however large the batch and image. */
export const CHANNEL_SAMPLE = 512;

/** A layer on images at one probe: its output [batch × C × S] and what ranks its channels. */
export interface ChannelLayer {
  output: FloatArray;
  channels: number;
  spatial: number;
  /** Per channel, the share of its values stuck where the gradient vanishes (ReLU inactive, sigmoid/tanh saturated); null when the layer is no such activation. */
  stuck: (() => number[]) | null;
  /** A conv layer's weight, one row per filter; null for layers without weights. */
  filters: Param | null;
  /** Output std per channel (ranks layers with neither stuck shares nor filters). */
  std: number[];
  /** Gradient norm per filter, when `filters` is set. */
  filterGradNorms: number[] | null;
}

/** The channels to show and why: all when few, else the worst CHANNEL_HISTOGRAMS (ties by index). */
export function pickChannels(l: ChannelLayer, max = CHANNEL_HISTOGRAMS): { channels: number[]; rankedBy: ChannelHistograms['rankedBy'] } {
  const all = Array.from({ length: l.channels }, (_, c) => c);
  if (l.channels <= max) return { channels: all, rankedBy: 'all' };
  // worst first: most stuck; else the filters that learn least (a dead filter's gradient is zero); else
  // the channels that carry the least signal
  let rankedBy: ChannelHistograms['rankedBy'];
  let badness: number[];
  if (l.stuck) {
    rankedBy = 'stuck';
    badness = l.stuck();
  } else if (l.filterGradNorms) {
    rankedBy = 'gradient';
    badness = l.filterGradNorms.map((g) => -g);
  } else {
    rankedBy = 'spread';
    badness = l.std.map((s) => -s);
  }
  // NaN is the worst value of all
  const key = (c: number) => (Number.isNaN(badness[c]) ? Infinity : badness[c]);
  return { channels: all.sort((a, b) => key(b) - key(a) || a - b).slice(0, max), rankedBy };
}

/** Share of each channel's values where `stuck` holds, over the batch and positions. */
export function stuckShares(values: FloatArray, channels: number, spatial: number, stuck: (x: number) => boolean): number[] {
  const size = channels * spatial;
  const rows = values.length / size;
  const out: number[] = [];
  for (let c = 0; c < channels; c++) {
    let n = 0;
    for (let r = 0; r < rows; r++) for (let i = r * size + c * spatial, end = i + spatial; i < end; i++) if (stuck(values[i])) n++;
    out.push(n / Math.max(1, rows * spatial));
  }
  return out;
}

export function channelHistograms(l: ChannelLayer): ChannelHistograms {
  const { channels, rankedBy } = pickChannels(l);
  const size = l.channels * l.spatial;
  const rows = l.output.length / size;
  const count = rows * l.spatial;
  const sample = sampleIndices(count, CHANNEL_SAMPLE);
  const values = new Float64Array(sample ? sample.length : count);
  const activation = channels.map((c) => {
    let k = 0;
    for (let j = 0; j < values.length; j++) {
      const at = sample ? sample[j] : j;
      const x = l.output[Math.floor(at / l.spatial) * size + c * l.spatial + (at % l.spatial)];
      if (x - x === 0) values[k++] = x;
    }
    return histogram(values.subarray(0, k), CHANNEL_BINS) ?? { min: 0, max: 0, counts: new Array<number>(CHANNEL_BINS).fill(0) };
  });
  const f = l.filters;
  const width = f ? f.grad.length / f.shape[0] : 0;
  const gradient = f ? channels.map((c) => gradientHistogram(f.grad.subarray(c * width, (c + 1) * width))) : null;
  return { channels, rankedBy, activation, gradient };
}
