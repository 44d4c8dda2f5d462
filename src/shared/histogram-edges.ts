// The gradient histogram's bins, shared by the probes that fill them and the panel that labels them.

/** Bin edges 1e-10 ... 1e2. Bin 0 holds |g| < 1e-10 (zeros included), bin k holds [EDGES[k-1], EDGES[k]), the last bin >= 1e2. */
export const HISTOGRAM_EDGES: readonly number[] = Array.from({ length: 13 }, (_, i) => Number(`1e${i - 10}`));
export const HISTOGRAM_BINS = HISTOGRAM_EDGES.length + 1;
