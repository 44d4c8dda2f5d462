// im2col and its adjoint col2im for 2-D convolution over channel-major [C, H, W] samples. Each sample is
// unrolled into its own block cols[K × P] with K = C·kh·kw rows (PyTorch's weight order: channel, then
// kernel row, then kernel column) and one column per output position, so the convolution of a sample is
// one GEMM of the [filters × K] weights with its block, written straight into the sample's [filters × P]
// output. Pure TypeScript (the float64 path and the fallback); wasm-conv.ts has the same passes in wasm.
import type { FloatArray } from '../types';

export interface ConvGeometry {
  channels: number;
  height: number;
  width: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  outH: number;
  outW: number;
}

/** The output columns [lo, hi) whose input column ox·stride - pad + kj falls inside the image. */
function validColumns(g: ConvGeometry, kj: number): [number, number] {
  const lo = Math.min(g.outW, Math.max(0, Math.ceil((g.padW - kj) / g.strideW)));
  const hi = Math.min(g.outW, Math.floor((g.width - 1 + g.padW - kj) / g.strideW) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Unrolls sample `sample` of `input` ([batch × C·H·W]) into K rows of P values starting at `at`, rows
 * `rowStride` apart (P for a sample's own [K × P] block; n·P to place it among n samples); padding reads zero.
 */
export function im2col(g: ConvGeometry, input: FloatArray, sample: number, cols: FloatArray, at: number, rowStride = g.outH * g.outW): void {
  const { channels, height: H, width: W, kh, kw, strideH, strideW, padH, padW, outH, outW } = g;
  const src0 = sample * channels * H * W;
  let row = at;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, row += rowStride) {
        const [lo, hi] = validColumns(g, kj);
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * strideH - padH + ki;
          const o = row + oy * outW;
          if (iy < 0 || iy >= H) {
            for (let ox = 0; ox < outW; ox++) cols[o + ox] = 0;
            continue;
          }
          const line = src0 + c * H * W + iy * W - padW + kj;
          for (let ox = 0; ox < lo; ox++) cols[o + ox] = 0;
          if (strideW === 1) for (let ox = lo; ox < hi; ox++) cols[o + ox] = input[line + ox];
          else for (let ox = lo; ox < hi; ox++) cols[o + ox] = input[line + ox * strideW];
          for (let ox = hi; ox < outW; ox++) cols[o + ox] = 0;
        }
      }
    }
  }
}

/** Adds the K rows of P values at `at`, `rowStride` apart, back into sample `sample` of `dInput` (the adjoint of im2col; dInput is not cleared). */
export function col2im(g: ConvGeometry, cols: FloatArray, at: number, sample: number, dInput: FloatArray, rowStride = g.outH * g.outW): void {
  const { channels, height: H, width: W, kh, kw, strideH, strideW, padH, padW, outH, outW } = g;
  const dst0 = sample * channels * H * W;
  let row = at;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, row += rowStride) {
        const [lo, hi] = validColumns(g, kj);
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * strideH - padH + ki;
          if (iy < 0 || iy >= H) continue;
          const line = dst0 + c * H * W + iy * W - padW + kj;
          const o = row + oy * outW;
          if (strideW === 1) for (let ox = lo; ox < hi; ox++) dInput[line + ox] += cols[o + ox];
          else for (let ox = lo; ox < hi; ox++) dInput[line + ox * strideW] += cols[o + ox];
        }
      }
    }
  }
}
