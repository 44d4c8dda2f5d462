// Per-channel histograms of an image layer: each channel's outputs over the batch and positions, and each
// conv filter's |weight gradient|. A probe carries at most CHANNEL_HISTOGRAMS channels: every channel of
// the small CNNs people start with, and for wider layers the worst ones, which are what a user looks for
// (the rest are summarised by the per-channel moments). That bounds a layer's share of a probe message at
// CHANNEL_HISTOGRAMS × (CHANNEL_BINS + HISTOGRAM_BINS) numbers whatever the layer's width.
import type { ChannelHistograms, FloatArray } from '../types';
import type { Param } from '../layers/layer';
import { histogram } from '../visuals/pictures';
import { gradientHistogram, sampleIndices } from './histogram';
import type { Kernels } from '../kernels/kernels';
import { kernelIndexBuffer, kernelSampledHistograms } from '../kernels/select';

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

/** The histograms of the chosen channels; their sampled outputs are read in wasm when the output is kernel memory. */
export function channelHistograms(l: ChannelLayer, kernels: Kernels | null = null): ChannelHistograms {
  const { channels, rankedBy } = pickChannels(l);
  const offsets = sampleOffsets(l.output.length / (l.channels * l.spatial), l.channels, l.spatial, kernels);
  const bases = channels.map((c) => c * l.spatial);
  const empty = () => ({ min: 0, max: 0, counts: new Array<number>(CHANNEL_BINS).fill(0) });
  const fast = kernelSampledHistograms(kernels, l.output, offsets, bases, CHANNEL_BINS);
  const activation = fast ? fast.map((h) => h ?? empty()) : bases.map((base) => {
    const values = VALUES;
    let k = 0;
    for (let j = 0; j < offsets.length; j++) {
      const x = l.output[offsets[j] + base];
      if (x - x === 0) values[k++] = x;
    }
    return histogram(values.subarray(0, k), CHANNEL_BINS) ?? empty();
  });
  const f = l.filters;
  const width = f ? f.grad.length / f.shape[0] : 0;
  const gradient = f ? channels.map((c) => gradientHistogram(f.grad.subarray(c * width, (c + 1) * width))) : null;
  return { channels, rankedBy, activation, gradient };
}

/** Values of one channel read for its histogram, reused by every call (a channel's sample is at most CHANNEL_SAMPLE). */
const VALUES = new Float64Array(CHANNEL_SAMPLE);

/** Sample offsets by kernels (whose memory holds them) and geometry: a probe reads the same few layer shapes every time. */
const offsetCache = new WeakMap<object, Map<string, Int32Array>>();
const OFFSET_CACHE_MAX = 64;
const NO_KERNELS = {};

/**
 * Where channel 0's sampled values lie in a [rows × channels × spatial] batch (channel c's are c·spatial
 * further on), ascending: the positions sampleIndices picks out of the channel's rows·spatial values, or all
 * of them. In kernel memory on the wasm path, so the histogram kernel reads them in place.
 */
function sampleOffsets(rows: number, channels: number, spatial: number, kernels: Kernels | null): Int32Array {
  let cache = offsetCache.get(kernels ?? NO_KERNELS);
  if (!cache) offsetCache.set(kernels ?? NO_KERNELS, (cache = new Map()));
  const key = `${rows}:${channels}:${spatial}`;
  let offsets = cache.get(key);
  if (!offsets) {
    const count = rows * spatial;
    const sample = sampleIndices(count, CHANNEL_SAMPLE);
    const positions = new Int32Array(sample ? sample.length : count);
    for (let j = 0; j < positions.length; j++) {
      const at = sample ? sample[j] : j;
      positions[j] = Math.floor(at / spatial) * channels * spatial + (at % spatial);
    }
    offsets = kernels ? kernelIndexBuffer(kernels, positions) : positions;
    if (cache.size >= OFFSET_CACHE_MAX) cache.clear();
    cache.set(key, offsets);
  }
  return offsets;
}
