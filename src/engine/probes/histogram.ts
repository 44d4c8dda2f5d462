// Fixed log-spaced bins for |gradient| so histograms from any layer, step or run compare directly.

/** Bin edges 1e-10 ... 1e2. Bin 0 holds |g| < 1e-10 (zeros included), bin k holds [EDGES[k-1], EDGES[k]), the last bin >= 1e2. */
export const HISTOGRAM_EDGES: readonly number[] = Array.from({ length: 13 }, (_, i) => 10 ** (i - 10));
export const HISTOGRAM_BINS = HISTOGRAM_EDGES.length + 1;

const LOG_MIN = -10;

/** Adds the finite entries of `values` to `counts` (length HISTOGRAM_BINS, zeroed by the caller). */
export function accumulateHistogram(values: ArrayLike<number>, counts: number[]): void {
  const last = HISTOGRAM_BINS - 1;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (!(a < Infinity)) continue; // NaN/Inf are counted as non-finite, not binned
    if (a < 1e-10) {
      counts[0]++;
      continue;
    }
    const bin = Math.floor(Math.log10(a)) - LOG_MIN + 1;
    counts[bin > last ? last : bin < 1 ? 1 : bin]++;
  }
}
