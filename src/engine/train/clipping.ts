// Gradient clipping by global L2 norm (all parameters scaled together, as torch.nn.utils.clip_grad_norm_)
// or by value (each entry clamped to [-value, value]). Always measures the global norm before and after,
// so probes can report how often and how much it clipped (and the trainer sees non-finite gradients).
import type { ClippingSpec } from '../spec/model-spec';
import type { Param } from '../layers/layer';

export class GradientClipper {
  normBefore = 0;
  normAfter = 0;
  clipped = false;

  constructor(readonly spec: ClippingSpec) {}

  /** Clips the gradients in place and updates normBefore/normAfter/clipped. */
  apply(params: readonly Param[]): void {
    this.normBefore = globalNorm(params);
    this.clipped = false;
    if (!Number.isFinite(this.normBefore)) {
      // Non-finite gradients: the trainer stops before any update, so leave them as they are.
      this.normAfter = this.normBefore;
    } else if (this.spec.mode === 'norm' && this.normBefore > this.spec.norm) {
      const scale = this.spec.norm / this.normBefore;
      for (const p of params) {
        const g = p.grad;
        for (let i = 0; i < g.length; i++) g[i] *= scale;
      }
      this.clipped = true;
      this.normAfter = globalNorm(params);
    } else if (this.spec.mode === 'value') {
      const v = this.spec.value;
      for (const p of params) {
        const g = p.grad;
        for (let i = 0; i < g.length; i++) {
          if (g[i] > v) {
            g[i] = v;
            this.clipped = true;
          } else if (g[i] < -v) {
            g[i] = -v;
            this.clipped = true;
          }
        }
      }
      this.normAfter = this.clipped ? globalNorm(params) : this.normBefore;
    } else {
      this.normAfter = this.normBefore;
    }
  }
}

export function globalNorm(params: readonly Param[]): number {
  let sum = 0;
  for (const p of params) {
    const g = p.grad;
    for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  }
  return Math.sqrt(sum);
}
