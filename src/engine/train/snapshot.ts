// A preallocated copy of tensors (parameter values, and batch-norm running statistics where asked), used
// to roll back a non-finite update and to restore early stopping's best epoch.
import type { FloatArray } from '../types';
import type { Layer } from '../layers/layer';

export class TensorSnapshot {
  private readonly live: FloatArray[];
  private readonly saved: Float64Array[];

  constructor(layers: readonly Layer[], includeState: boolean) {
    this.live = [];
    for (const l of layers) {
      for (const p of l.params) this.live.push(p.value);
      if (includeState) for (const s of l.state) this.live.push(s.value);
    }
    this.saved = this.live.map((a) => new Float64Array(a.length));
  }

  save(): void {
    for (let k = 0; k < this.live.length; k++) this.saved[k].set(this.live[k]);
  }

  restore(): void {
    // Values came from the live arrays, so copying back is exact for float32 as well.
    for (let k = 0; k < this.live.length; k++) this.live[k].set(this.saved[k]);
  }
}
