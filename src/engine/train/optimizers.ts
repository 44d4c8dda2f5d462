// Optimisers over {value, grad} pairs only, with PyTorch's update rules (defaults are filled by the spec):
//   sgd      b = μ·b + g;  p -= lr·(nesterov ? g + μ·b : b)           (plain SGD when μ = 0)
//   adagrad  s += g²;  p -= lr·g / (√s + ε)
//   rmsprop  v = ρ·v + (1-ρ)·g²;  p -= lr·g / (√v + ε)               (ρ = `decay`)
//   adam     m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  p -= lr·m̂ / (√v̂ + ε), m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)
// State lives in Float64Arrays allocated once per parameter.
import type { OptimizerSpec } from '../spec/model-spec';
import type { Param } from '../layers/layer';

export interface Optimizer {
  /** Applies one update with this learning rate to every parameter, from its current grad. */
  step(lr: number): void;
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

  step(lr: number): void {
    const mu = this.momentum;
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k];
      const w = p.value;
      const g = p.grad;
      if (mu === 0) {
        for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
        continue;
      }
      const b = this.velocity[k];
      for (let i = 0; i < w.length; i++) {
        b[i] = mu * b[i] + g[i];
        w[i] -= lr * (this.nesterov ? g[i] + mu * b[i] : b[i]);
      }
    }
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

  step(lr: number): void {
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k];
      const w = p.value;
      const g = p.grad;
      const s = this.sum[k];
      for (let i = 0; i < w.length; i++) {
        s[i] += g[i] * g[i];
        w[i] -= (lr * g[i]) / (Math.sqrt(s[i]) + this.epsilon);
      }
    }
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

  step(lr: number): void {
    const rho = this.decay;
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k];
      const w = p.value;
      const g = p.grad;
      const v = this.meanSquare[k];
      for (let i = 0; i < w.length; i++) {
        v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
        w[i] -= (lr * g[i]) / (Math.sqrt(v[i]) + this.epsilon);
      }
    }
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

  step(lr: number): void {
    this.t++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k];
      const w = p.value;
      const g = p.grad;
      const m = this.m[k];
      const v = this.v[k];
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.epsilon);
      }
    }
  }
}
