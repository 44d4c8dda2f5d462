// Gradient clipping by global L2 norm (all parameters scaled together, as torch.nn.utils.clip_grad_norm_)
// or by value (each entry clamped to [-value, value]). Always measures the global norm before and after,
// so probes can report how often and how much it clipped (and the trainer sees non-finite gradients).
// The norm runs in wasm SIMD (kernelSumSquares) for gradients in kernel memory.
import type { ClippingSpec } from '../spec/model-spec';
import type { Param } from '../layers/layer';
import type { Kernels } from '../kernels/kernels';
import type { FloatArray } from '../types';
import { kernelSumSquares } from '../kernels/select';

export class GradientClipper {
  normBefore = 0;
  normAfter = 0;
  clipped = false;
  /** Σg² of each parameter's gradient as the last norm summed it: the gradients as apply() left them. */
  readonly gradSquares = new Map<Param, number>();

  constructor(
    readonly spec: ClippingSpec,
    private readonly kernels: Kernels | null = null,
  ) {}

  /** Clips the gradients in place and updates normBefore/normAfter/clipped. */
  apply(params: readonly Param[]): void {
    this.normBefore = this.norm(params);
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
      this.normAfter = this.norm(params);
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
      this.normAfter = this.clipped ? this.norm(params) : this.normBefore;
    } else {
      this.normAfter = this.normBefore;
    }
  }

  /** The global L2 norm of the gradients, keeping each parameter's share in gradSquares. */
  private norm(params: readonly Param[]): number {
    let sum = 0;
    for (const p of params) {
      const squares = sumSquares(p.grad, this.kernels);
      this.gradSquares.set(p, squares);
      sum += squares;
    }
    return Math.sqrt(sum);
  }
}

/** Σa², in wasm SIMD where `kernels` can read `a` in place; float64 throughout otherwise. */
export function sumSquares(a: FloatArray, kernels: Kernels | null): number {
  const fast = kernels ? kernelSumSquares(kernels, a) : null;
  // The kernel squares in float32, which overflows above 1.8e19: then only the float64 loop tells a huge
  // finite gradient from an infinite one.
  if (fast !== null && fast !== Infinity) return fast;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}
