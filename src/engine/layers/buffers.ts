// Typed-array allocation by dtype, and a per-batch-size buffer cache so a layer allocates its activation
// buffers once for each batch size it meets (full batches, the last short batch, evaluation chunks) and
// then reuses them on every later step.
import type { DType, FloatArray } from '../types';

export function allocFloat(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export class BatchCache<T> {
  private readonly byBatch = new Map<number, T>();
  constructor(private readonly make: (batch: number) => T) {}

  get(batch: number): T {
    let entry = this.byBatch.get(batch);
    if (entry === undefined) {
      entry = this.make(batch);
      this.byBatch.set(batch, entry);
    }
    return entry;
  }
}

/** True when every one of the first `n` entries is finite. */
export function allFinite(a: FloatArray, n = a.length): boolean {
  for (let i = 0; i < n; i++) {
    // x - x is NaN exactly for NaN and ±Infinity: one cheap test for both.
    if (a[i] - a[i] !== 0) return false;
  }
  return true;
}
