// 2-D convolution over channel-major [C, H, W] samples. Weights are [filters × C·kh·kw] (PyTorch's layout),
// one bias per filter. A chunk of samples is unrolled by im2col side by side into [K × n·P], so the
// convolution, the weight gradient and the input gradient are each one GEMM per chunk on whichever
// kernel path the run uses (wasm SIMD for float32, TypeScript for float64); outputs and output gradients
// move between the sample-major buffers and the filter-major chunk in runs of P values (in wasm, with the
// bias added and the bias gradient summed on the way, when the buffers are kernel memory); a one-sample
// chunk is already in the sample's layout, so its products read and write the layer buffers in place. The unrolled chunk
// is kept for the backward pass when it holds the whole batch. Chunks are small enough that the unrolled
// block, the products and the moves stay in the core's caches between passes; going through main memory
// cost more than the longer products saved.
import type { FloatArray } from '../types';
import type { Conv2dSpec } from '../spec/model-spec';
import { convPadding, shapeSize, type Shape } from '../spec/layer-kinds';
import type { Kernels } from '../kernels/kernels';
import { col2im, im2col, type ConvGeometry } from '../kernels/im2col';
import { kernelConvOps, kernelGemmRowBias } from '../kernels/select';
import type { WasmConvOps } from '../kernels/wasm-conv';
import type { Layer, Param, StateBuffer } from './layer';
import { BatchCache, type Alloc } from './buffers';

/** Values an unrolled chunk may hold (32 KiB of float32): one sample for MNIST-sized layers, a few for small ones. */
const COLS_BUDGET = 1 << 13;

interface ConvBuffers {
  out: FloatArray;
  dIn: FloatArray;
}

export class Conv2dLayer implements Layer {
  readonly params: Param[];
  readonly state: StateBuffer[] = [];
  readonly weight: Param;
  readonly bias: Param | null;
  readonly inputSize: number;
  readonly outputSize: number;
  lastInput: FloatArray | null = null;
  lastOutput: FloatArray | null = null;
  /** False skips the input gradient (a first layer, whose input is data); dInput then stays zero. */
  computeInputGradient = true;
  private readonly geometry: ConvGeometry;
  /** C·kh·kw: one unrolled column's length. */
  private readonly k: number;
  /** Output positions per sample. */
  private readonly positions: number;
  /** Samples per unrolled chunk. */
  private readonly chunk: number;
  private readonly cols: FloatArray;
  private readonly dCols: FloatArray;
  /** [filters × n·P]: a chunk's output, or its output gradient, filter-major. */
  private readonly work: FloatArray;
  /** The forward whose unrolled input `cols` still holds (a single-chunk batch needs no second im2col). */
  private colsHold: { input: FloatArray; batch: number } | null = null;
  private readonly buffers: BatchCache<ConvBuffers>;
  /** The wasm passes when the buffers are kernel memory (float32 on the wasm path), else null. */
  private readonly ops: WasmConvOps | null;
  /**
   * [K × filters]: the weight gradient accumulated transposed (colsᵀ-side as the product's rows), when that
   * shape wastes less of the register tile than [filters × K] (few filters and a short unrolled column, as
   * a first layer's 8 filters over 9 taps: 12×8 tiles instead of 8×16), else null. Each entry is the same
   * sum of the same products in the same order either way, so the gradient's bits do not change.
   */
  private readonly gradT: FloatArray | null;

  constructor(
    readonly spec: Conv2dSpec,
    readonly position: number,
    readonly inputShape: Shape,
    readonly outputShape: Shape,
    alloc: Alloc,
    private readonly kernels: Kernels,
    regularization: { l1: number; l2: number },
  ) {
    const [C, H, W] = inputShape;
    const [F, outH, outW] = outputShape;
    const [padH, padW] = convPadding(spec);
    this.geometry = { channels: C, height: H, width: W, kh: spec.kernel[0], kw: spec.kernel[1], strideH: spec.stride[0], strideW: spec.stride[1], padH, padW, outH, outW };
    this.inputSize = shapeSize(inputShape);
    this.outputSize = shapeSize(outputShape);
    this.k = C * spec.kernel[0] * spec.kernel[1];
    this.positions = outH * outW;
    this.chunk = Math.max(1, Math.floor(COLS_BUDGET / (this.k * this.positions)));
    this.weight = {
      id: `${spec.name}.weight`,
      role: 'weight',
      value: alloc(F * this.k),
      grad: alloc(F * this.k),
      shape: [F, this.k],
      l1: spec.l1 ?? regularization.l1,
      l2: spec.l2 ?? regularization.l2,
    };
    this.bias = spec.useBias ? { id: `${spec.name}.bias`, role: 'bias', value: alloc(F), grad: alloc(F), shape: [1, F], l1: 0, l2: 0 } : null;
    this.params = this.bias ? [this.weight, this.bias] : [this.weight];
    // the unrolled buffers hold one chunk, whatever the batch
    this.cols = alloc(this.chunk * this.k * this.positions);
    this.dCols = alloc(this.chunk * this.k * this.positions);
    this.work = alloc(this.chunk * F * this.positions);
    this.buffers = new BatchCache((batch) => ({ out: alloc(batch * this.outputSize), dIn: alloc(batch * this.inputSize) }));
    this.ops = kernelConvOps(this.cols);
    const tiles = (rows: number, cols: number) => Math.ceil(rows / 4) * 4 * Math.ceil(cols / 8) * 8;
    this.gradT = tiles(this.k, F) < tiles(F, this.k) ? alloc(this.k * F) : null;
  }

  forward(input: FloatArray, batch: number): FloatArray {
    const { out } = this.buffers.get(batch);
    const F = this.spec.filters;
    const P = this.positions;
    for (let first = 0; first < batch; first += this.chunk) {
      const n = Math.min(this.chunk, batch - first);
      this.unroll(input, first, n);
      const work = this.chunkBuffer(out, first, n);
      // one sample: its slice of `out` takes the product with the bias added as each tile is stored
      if (n === 1 && this.bias && kernelGemmRowBias(this.kernels, F, P, this.k, this.weight.value, this.cols, this.bias.value, work)) continue;
      this.kernels.gemm(F, n * P, this.k, this.weight.value, this.cols, work, false);
      if (this.ops?.fromFilterMajor(work, F, P, n, out, first, this.bias ? this.bias.value : null)) continue;
      // [filters × n·P] -> n samples of [filters × P], adding the bias (in place for one sample)
      for (let s = 0; s < n; s++) {
        for (let f = 0; f < F; f++) {
          const b = this.bias ? this.bias.value[f] : 0;
          const src = f * n * P + s * P;
          const dst = (first + s) * F * P + f * P;
          for (let p = 0; p < P; p++) out[dst + p] = work[src + p] + b;
        }
      }
    }
    this.colsHold = batch <= this.chunk ? { input, batch } : null;
    this.lastInput = input;
    this.lastOutput = out;
    return out;
  }

  backward(gradOutput: FloatArray, batch: number): FloatArray {
    const { dIn } = this.buffers.get(batch);
    const input = this.lastInput!;
    const F = this.spec.filters;
    const P = this.positions;
    const db = this.bias ? this.bias.grad : null;
    db?.fill(0);
    if (this.computeInputGradient) dIn.fill(0);
    const reuse = this.colsHold !== null && this.colsHold.input === input && this.colsHold.batch === batch;
    for (let first = 0; first < batch; first += this.chunk) {
      const n = Math.min(this.chunk, batch - first);
      if (!reuse) this.unroll(input, first, n);
      // n samples of [filters × P] -> [filters × n·P] (no move for one sample), summing the bias gradient sample by sample
      const work = this.chunkBuffer(gradOutput, first, n);
      if (!this.ops?.toFilterMajor(gradOutput, first, F, P, n, work, db)) {
        for (let s = 0; s < n; s++) {
          for (let f = 0; f < F; f++) {
            const src = (first + s) * F * P + f * P;
            if (work === this.work) work.set(gradOutput.subarray(src, src + P), f * n * P + s * P);
            if (db) db[f] += sumInLanes(gradOutput, src, P);
          }
        }
      }
      if (this.gradT) this.kernels.gemmNT(this.k, F, n * P, this.cols, work, this.gradT, first > 0);
      else this.kernels.gemmNT(F, this.k, n * P, work, this.cols, this.weight.grad, first > 0);
      if (this.computeInputGradient) {
        this.kernels.gemmTN(this.k, n * P, F, this.weight.value, work, this.dCols, false);
        for (let s = 0; s < n; s++) {
          if (!this.ops?.col2im(this.geometry, this.dCols, s * P, first + s, dIn, n * P)) col2im(this.geometry, this.dCols, s * P, first + s, dIn, n * P);
        }
      }
    }
    const gradT = this.gradT;
    if (gradT && batch > 0) {
      const grad = this.weight.grad;
      const K = this.k;
      for (let f = 0; f < F; f++) for (let k = 0; k < K; k++) grad[f * K + k] = gradT[k * F + f];
    }
    return dIn;
  }

  /** The filter-major buffer of a chunk: the sample's own slice of `samples` when the chunk is one sample (the layouts agree), else the shared one. */
  private chunkBuffer(samples: FloatArray, first: number, n: number): FloatArray {
    const size = this.spec.filters * this.positions;
    return n === 1 ? samples.subarray(first * size, (first + 1) * size) : this.work;
  }

  /** im2col of samples first..first+n-1 side by side into `cols` ([K × n·P]). */
  private unroll(input: FloatArray, first: number, n: number): void {
    const P = this.positions;
    for (let s = 0; s < n; s++) {
      if (!this.ops?.im2col(this.geometry, input, first + s, this.cols, s * P, n * P)) im2col(this.geometry, input, first + s, this.cols, s * P, n * P);
    }
  }
}

/**
 * Σ a[from..from+n) in float64, in the order the wasm pass adds four lanes at a time (so both paths give the
 * same bias gradient): partial sums by index mod 4 over whole groups of four, combined as (s0 + s2) + (s1 + s3),
 * then the remaining values in order.
 */
function sumInLanes(a: FloatArray, from: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const whole = from + (n & ~3);
  let i = from;
  for (; i < whole; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  let sum = s0 + s2 + (s1 + s3);
  for (; i < from + n; i++) sum += a[i];
  return sum;
}
