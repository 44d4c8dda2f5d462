// Feature preprocessing. Statistics always come from the training split only, so nothing about the
// validation samples leaks into training.
import type { Preprocess } from '../spec/model-spec';
import type { Dataset } from './dataset';

export type FeatureStats = Dataset['rawStats'];

/** Per-feature mean, population std, min and max of row-major [n × inputs] features. */
export function featureStats(x: Float64Array, n: number, inputs: number): FeatureStats {
  const mean = new Float64Array(inputs);
  const std = new Float64Array(inputs);
  const min = new Float64Array(inputs).fill(n > 0 ? Infinity : 0);
  const max = new Float64Array(inputs).fill(n > 0 ? -Infinity : 0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < inputs; j++) {
      const v = x[i * inputs + j];
      mean[j] += v;
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  for (let j = 0; j < inputs; j++) mean[j] = n > 0 ? mean[j] / n : 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < inputs; j++) {
      const d = x[i * inputs + j] - mean[j];
      std[j] += d * d;
    }
  }
  for (let j = 0; j < inputs; j++) std[j] = n > 0 ? Math.sqrt(std[j] / n) : 0;
  return { mean, std, min, max };
}

/** Applies `mode` in place with the given (training) statistics; constant features are only shifted. */
export function applyPreprocess(x: Float64Array, inputs: number, mode: Preprocess, stats: FeatureStats): void {
  if (mode === 'none') return;
  const shift = new Float64Array(inputs);
  const divisor = new Float64Array(inputs).fill(1);
  for (let j = 0; j < inputs; j++) {
    if (mode === 'min-max') {
      shift[j] = stats.min[j];
      const range = stats.max[j] - stats.min[j];
      if (range > 0) divisor[j] = range;
    } else {
      shift[j] = stats.mean[j];
      if (mode === 'standardize' && stats.std[j] > 0) divisor[j] = stats.std[j];
    }
  }
  // a division (not a multiplication by the reciprocal) maps the training maximum to exactly 1
  const rows = inputs > 0 ? x.length / inputs : 0;
  for (let r = 0; r < rows; r++) {
    const at = r * inputs;
    for (let j = 0; j < inputs; j++) x[at + j] = (x[at + j] - shift[j]) / divisor[j];
  }
}
