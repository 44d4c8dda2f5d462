// Optimisers over {value, grad} pairs only, with PyTorch's update rules (defaults are filled by the spec):
//   sgd      b = μ·b + g;  p -= lr·(nesterov ? g + μ·b : b)           (plain SGD when μ = 0)
//   adagrad  s += g²;  p -= lr·g / (√s + ε)
//   rmsprop  v = ρ·v + (1-ρ)·g²;  p -= lr·g / (√v + ε)               (ρ = `decay`)
//   adam     m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  p -= lr·m̂ / (√v̂ + ε), m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)
// State lives in Float64Arrays allocated once per parameter. Each update also sums the stored new values:
// the sum is finite exactly when every value is, so the trainer learns of an overflow without another pass.
import type { OptimizerSpec } from '../spec/model-spec';
import type { Param } from '../layers/layer';

export interface Optimizer {
  /** Applies one update with this learning rate to every parameter; false if any new value is non-finite. */
  step(lr: number): boolean;
}

export function createOptimizer(spec: OptimizerSpec, params: readonly Param[]): Optimizer {
  switch (spec.type) {
    case 'sgd':
      return new Sgd(params, spec.momentum, spec.nesterov);
    case 'adagrad':
      return new Adagrad(params, spec.epsilon);
    case 'rmsprop':
      return new RmsProp(params, spec.decay, spec.epsilon);
    case 'adam':
      return new Adam(params, spec.beta1, spec.beta2, spec.epsilon);
  }
}

const stateFor = (params: readonly Param[]) => params.map((p) => new Float64Array(p.value.length));

class Sgd implements Optimizer {
  private readonly velocity: Float64Array[];
  constructor(
    private readonly params: readonly Param[],
    private readonly momentum: number,
    private readonly nesterov: boolean,
  ) {
    this.velocity = stateFor(params);
  }

  step(lr: number): boolean {
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
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;
  constructor(
    private readonly params: readonly Param[],
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly epsilon: number,
  ) {
    this.m = stateFor(params);
    this.v = stateFor(params);
  }

  step(lr: number): boolean {
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
