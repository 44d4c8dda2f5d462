// The convolution and pooling passes of the wasm module (scripts/build-wasm.js, convFuncs): im2col/col2im,
// the moves between a chunk's filter-major GEMM result and the sample-major layer buffers, and max/average
// pooling. They compute what the TypeScript loops of im2col.ts, conv2d.ts and pooling.ts compute, value for
// value, on arrays that live in the kernel heap; every call returns false (the caller runs its loop) when an
// array lives elsewhere or is too short for the geometry.
import type { FloatArray } from '../types';
import type { ConvGeometry } from './im2col';
import type { WasmHeap } from './wasm-heap';

type Geometry11 = [number, number, number, number, number, number, number, number, number, number, number];
type Window9 = [number, number, number, number, number, number, number, number, number];

export interface ConvExports {
  im2col(x: number, ...rest: [...Geometry11, number, number]): void;
  col2im(cols: number, ...rest: [...Geometry11, number, number]): void;
  fromFilterMajor(src: number, filters: number, positions: number, n: number, dst: number, bias: number): void;
  toFilterMajor(src: number, filters: number, positions: number, n: number, dst: number, db: number): void;
  maxPool(x: number, ...rest: [...Window9, number, number]): void;
  maxPool2x2(x: number, planes: number, H: number, W: number, oh: number, ow: number, out: number, arg: number): void;
  maxPool2x2Grad(g: number, arg: number, planes: number, oh: number, ow: number, dx: number): void;
  maxPoolGrad(g: number, arg: number, n: number, dx: number, dxN: number): void;
  avgPool(x: number, ...rest: [...Window9, number, number]): void;
  avgPoolGrad(g: number, ...rest: [...Window9, number, number]): void;
}

/** A pooling window over `planes` channel planes of H×W (no padding). */
export interface PoolWindow {
  planes: number;
  height: number;
  width: number;
  outH: number;
  outW: number;
  size: [number, number];
  stride: [number, number];
}

export interface WasmConvOps {
  /** An index buffer in the kernel heap (maxpool's argmax), or null when the heap is exhausted. */
  allocIndices(n: number): Int32Array | null;
  /** im2col.ts's im2col of one sample. */
  im2col(g: ConvGeometry, input: FloatArray, sample: number, cols: FloatArray, at: number, rowStride: number): boolean;
  /** im2col.ts's col2im of one sample (adds into dInput). */
  col2im(g: ConvGeometry, cols: FloatArray, at: number, sample: number, dInput: FloatArray, rowStride: number): boolean;
  /** dst samples first..first+n-1 [filters × P] = src [filters × n·P] + bias per filter (0 without bias). */
  fromFilterMajor(src: FloatArray, filters: number, positions: number, n: number, dst: FloatArray, first: number, bias: FloatArray | null): boolean;
  /** dst [filters × n·P] = src samples first..first+n-1 (no copy when dst is that very slice of src); with db, adds each (sample, filter)'s float64 sum to db[filter]. */
  toFilterMajor(src: FloatArray, first: number, filters: number, positions: number, n: number, dst: FloatArray, db: FloatArray | null): boolean;
  /** Max over each window (first maximum, NaN wins), the input index it came from into argmax. */
  maxPool(w: PoolWindow, input: FloatArray, out: FloatArray, argmax: Int32Array): boolean;
  /** dx = 0, then dx[argmax[o]] += g[o] for every output of the window, in order (argmax from maxPool over `w`). */
  maxPoolGrad(w: PoolWindow, g: FloatArray, argmax: Int32Array, dx: FloatArray): boolean;
  avgPool(w: PoolWindow, input: FloatArray, out: FloatArray): boolean;
  /** dx = 0, then each window's cells += g·(1/window size), in float64 as the TS loop adds. */
  avgPoolGrad(w: PoolWindow, g: FloatArray, dx: FloatArray): boolean;
}

const is2x2 = (w: PoolWindow) => w.size[0] === 2 && w.size[1] === 2 && w.stride[0] === 2 && w.stride[1] === 2;
const isTiled2x2 = (w: PoolWindow) => is2x2(w) && w.height === 2 * w.outH && w.width === 2 * w.outW;

export function wasmConvOps(heap: WasmHeap, ex: ConvExports): WasmConvOps {
  const f32 = (a: FloatArray | null, need: number): a is Float32Array => a instanceof Float32Array && heap.owns(a) && a.length >= need;
  const geometry = (g: ConvGeometry): Geometry11 => [g.channels, g.height, g.width, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.outH, g.outW];
  const window = (w: PoolWindow): Window9 => [w.planes, w.height, w.width, w.outH, w.outW, w.size[0], w.size[1], w.stride[0], w.stride[1]];
  const sampleSize = (g: ConvGeometry) => g.channels * g.height * g.width;
  const colsEnd = (g: ConvGeometry, at: number, rowStride: number) => at + (g.channels * g.kh * g.kw - 1) * rowStride + g.outH * g.outW;
  const inputs = (w: PoolWindow) => w.planes * w.height * w.width;
  const outputs = (w: PoolWindow) => w.planes * w.outH * w.outW;
  return {
    allocIndices: (n) => {
      try {
        return heap.allocInt32(n);
      } catch {
        return null;
      }
    },
    im2col: (g, input, sample, cols, at, rowStride) => {
      if (!f32(input, (sample + 1) * sampleSize(g)) || !f32(cols, colsEnd(g, at, rowStride))) return false;
      ex.im2col(input.byteOffset + 4 * sample * sampleSize(g), ...geometry(g), cols.byteOffset + 4 * at, rowStride);
      return true;
    },
    col2im: (g, cols, at, sample, dInput, rowStride) => {
      if (!f32(dInput, (sample + 1) * sampleSize(g)) || !f32(cols, colsEnd(g, at, rowStride))) return false;
      ex.col2im(cols.byteOffset + 4 * at, ...geometry(g), dInput.byteOffset + 4 * sample * sampleSize(g), rowStride);
      return true;
    },
    fromFilterMajor: (src, filters, positions, n, dst, first, bias) => {
      const size = filters * positions;
      if (!f32(src, n * size) || !f32(dst, (first + n) * size) || (bias !== null && !f32(bias, filters))) return false;
      ex.fromFilterMajor(src.byteOffset, filters, positions, n, dst.byteOffset + 4 * first * size, bias ? bias.byteOffset : 0);
      return true;
    },
    toFilterMajor: (src, first, filters, positions, n, dst, db) => {
      const size = filters * positions;
      if (!f32(src, (first + n) * size) || !f32(dst, n * size) || (db !== null && !f32(db, filters))) return false;
      ex.toFilterMajor(src.byteOffset + 4 * first * size, filters, positions, n, dst.byteOffset, db ? db.byteOffset : 0);
      return true;
    },
    maxPool: (w, input, out, argmax) => {
      if (!f32(input, inputs(w)) || !f32(out, outputs(w)) || !heap.owns(argmax) || argmax.length < outputs(w)) return false;
      if (is2x2(w)) ex.maxPool2x2(input.byteOffset, w.planes, w.height, w.width, w.outH, w.outW, out.byteOffset, argmax.byteOffset);
      else ex.maxPool(input.byteOffset, ...window(w), out.byteOffset, argmax.byteOffset);
      return true;
    },
    maxPoolGrad: (w, g, argmax, dx) => {
      const n = outputs(w);
      if (!f32(g, n) || !heap.owns(argmax) || argmax.length < n || !f32(dx, inputs(w))) return false;
      // 2×2 windows at stride 2 that tile the input: one write per cell instead of zeroing then scattering
      if (isTiled2x2(w)) ex.maxPool2x2Grad(g.byteOffset, argmax.byteOffset, w.planes, w.outH, w.outW, dx.byteOffset);
      else ex.maxPoolGrad(g.byteOffset, argmax.byteOffset, n, dx.byteOffset, inputs(w));
      return true;
    },
    avgPool: (w, input, out) => {
      if (!f32(input, inputs(w)) || !f32(out, outputs(w))) return false;
      ex.avgPool(input.byteOffset, ...window(w), 1 / (w.size[0] * w.size[1]), out.byteOffset);
      return true;
    },
    avgPoolGrad: (w, g, dx) => {
      if (!f32(g, outputs(w)) || !f32(dx, inputs(w))) return false;
      ex.avgPoolGrad(g.byteOffset, ...window(w), 1 / (w.size[0] * w.size[1]), dx.byteOffset);
      return true;
    },
  };
}
