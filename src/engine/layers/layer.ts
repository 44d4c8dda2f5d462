// The contract every layer keeps. Activations are row-major [batch × size] buffers (a [C, H, W] sample
// flat, channel-major) owned by the layer and
// reused between steps (no allocation per step once the batch size is seen).
import type { FloatArray } from '../types';
import type { LayerSpec } from '../spec/model-spec';
import type { Shape } from '../spec/layer-kinds';

/** A trainable tensor and its gradient: the only thing optimisers ever see. */
export interface Param {
  /** "<layer name>.<weight|bias|gamma|beta>" */
  readonly id: string;
  readonly role: 'weight' | 'bias' | 'gamma' | 'beta';
  readonly value: FloatArray;
  readonly grad: FloatArray;
  /** [rows, cols]; a vector is [1, n]. */
  readonly shape: readonly [number, number];
  /** L1/L2 strengths that apply to this tensor (0 for biases and norm parameters). */
  readonly l1: number;
  readonly l2: number;
}

/** Non-trainable state that must be saved with the weights (batch-norm running statistics). */
export interface StateBuffer {
  readonly id: string;
  readonly value: FloatArray;
}

export interface Layer {
  readonly spec: LayerSpec;
  /** Position in the expanded layer list. */
  readonly position: number;
  /** `[features]` or `[C, H, W]`; a sample is stored flat, channel-major. */
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** Values per sample: the products of the shapes. */
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: readonly Param[];
  readonly state: readonly StateBuffer[];
  /** Forward pass; `training` switches dropout masks and batch statistics. Returns the layer's own output buffer. */
  forward(input: FloatArray, batch: number, training: boolean): FloatArray;
  /** Backward pass for the last training forward; accumulates nothing: overwrites param grads, returns dInput. */
  backward(gradOutput: FloatArray, batch: number): FloatArray;
  /** The last forward's input and output (valid until the next forward), for probes. */
  readonly lastInput: FloatArray | null;
  readonly lastOutput: FloatArray | null;
  /** Batch norm: the last training batch's mean and biased variance per feature (per channel on an image), for probes. */
  readonly batchMoments?: BatchMoments;
}

export interface BatchMoments {
  readonly mean: Float64Array;
  readonly variance: Float64Array;
}
