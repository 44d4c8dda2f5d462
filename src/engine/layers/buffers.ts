// The buffer allocator layers receive, and a per-batch-size buffer cache so a layer allocates its activation
// buffers once for each batch size it meets (full batches, the last short batch, evaluation chunks) and
// then reuses them on every later step.
import type { FloatArray } from '../types';

/** Allocates a zeroed float buffer of the run's dtype (in kernel memory where the kernels have their own). */
export type Alloc = (n: number) => FloatArray;

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
