// im2col and its adjoint col2im for 2-D convolution over channel-major [C, H, W] samples. A chunk of
// samples is unrolled into cols[K × (n·P)] with K = C·kh·kw rows (PyTorch's weight order: channel, then
// kernel row, then kernel column) and one column per output position of each sample, so a whole chunk's
// convolution is one GEMM against the [filters × K] weights. Pure TypeScript; the GEMM picks the path.
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

/**
 * Unrolls samples [first, first + n) of `input` ([batch × C·H·W]) into cols [K × n·P]; positions that fall
 * in the padding read zero.
 */
export function im2col(g: ConvGeometry, input: FloatArray, first: number, n: number, cols: FloatArray): void {
  const { channels, height: H, width: W, kh, kw, strideH, strideW, padH, padW, outH, outW } = g;
  const P = outH * outW;
  const rowLen = n * P;
  const sampleSize = channels * H * W;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const row = ((c * kh + ki) * kw + kj) * rowLen;
        for (let s = 0; s < n; s++) {
          const src = (first + s) * sampleSize + c * H * W;
          const dst = row + s * P;
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * strideH - padH + ki;
            const o = dst + oy * outW;
            if (iy < 0 || iy >= H) {
              for (let ox = 0; ox < outW; ox++) cols[o + ox] = 0;
              continue;
            }
            const line = src + iy * W;
            for (let ox = 0; ox < outW; ox++) {
              const ix = ox * strideW - padW + kj;
              cols[o + ox] = ix >= 0 && ix < W ? input[line + ix] : 0;
            }
          }
        }
      }
    }
  }
}

/** Adds cols [K × n·P] back into samples [first, first + n) of `dInput` (the adjoint of im2col; dInput is not cleared). */
export function col2im(g: ConvGeometry, cols: FloatArray, first: number, n: number, dInput: FloatArray): void {
  const { channels, height: H, width: W, kh, kw, strideH, strideW, padH, padW, outH, outW } = g;
  const P = outH * outW;
  const rowLen = n * P;
  const sampleSize = channels * H * W;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const row = ((c * kh + ki) * kw + kj) * rowLen;
        for (let s = 0; s < n; s++) {
          const dst = (first + s) * sampleSize + c * H * W;
          const src = row + s * P;
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * strideH - padH + ki;
            if (iy < 0 || iy >= H) continue;
            const line = dst + iy * W;
            const o = src + oy * outW;
            for (let ox = 0; ox < outW; ox++) {
              const ix = ox * strideW - padW + kj;
              if (ix >= 0 && ix < W) dInput[line + ix] += cols[o + ox];
            }
          }
        }
      }
    }
  }
}
