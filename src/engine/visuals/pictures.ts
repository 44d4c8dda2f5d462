// What the panel's pictures show of each layer: the distribution of its outputs over the last training
// batch, per-unit state for the network diagram, its weights when small enough to draw as links, and
// weight/gradient quantiles over time. Everything is read from live buffers and nothing is written.
import type { Layer } from '../layers/layer';
import type { FloatArray, LayerPicture, ValueHistogram } from '../types';
import { stuckTest } from '../probes/stuck-tests';

/** Layers wider than this are drawn as one summary bar, not unit by unit. */
export const MAX_DRAWN_UNITS = 32;
/** Quantiles of the weight and gradient bands (TensorBoard's distributions use the same idea). */
export const QUANTILES: readonly number[] = [0, 0.07, 0.16, 0.31, 0.5, 0.69, 0.84, 0.93, 1];
export const OUTPUT_BINS = 30;
/** Entries read for a histogram or quantiles: enough for 30 bins or 9 quantiles, cheap on a 200k-weight layer. */
const SAMPLE = 1024;

/** Every `stride`-th entry of the first `n`, at most SAMPLE of them, finite ones only. */
function sample(values: FloatArray, n: number): Float64Array {
  const stride = Math.max(1, Math.ceil(n / SAMPLE));
  const out = new Float64Array(Math.ceil(n / stride));
  let k = 0;
  for (let i = 0; i < n; i += stride) if (Number.isFinite(values[i])) out[k++] = values[i];
  return out.subarray(0, k);
}

export function histogram(values: Float64Array, bins = OUTPUT_BINS): ValueHistogram | null {
  if (values.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  const width = (max - min) / bins;
  for (const v of values) counts[width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0]++;
  return { min, max, counts };
}

/** The QUANTILES of `values` (sorted in place). */
export function quantiles(values: Float64Array): number[] | null {
  if (values.length === 0) return null;
  values.sort();
  return QUANTILES.map((q) => values[Math.min(values.length - 1, Math.round(q * (values.length - 1)))]);
}

function unitStats(kind: string, out: FloatArray, rows: number, units: number): LayerPicture['units'] {
  if (units > MAX_DRAWN_UNITS || rows === 0) return null;
  const stuck = stuckTest(kind);
  const mean: number[] = [];
  const std: number[] = [];
  const stuckShare: number[] = [];
  for (let j = 0; j < units; j++) {
    let s = 0;
    let q = 0;
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const x = out[r * units + j];
      s += x;
      q += x * x;
      if (stuck?.test(x)) n++;
    }
    const m = s / rows;
    mean.push(m);
    std.push(Math.sqrt(Math.max(0, q / rows - m * m)));
    stuckShare.push(stuck ? n / rows : 0);
  }
  return { mean, std, stuck: stuckShare, stuckMeans: stuck?.means ?? null };
}

/** The picture of one layer after a training step (its buffers hold that step's batch). */
export function layerPicture(layer: Layer): LayerPicture {
  const units = layer.outputSize;
  const out = layer.lastOutput;
  // buffers are allocated per batch size, so the output holds exactly the batch's rows
  const n = out ? out.length : 0;
  const rows = n / units;
  const weight = layer.params.find((p) => p.role === 'weight' || p.role === 'gamma') ?? null;
  const weighted = weight?.role === 'weight';
  const drawable = weighted && layer.inputSize <= MAX_DRAWN_UNITS && units <= MAX_DRAWN_UNITS;
  return {
    position: layer.position,
    name: layer.spec.name,
    kind: layer.spec.kind,
    output: out ? histogram(sample(out, n)) : null,
    units: out ? unitStats(layer.spec.kind, out, rows, units) : null,
    weighted,
    // three significant digits draw the same links and keep the picture small on the wire
    weights: drawable ? Array.from(weight.value, (w) => Number(w.toPrecision(3))) : null,
    weightQuantiles: weight ? quantiles(sample(weight.value, weight.value.length)) : null,
    gradQuantiles: weight ? quantiles(sample(weight.grad, weight.grad.length)) : null,
  };
}
