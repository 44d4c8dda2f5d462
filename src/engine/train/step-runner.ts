// One training step and one evaluation pass over preallocated buffers: forward, loss, backward,
// regularisation, clipping, update, with a finiteness check after each stage so the first layer and
// stage that produced NaN/Inf can be named, and the weights stay the last finite ones.
import type { FloatArray, NonFiniteReport } from '../types';
import type { Layer, Param } from '../layers/layer';
import type { LossPlan } from './losses';
import { computeLoss } from './losses';
import { allFinite as allFiniteLoop } from '../layers/buffers';
import { kernelAllFinite } from '../kernels/select';
import { addRegularizationGradients } from './regularization';
import type { GradientClipper } from './clipping';
import type { Optimizer } from './optimizers';
import { TensorSnapshot } from './snapshot';
import { descriptorOf } from '../spec/layer-kinds';

export type Stage = NonFiniteReport['stage'];

export interface Failure {
  stage: Stage;
  /** Position in the expanded layer list. */
  position: number;
}

/**
 * While a bound on |weights| plus the optimiser's bound on the step stays below this, no updated value can
 * overflow (float32 tops out at 3.4e38), so the copy that undoes a non-finite update is skipped. Healthy
 * training never comes near it; an exploding run falls back to copying before every update.
 */
const SAFE_MAGNITUDE = 1e37;

export class StepRunner {
  private readonly params: Param[];
  private readonly owner: number[];
  private readonly beforeUpdate: TensorSnapshot;
  /**
   * No parameter value exceeds this in magnitude: grown by each step's bound, re-measured after a copied
   * step. (Early stopping restores older weights only as training ends, so it never invalidates it.)
   */
  private weightBound: number;
  /** Per layer: whether its output, and its input gradient, can be the first non-finite values (LayerTraits.keepsFinite). */
  private readonly checkOutput: boolean[];
  private readonly checkInputGradient: boolean[];

  constructor(
    private readonly layers: readonly Layer[],
    private readonly plan: LossPlan,
    private readonly clipper: GradientClipper,
    private readonly optimizer: Optimizer,
  ) {
    this.params = [];
    this.owner = [];
    layers.forEach((l, position) => {
      for (const p of l.params) {
        this.params.push(p);
        this.owner.push(position);
      }
    });
    this.beforeUpdate = new TensorSnapshot(layers, false);
    // The first layer's input is the data, which nothing has checked; after it, every layer's input is finite
    // once the step got that far (checked, or written by a layer that keeps finite values finite).
    const keeps = layers.map((l) => descriptorOf(l.spec).traits.keepsFinite);
    this.checkOutput = keeps.map((k, i) => i === 0 || k === null);
    this.checkInputGradient = keeps.map((k) => k !== 'both');
    this.weightBound = maxAbs(this.params);
  }

  get allParams(): readonly Param[] {
    return this.params;
  }

  /** Forward pass; returns the position of the first layer with a non-finite output, or -1. */
  forward(x: FloatArray, batch: number, training: boolean): number {
    let a = x;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      a = layer.forward(a, batch, training);
      if (training && this.checkOutput[i] && !allFinite(a, batch * layer.outputSize)) return i;
    }
    return -1;
  }

  /** Loss of the last forward; writes the loss gradient into `grad` when given. */
  loss(y: FloatArray, batch: number, grad: FloatArray | null): number {
    return computeLoss(this.plan, this.layers, y, batch, grad);
  }

  /** Backward from the loss gradient, then regularisation and clipping. Returns a failure or null. */
  backward(lossGrad: FloatArray, batch: number): Failure | null {
    let g = lossGrad;
    const top = this.topLayer();
    for (let i = top; i >= 0; i--) {
      const layer = this.layers[i];
      g = layer.backward(g, batch);
      // Input gradients are activation-sized, so checking each is cheap; parameter gradients are checked
      // through the global norm the clipper computes anyway (finite exactly when every entry is).
      if (i > 0 && this.checkInputGradient[i] && !allFinite(g, batch * layer.inputSize)) return { stage: 'backward', position: this.firstBadGradient(top, i) ?? i };
    }
    addRegularizationGradients(this.params);
    this.clipper.apply(this.params);
    if (!Number.isFinite(this.clipper.normBefore)) {
      const position = this.firstBadGradient(top, 0);
      // null: every entry is finite and only the float64 sum of squares overflowed.
      if (position !== null) return { stage: 'backward', position };
    }
    return null;
  }

  /** Applies the optimiser; if any weight turns non-finite the update is undone and reported. */
  update(lr: number): Failure | null {
    // Every gradient entry is at most the global norm after clipping; storing a value rounds it by < 1e-7.
    const reach = (this.weightBound + this.optimizer.changeBound(lr, this.clipper.normAfter)) * (1 + 1e-6);
    const safe = reach < SAFE_MAGNITUDE;
    if (!safe) this.beforeUpdate.save();
    const finiteSum = this.optimizer.step(lr);
    if (!finiteSum) {
      for (let k = 0; k < this.params.length; k++) {
        if (!allFinite(this.params[k].value)) {
          // With `safe` the bound rules this out; without it the copy taken above is restored.
          if (!safe) this.beforeUpdate.restore();
          return { stage: 'update', position: this.owner[k] };
        }
      }
    }
    this.weightBound = safe ? reach : maxAbs(this.params);
    return null;
  }

  private topLayer(): number {
    return this.plan.fused ? this.layers.length - 2 : this.layers.length - 1;
  }

  /** The first layer in backward order (from `top` down to `bottom`) with a non-finite parameter gradient. */
  private firstBadGradient(top: number, bottom: number): number | null {
    for (let i = top; i >= bottom; i--) for (const p of this.layers[i].params) if (!allFinite(p.grad)) return i;
    return null;
  }
}

/** The finiteness checks after each stage: in wasm SIMD for kernel memory (their arrays live there on the wasm path). */
function allFinite(a: FloatArray, n = a.length): boolean {
  return kernelAllFinite(a, n) ?? allFiniteLoop(a, n);
}

function maxAbs(params: readonly Param[]): number {
  let m = 0;
  for (const p of params) {
    const a = p.value;
    // NaN compares false and would be skipped: let it through as Infinity.
    for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]) <= m)) m = a[i] - a[i] === 0 ? Math.abs(a[i]) : Infinity;
  }
  return m;
}
