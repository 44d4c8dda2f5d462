// Inverted dropout: in training each unit is kept with probability 1 - rate and scaled by 1 / (1 - rate),
// so evaluation is the identity and needs no rescaling. Masks come from the layer's own Rng stream.
import type { FloatArray } from '../types';
import type { DropoutSpec } from '../spec/model-spec';
import type { Rng } from '../rng';
import type { Layer, Param, StateBuffer } from './layer';
import { BatchCache, type Alloc } from './buffers';
import { shapeSize, type Shape } from '../spec/layer-kinds';

interface DropoutBuffers {
  out: FloatArray;
  dIn: FloatArray;
  /** 0 for dropped units, 1 / (1 - rate) for kept ones. */
  mask: FloatArray;
}

export class DropoutLayer implements Layer {
  readonly params: Param[] = [];
  readonly state: StateBuffer[] = [];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly outputShape: Shape;
  lastInput: FloatArray | null = null;
  lastOutput: FloatArray | null = null;
  /** When true, training forwards reuse the previous mask (gradient checks need a fixed mask). */
  freezeMask = false;
  private readonly buffers: BatchCache<DropoutBuffers>;

  constructor(
    readonly spec: DropoutSpec,
    readonly position: number,
    readonly inputShape: Shape,
    alloc: Alloc,
    private readonly rng: Rng,
  ) {
    const inputSize = shapeSize(inputShape);
    this.inputSize = inputSize;
    this.outputSize = inputSize;
    this.outputShape = inputShape;
    this.buffers = new BatchCache((batch) => {
      const n = batch * inputSize;
      return { out: alloc(n), dIn: alloc(n), mask: alloc(n) };
    });
  }

  forward(input: FloatArray, batch: number, training: boolean): FloatArray {
    const { out, mask } = this.buffers.get(batch);
    const n = batch * this.inputSize;
    const rate = this.spec.rate;
    if (!training || rate <= 0) {
      for (let i = 0; i < n; i++) out[i] = input[i];
      if (training) mask.fill(1);
    } else {
      if (!this.freezeMask) {
        const scale = 1 / (1 - rate);
        for (let i = 0; i < n; i++) mask[i] = this.rng.next() < rate ? 0 : scale;
      }
      for (let i = 0; i < n; i++) out[i] = input[i] * mask[i];
    }
    this.lastInput = input;
    this.lastOutput = out;
    return out;
  }

  backward(gradOutput: FloatArray, batch: number): FloatArray {
    const { dIn, mask } = this.buffers.get(batch);
    const n = batch * this.inputSize;
    for (let i = 0; i < n; i++) dIn[i] = gradOutput[i] * mask[i];
    return dIn;
  }
}
