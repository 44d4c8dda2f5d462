// Pooling over channel-major [C, H, W] samples: max and average pooling over sliding windows (no padding),
// global average pooling over each whole channel, and flatten (a no-op on the memory layout, kept as a
// layer so shapes and the layer table say what happens). Max and average pooling run in wasm when their
// buffers are kernel memory (wasm-conv.ts, the same results); the loops here are the float64 path and fallback.
import type { FloatArray } from '../types';
import type { FlattenSpec, GlobalAvgPoolSpec, PoolSpec } from '../spec/model-spec';
import { shapeSize, type Shape } from '../spec/layer-kinds';
import type { Layer, Param, StateBuffer } from './layer';
import { BatchCache, type Alloc } from './buffers';
import { kernelConvOps } from '../kernels/select';
import type { PoolWindow, WasmConvOps } from '../kernels/wasm-conv';

interface PoolBuffers {
  out: FloatArray;
  dIn: FloatArray;
  /** maxpool: the input index each output took its value from. */
  argmax: Int32Array;
  /** The wasm passes when the buffers are kernel memory, else null. */
  ops: WasmConvOps | null;
  window: PoolWindow;
}

abstract class ShapedLayer {
  readonly params: Param[] = [];
  readonly state: StateBuffer[] = [];
  readonly inputSize: number;
  readonly outputSize: number;
  lastInput: FloatArray | null = null;
  lastOutput: FloatArray | null = null;

  constructor(
    readonly position: number,
    readonly inputShape: Shape,
    readonly outputShape: Shape,
  ) {
    this.inputSize = shapeSize(inputShape);
    this.outputSize = shapeSize(outputShape);
  }
}

export class PoolLayer extends ShapedLayer implements Layer {
  private readonly buffers: BatchCache<PoolBuffers>;

  constructor(
    readonly spec: PoolSpec,
    position: number,
    inputShape: Shape,
    outputShape: Shape,
    alloc: Alloc,
  ) {
    super(position, inputShape, outputShape);
    const isMax = spec.kind === 'maxpool';
    this.buffers = new BatchCache((batch) => {
      const out = alloc(batch * this.outputSize);
      const ops = kernelConvOps(out);
      const n = isMax ? batch * this.outputSize : 0;
      const [C, H, W] = this.inputShape;
      const [, outH, outW] = this.outputShape;
      const window = { planes: batch * C, height: H, width: W, outH, outW, size: spec.size, stride: spec.stride };
      return { out, dIn: alloc(batch * this.inputSize), argmax: ops?.allocIndices(n) ?? new Int32Array(n), ops, window };
    });
  }

  forward(input: FloatArray, batch: number): FloatArray {
    const { out, argmax, ops, window } = this.buffers.get(batch);
    if (this.spec.kind === 'maxpool') {
      if (!ops?.maxPool(window, input, out, argmax)) this.maxForward(input, batch, out, argmax);
    } else if (!ops?.avgPool(window, input, out)) this.averageForward(input, batch, out);
    this.lastInput = input;
    this.lastOutput = out;
    return out;
  }

  private maxForward(input: FloatArray, batch: number, out: FloatArray, argmax: Int32Array): void {
    const [C, H, W] = this.inputShape;
    const [, outH, outW] = this.outputShape;
    const [ph, pw] = this.spec.size;
    const [sh, sw] = this.spec.stride;
    if (ph === 2 && pw === 2 && sh === 2 && sw === 2) return maxPool2x2(input, batch * C, H, W, outH, outW, out, argmax);
    let o = 0;
    for (let plane = 0; plane < batch * C; plane++) {
      const base = plane * H * W;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++, o++) {
          const top = base + oy * sh * W + ox * sw;
          let best = top;
          let max = input[top];
          for (let i = 0; i < ph; i++) {
            for (let j = 0; j < pw; j++) {
              const at = top + i * W + j;
              const v = input[at];
              // NaN wins, so a non-finite input is not hidden by the pooling
              if (v > max || v !== v) {
                best = at;
                max = v;
              }
            }
          }
          argmax[o] = best;
          out[o] = max;
        }
      }
    }
  }

  private averageForward(input: FloatArray, batch: number, out: FloatArray): void {
    const [C, H, W] = this.inputShape;
    const [, outH, outW] = this.outputShape;
    const [ph, pw] = this.spec.size;
    const [sh, sw] = this.spec.stride;
    const scale = 1 / (ph * pw);
    let o = 0;
    for (let plane = 0; plane < batch * C; plane++) {
      const base = plane * H * W;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++, o++) {
          const top = base + oy * sh * W + ox * sw;
          let sum = 0;
          for (let i = 0; i < ph; i++) for (let j = 0; j < pw; j++) sum += input[top + i * W + j];
          out[o] = sum * scale;
        }
      }
    }
  }

  backward(gradOutput: FloatArray, batch: number): FloatArray {
    const { dIn, argmax, ops, window } = this.buffers.get(batch);
    const n = batch * this.outputSize;
    if (this.spec.kind === 'maxpool' ? ops?.maxPoolGrad(window, gradOutput, argmax, dIn) : ops?.avgPoolGrad(window, gradOutput, dIn)) return dIn;
    dIn.fill(0);
    if (this.spec.kind === 'maxpool') {
      for (let o = 0; o < n; o++) dIn[argmax[o]] += gradOutput[o];
      return dIn;
    }
    const [C, H, W] = this.inputShape;
    const [, outH, outW] = this.outputShape;
    const [ph, pw] = this.spec.size;
    const [sh, sw] = this.spec.stride;
    const scale = 1 / (ph * pw);
    let o = 0;
    for (let plane = 0; plane < batch * C; plane++) {
      const base = plane * H * W;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++, o++) {
          const top = base + oy * sh * W + ox * sw;
          const g = gradOutput[o] * scale;
          for (let i = 0; i < ph; i++) for (let j = 0; j < pw; j++) dIn[top + i * W + j] += g;
        }
      }
    }
    return dIn;
  }
}

/** The common 2×2 window at stride 2, unrolled; the same choice as the general loop (first maximum, NaN wins). */
function maxPool2x2(input: FloatArray, planes: number, H: number, W: number, outH: number, outW: number, out: FloatArray, argmax: Int32Array): void {
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oy = 0; oy < outH; oy++) {
      const row = base + 2 * oy * W;
      for (let ox = 0; ox < outW; ox++, o++) {
        const a = row + 2 * ox;
        let best = a;
        let max = input[a];
        let v = input[a + 1];
        if (v > max || v !== v) {
          best = a + 1;
          max = v;
        }
        v = input[a + W];
        if (v > max || v !== v) {
          best = a + W;
          max = v;
        }
        v = input[a + W + 1];
        if (v > max || v !== v) {
          best = a + W + 1;
          max = v;
        }
        argmax[o] = best;
        out[o] = max;
      }
    }
  }
}

export class GlobalAvgPoolLayer extends ShapedLayer implements Layer {
  private readonly buffers: BatchCache<{ out: FloatArray; dIn: FloatArray }>;

  constructor(
    readonly spec: GlobalAvgPoolSpec,
    position: number,
    inputShape: Shape,
    outputShape: Shape,
    alloc: Alloc,
  ) {
    super(position, inputShape, outputShape);
    this.buffers = new BatchCache((batch) => ({ out: alloc(batch * this.outputSize), dIn: alloc(batch * this.inputSize) }));
  }

  forward(input: FloatArray, batch: number): FloatArray {
    const { out } = this.buffers.get(batch);
    const S = this.inputSize / this.outputSize;
    for (let plane = 0; plane < batch * this.outputSize; plane++) {
      let sum = 0;
      for (let i = plane * S; i < (plane + 1) * S; i++) sum += input[i];
      out[plane] = sum / S;
    }
    this.lastInput = input;
    this.lastOutput = out;
    return out;
  }

  backward(gradOutput: FloatArray, batch: number): FloatArray {
    const { dIn } = this.buffers.get(batch);
    const S = this.inputSize / this.outputSize;
    for (let plane = 0; plane < batch * this.outputSize; plane++) {
      const g = gradOutput[plane] / S;
      for (let i = plane * S; i < (plane + 1) * S; i++) dIn[i] = g;
    }
    return dIn;
  }
}

/** Channel-major samples are already flat in memory: the input passes through, and so does the gradient. */
export class FlattenLayer extends ShapedLayer implements Layer {
  constructor(
    readonly spec: FlattenSpec,
    position: number,
    inputShape: Shape,
    outputShape: Shape,
  ) {
    super(position, inputShape, outputShape);
  }

  forward(input: FloatArray): FloatArray {
    this.lastInput = input;
    this.lastOutput = input;
    return input;
  }

  backward(gradOutput: FloatArray): FloatArray {
    return gradOutput;
  }
}
