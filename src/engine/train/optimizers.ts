// Optimisers over {value, grad} pairs only, with PyTorch's update rules (defaults are filled by the spec):
//   sgd      b = μ·b + g;  p -= lr·(nesterov ? g + μ·b : b)           (plain SGD when μ = 0)
//   adagrad  s += g²;  p -= lr·g / (√s + ε)
//   rmsprop  v = ρ·v + (1-ρ)·g²;  p -= lr·g / (√v + ε)               (ρ = `decay`)
//   adam     m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  p -= lr·m̂ / (√v̂ + ε), m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)
// State lives in Float64Arrays allocated once per parameter, except Adam on the wasm kernel path: there a
// parameter whose value and gradient live in kernel memory gets float32 moments beside them and is updated
// by kernelAdamStep (Adam was the largest single cost of a batch-64 step). Each update also sums the stored
// new values: the sum is finite exactly when every value is, so the trainer learns of an overflow without
// another pass (a float32 sum can overflow on finite values too; the trainer then checks entry by entry).
import type { OptimizerSpec } from '../spec/model-spec';
import type { Param } from '../layers/layer';
import type { Kernels } from '../kernels/kernels';
import type { FloatArray } from '../types';
import { allocKernelBuffer, kernelAdamStep } from '../kernels/select';

export interface Optimizer {
  /** Applies one update with this learning rate to every parameter; false if any new value is non-finite. */
  step(lr: number): boolean;
  /**
   * An upper bound on how far the next step(lr) moves any value, given that no gradient entry exceeds
   * `gradBound` in magnitude (Infinity when it cannot be bounded). Call it right before that step: it
   * advances the bound on the optimiser's state; a step taken without it leaves the state unbounded.
   */
  changeBound(lr: number, gradBound: number): number;
}

/** Growth allowed per step for rounding in the bounds (a few float32 ulps are 1e-7 relative). */
const ROUNDING = 1 + 1e-5;

export function createOptimizer(spec: OptimizerSpec, params: readonly Param[], kernels: Kernels | null = null): Optimizer {
  switch (spec.type) {
    case 'sgd':
      return new Sgd(params, spec.momentum, spec.nesterov);
    case 'adagrad':
      return new Adagrad(params, spec.epsilon);
    case 'rmsprop':
      return new RmsProp(params, spec.decay, spec.epsilon);
    case 'adam':
      return new Adam(params, spec.beta1, spec.beta2, spec.epsilon, kernels);
  }
}

const stateFor = (params: readonly Param[]) => params.map((p) => new Float64Array(p.value.length));

/** Tracks whether changeBound ran before each step, so a bound on the state is never trusted stale. */
class StateBound {
  value = 0;
  private armed = false;
  set(v: number): number {
    this.value = Number.isFinite(v) ? v : Infinity;
    this.armed = true;
    return this.value;
  }
  /** Called by step(): the bound holds only if set() ran for this step. */
  consume(): void {
    if (!this.armed) this.value = Infinity;
    this.armed = false;
  }
}

/** lr·g/(√s + ε) with s ≥ 0 never exceeds lr·|g|/ε. */
function epsilonBound(lr: number, gradBound: number, eps: number): number {
  return eps > 0 ? ((lr * gradBound) / eps) * ROUNDING : Infinity;
}

class Sgd implements Optimizer {
  private readonly velocity: Float64Array[];
  private readonly bound = new StateBound();
  constructor(
    private readonly params: readonly Param[],
    private readonly momentum: number,
    private readonly nesterov: boolean,
  ) {
    this.velocity = stateFor(params);
  }

  changeBound(lr: number, gradBound: number): number {
    const mu = this.momentum;
    if (mu === 0) return this.bound.set(lr * gradBound * ROUNDING);
    const b = this.bound.set((mu * this.bound.value + gradBound) * ROUNDING);
    return lr * (this.nesterov ? gradBound + mu * b : b) * ROUNDING;
  }

  step(lr: number): boolean {
    this.bound.consume();
    const mu = this.momentum;
    const nesterov = this.nesterov;
    let check = 0;
    for (let k = 0; k < this.params.length; k++) {
      const w = this.params[k].value;
      const g = this.params[k].grad;
      const b = this.velocity[k];
      for (let i = 0; i < w.length; i++) {
        if (mu === 0) {
          w[i] -= lr * g[i];
        } else {
          const bi = mu * b[i] + g[i];
          b[i] = bi;
          w[i] -= lr * (nesterov ? g[i] + mu * bi : bi);
        }
        check += w[i];
      }
    }
    return Number.isFinite(check);
  }
}

class Adagrad implements Optimizer {
  private readonly sum: Float64Array[];
  constructor(
    private readonly params: readonly Param[],
    private readonly epsilon: number,
  ) {
    this.sum = stateFor(params);
  }

  changeBound(lr: number, gradBound: number): number {
    return epsilonBound(lr, gradBound, this.epsilon);
  }

  step(lr: number): boolean {
    const eps = this.epsilon;
    let check = 0;
    for (let k = 0; k < this.params.length; k++) {
      const w = this.params[k].value;
      const g = this.params[k].grad;
      const s = this.sum[k];
      for (let i = 0; i < w.length; i++) {
        const gi = g[i];
        const si = s[i] + gi * gi;
        s[i] = si;
        w[i] -= (lr * gi) / (Math.sqrt(si) + eps);
        check += w[i];
      }
    }
    return Number.isFinite(check);
  }
}

class RmsProp implements Optimizer {
  private readonly meanSquare: Float64Array[];
  constructor(
    private readonly params: readonly Param[],
    private readonly decay: number,
    private readonly epsilon: number,
  ) {
    this.meanSquare = stateFor(params);
  }

  changeBound(lr: number, gradBound: number): number {
    return epsilonBound(lr, gradBound, this.epsilon);
  }

  step(lr: number): boolean {
    const rho = this.decay;
    const eps = this.epsilon;
    let check = 0;
    for (let k = 0; k < this.params.length; k++) {
      const w = this.params[k].value;
      const g = this.params[k].grad;
      const v = this.meanSquare[k];
      for (let i = 0; i < w.length; i++) {
        const gi = g[i];
        const vi = rho * v[i] + (1 - rho) * gi * gi;
        v[i] = vi;
        w[i] -= (lr * gi) / (Math.sqrt(vi) + eps);
        check += w[i];
      }
    }
    return Number.isFinite(check);
  }
}

class Adam implements Optimizer {
  private readonly m: FloatArray[];
  private readonly v: FloatArray[];
  /** Per parameter: updated by kernelAdamStep (float32 moments in kernel memory) or by the scalar loop. */
  private readonly onKernel: boolean[];
  /** |m| never exceeds this (m is an average of past gradients). */
  private readonly mBound = new StateBound();
  private t = 0;
  constructor(
    private readonly params: readonly Param[],
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly epsilon: number,
    private readonly kernels: Kernels | null,
  ) {
    this.m = [];
    this.v = [];
    this.onKernel = params.map((p) => {
      // A zero-length step runs nothing: it only asks whether the kernel accepts these arrays in place.
      const accepts = (m: FloatArray, v: FloatArray) =>
        kernels !== null && kernelAdamStep(kernels, p.value.subarray(0, 0), p.grad.subarray(0, 0), m.subarray(0, 0), v.subarray(0, 0), 0, 0, 0, 1, 1) !== null;
      if (accepts(p.value, p.grad)) {
        const m = allocKernelBuffer(kernels!, 'float32', p.value.length);
        const v = allocKernelBuffer(kernels!, 'float32', p.value.length);
        if (accepts(m, v)) {
          this.m.push(m);
          this.v.push(v);
          return true;
        }
      }
      this.m.push(new Float64Array(p.value.length));
      this.v.push(new Float64Array(p.value.length));
      return false;
    });
  }

  changeBound(lr: number, gradBound: number): number {
    const b1 = this.beta1;
    // The float32 kernel rounds β1, 1-β1 and ε to float32: bound with whichever is worse.
    const f32 = this.onKernel.some(Boolean);
    const decay = f32 ? Math.max(b1, Math.fround(b1)) : b1;
    const gain = f32 ? Math.max(1 - b1, Math.fround(1 - Math.fround(b1))) : 1 - b1;
    const m = this.mBound.set((decay * this.mBound.value + gain * gradBound) * ROUNDING);
    // A denominator √v·c + ε is never below ε.
    const eps = f32 ? Math.min(this.epsilon, Math.fround(this.epsilon)) : this.epsilon;
    return epsilonBound(lr / (1 - Math.pow(b1, this.t + 1)), m, eps);
  }

  step(lr: number): boolean {
    this.mBound.consume();
    this.t++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const eps = this.epsilon;
    // PyTorch's arrangement of the bias corrections: p -= (lr / c1) · m / (√v / √c2 + ε).
    const stepSize = lr / (1 - Math.pow(b1, this.t));
    const invSqrtC2 = 1 / Math.sqrt(1 - Math.pow(b2, this.t));
    let check = 0;
    for (let k = 0; k < this.params.length; k++) {
      const w = this.params[k].value;
      const g = this.params[k].grad;
      const m = this.m[k];
      const v = this.v[k];
      const sum = this.onKernel[k] ? kernelAdamStep(this.kernels!, w, g, m, v, b1, b2, stepSize, invSqrtC2, eps) : null;
      if (sum !== null) {
        check += sum;
        continue;
      }
      for (let i = 0; i < w.length; i++) {
        const gi = g[i];
        const mi = b1 * m[i] + (1 - b1) * gi;
        const vi = b2 * v[i] + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + eps);
        check += w[i];
      }
    }
    return Number.isFinite(check);
  }
}
