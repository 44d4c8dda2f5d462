// How probes watch training without changing it. The trainer calls an observer only on the steps it asks
// for; the context exposes read-only views of live buffers that must not be mutated.
import type { Layer, Param } from '../layers/layer';
import type { ModelSpec } from '../spec/model-spec';
import type { Kernels } from '../kernels/kernels';

export interface StepContext {
  step: number;
  epoch: number;
  batch: number;
  loss: number;
  lr: number;
  spec: ModelSpec;
  layers: readonly Layer[];
  /** The kernel path the layers' buffers belong to (for reading them with kernelSumSquares); never to write. */
  readonly kernels: Kernels;
  /** Global gradient L2 norm before and after clipping for this step (equal when nothing was clipped). */
  gradNormBefore: number;
  gradNormAfter: number;
  clipped: boolean;
  /** Σg² of each parameter's gradient, as the global norm summed it from this step's (clipped) gradients. */
  readonly gradSquares: ReadonlyMap<Param, number>;
}

export interface TrainingObserver {
  /** Called before every step, cheaply: decide whether this step is observed. */
  wants(step: number): boolean;
  /**
   * Before an observed step's forward pass: work that reads only the weights, which are then those the
   * step's update starts from. The trainer may run it on the calling thread while helper threads start the
   * step's first product, and always before afterBackward; products it runs stay on the calling thread.
   */
  beforeStep?(step: number, layers: readonly Layer[], kernels: Kernels): void;
  /** After backward and clipping, before the optimiser changes anything (weights and grads are this step's). */
  afterBackward(ctx: StepContext): void;
  /**
   * After afterBackward, while the optimiser updates the weights: work that reads this step's gradients,
   * activations and layer state but no parameter's value. The trainer may run it on the calling thread
   * beside the update's first split job; it has run before afterUpdate.
   */
  duringUpdate?(ctx: StepContext): void;
  /** After the optimiser update of an observed step. */
  afterUpdate(ctx: StepContext): void;
  /** Every step (observed or not), for cheap running counters such as clipping frequency. */
  onStep?(ctx: StepContext): void;
}
