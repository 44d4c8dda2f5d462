// Fully connected layer: Y[b×out] = X[b×in] · W[in×out] + bias. W is stored row-major [in × out] so the
// forward pass is a plain GEMM and both gradients use the transposed kernels without copies.
import type { FloatArray } from '../types';
import type { DenseSpec } from '../spec/model-spec';
import type { Kernels } from '../kernels/kernels';
import { shapeSize, type Shape } from '../spec/layer-kinds';
import type { Layer, Param, StateBuffer } from './layer';
import { BatchCache, type Alloc } from './buffers';
import { kernelBeside, kernelColumnSums, kernelGemmBias, kernelSettle } from '../kernels/select';

interface DenseBuffers {
  out: FloatArray;
  dIn: FloatArray;
}

export class DenseLayer implements Layer {
  readonly params: Param[];
  readonly state: StateBuffer[] = [];
  readonly weight: Param;
  readonly bias: Param | null;
  readonly inputSize: number;
  readonly outputShape: Shape;
  lastInput: FloatArray | null = null;
  lastOutput: FloatArray | null = null;
  private gradOutput: FloatArray | null = null;
  private batch = 0;
  /**
   * False skips computing dInput, which then stays zero: the trainer turns it off for a first layer, whose
   * input is data (that product is a third of the first layer's backward cost).
   */
  computeInputGradient = true;
  private readonly buffers: BatchCache<DenseBuffers>;

  constructor(
    readonly spec: DenseSpec,
    readonly position: number,
    /** An image input [C, H, W] is read flat, channel-major: the implicit flatten. */
    readonly inputShape: Shape,
    alloc: Alloc,
    private readonly kernels: Kernels,
    regularization: { l1: number; l2: number },
  ) {
    const out = spec.units;
    const inputSize = shapeSize(inputShape);
    this.inputSize = inputSize;
    this.outputShape = [out];
    this.weight = {
      id: `${spec.name}.weight`,
      role: 'weight',
      value: alloc(inputSize * out),
      grad: alloc(inputSize * out),
      shape: [inputSize, out],
      // Per-layer overrides win over the model-wide strengths; biases are never regularised.
      l1: spec.l1 ?? regularization.l1,
      l2: spec.l2 ?? regularization.l2,
    };
    this.bias = spec.useBias
      ? { id: `${spec.name}.bias`, role: 'bias', value: alloc(out), grad: alloc(out), shape: [1, out], l1: 0, l2: 0 }
      : null;
    this.params = this.bias ? [this.weight, this.bias] : [this.weight];
    this.buffers = new BatchCache((batch) => ({ out: alloc(batch * out), dIn: alloc(batch * inputSize) }));
  }

  get outputSize(): number {
    return this.spec.units;
  }

  forward(input: FloatArray, batch: number): FloatArray {
    const n = this.spec.units;
    const { out } = this.buffers.get(batch);
    // On the wasm path the bias is added as the product's tiles are stored (no second pass).
    const fused = this.bias !== null && kernelGemmBias(this.kernels, batch, n, this.inputSize, input, this.weight.value, this.bias.value, out);
    if (!fused) this.kernels.gemm(batch, n, this.inputSize, input, this.weight.value, out, false);
    if (this.bias && !fused) {
      const b = this.bias.value;
      for (let r = 0; r < batch; r++) {
        const o = r * n;
        for (let j = 0; j < n; j++) out[o + j] += b[j];
      }
    }
    this.lastInput = input;
    this.lastOutput = out;
    return out;
  }

  backward(gradOutput: FloatArray, batch: number): FloatArray {
    const { dIn } = this.buffers.get(batch);
    this.gradOutput = gradOutput;
    this.batch = batch;
    if (!this.computeInputGradient) {
      this.parameterGradients();
      return dIn;
    }
    // On two threads or more, the calling thread computes the parameter gradients whole while the helpers
    // start on the input gradient, then joins them: two independent products side by side, instead of each
    // split in halves that read what the other core wrote.
    kernelBeside(this.kernels, this.parameterGradients);
    this.kernels.gemmNT(batch, this.inputSize, this.spec.units, gradOutput, this.weight.value, dIn, false);
    kernelSettle(this.kernels);
    return dIn;
  }

  /** The weight and bias gradients of the backward under way (bound once: it runs beside another product). */
  private readonly parameterGradients = (): void => {
    const n = this.spec.units;
    const batch = this.batch;
    const gradOutput = this.gradOutput!;
    this.kernels.gemmTN(this.inputSize, n, batch, this.lastInput!, gradOutput, this.weight.grad, false);
    if (this.bias && !kernelColumnSums(this.kernels, gradOutput, batch, n, this.bias.grad)) {
      const db = this.bias.grad;
      db.fill(0);
      for (let r = 0; r < batch; r++) {
        const o = r * n;
        for (let j = 0; j < n; j++) db[j] += gradOutput[o + j];
      }
    }
  };
}
