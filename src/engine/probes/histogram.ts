// Fixed log-spaced bins for |gradient| so histograms from any layer, step or run compare directly. Large
// tensors are read over a sample picked by a golden-ratio (Weyl) sequence, each entry standing for
// n / sample entries: reading all of a 200k-weight layer several times per probe costs more than the
// probe budget, and a plain stride would alias with the matrix rows and see only some units.
import type { FloatArray } from '../types';
import { HISTOGRAM_EDGES, HISTOGRAM_BINS } from '../../shared/histogram-edges';

/** Entries compared before and after the update for the update ratio of large tensors. */
export const RATIO_SAMPLE = 8192;
/** Entries binned for a histogram: its 14 bins need far fewer than a norm does. */
export const HISTOGRAM_SAMPLE = 256;

const EDGES = Float64Array.from(HISTOGRAM_EDGES);

/** EDGES padded to 16 with NaN (no value compares at or above NaN), for a fixed four-step search. */
const PADDED = Float64Array.from({ length: 16 }, (_, i) => (i < EDGES.length ? EDGES[i] : NaN));

/**
 * The bin of a finite |g|: the number of edges at or below it. Four steps of 8, 4, 2, 1 written as
 * conditional adds, which compile without branches: a branching binary search mispredicted on most entries
 * and took a third of a probe's time on a small model.
 */
export function binOf(a: number): number {
  let b = PADDED[7] <= a ? 8 : 0;
  b += PADDED[b + 3] <= a ? 4 : 0;
  b += PADDED[b + 1] <= a ? 2 : 0;
  b += PADDED[b] <= a ? 1 : 0;
  return b;
}

/**
 * Up to `max` indices into a tensor of `n` entries, spread by a golden-ratio sequence; null when the
 * tensor is small enough to read whole.
 */
export function sampleIndices(n: number, max: number): Int32Array | null {
  if (n <= max) return null;
  const out = new Int32Array(max);
  let x = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = Math.floor(x * n);
    x += GOLDEN;
    if (x >= 1) x -= 1;
  }
  // ascending order: the same entries, read front to back instead of jumping across memory
  return out.sort();
}

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * Adds the integer count of each bin to `bins`, or returns false when it cannot (the wasm kernel, when
 * values and sample live in its memory). Passed in, so this module stays free of the kernels: the panel
 * imports it for the edges.
 */
export type BinCounter = (values: FloatArray, sample: Int32Array | null, edges: readonly number[], bins: Int32Array) => boolean;

/** Histogram of |values| over the sample (non-finite entries skipped); counts sum to about values.length. */
export function gradientHistogram(values: FloatArray, sample: Int32Array | null = sampleIndices(values.length, HISTOGRAM_SAMPLE), fast: BinCounter | null = null): number[] {
  const samples = sample ? sample.length : values.length;
  const weight = values.length / Math.max(1, samples);
  const bins = COUNTS.fill(0);
  if (!fast || !fast(values, sample, HISTOGRAM_EDGES, bins)) {
    for (let k = 0; k < samples; k++) {
      const v = values[sample ? sample[k] : k];
      if (v - v !== 0) continue;
      bins[binOf(Math.abs(v))]++;
    }
  }
  const counts = new Array<number>(HISTOGRAM_BINS);
  for (let b = 0; b < HISTOGRAM_BINS; b++) counts[b] = bins[b] * weight;
  return counts;
}

/** Integer counts per bin, reused by every call (only read back before the next). */
const COUNTS = new Int32Array(HISTOGRAM_BINS);
