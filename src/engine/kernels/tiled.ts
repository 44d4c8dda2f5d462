// The fast pure-TypeScript path (any float type; the float64 path and the fallback when WebAssembly SIMD
// is missing): B is packed into 4-column float64 panels and A into 4-row float64 blocks, then a 4×4 tile of
// C is accumulated in 16 locals that V8 keeps in registers. Packing to float64 also means one conversion per
// element instead of one per multiply for float32 inputs.
import type { FloatArray } from '../types';
import type { Kernels } from './kernels';

const T = 4;
let packedA: Float64Array = new Float64Array(0);
let packedB: Float64Array = new Float64Array(0);
const tile = new Float64Array(T * T);

function scratch(current: Float64Array, length: number): Float64Array {
  return current.length >= length ? current : new Float64Array(Math.max(length, current.length * 2));
}

/** op(A) element (i, p) is a[i·rs + p·ps]; blocks of T rows, rows past m repeat the last row. */
function packRows(a: FloatArray, rs: number, ps: number, m: number, k: number): Float64Array {
  const dst = (packedA = scratch(packedA, Math.ceil(m / T) * T * k));
  let d = 0;
  for (let i = 0; i < m; i += T) {
    const r1 = Math.min(i + 1, m - 1) * rs, r2 = Math.min(i + 2, m - 1) * rs, r3 = Math.min(i + 3, m - 1) * rs;
    const r0 = i * rs;
    for (let p = 0, o = 0; p < k; p++, o += ps) {
      dst[d] = a[r0 + o]; dst[d + 1] = a[r1 + o]; dst[d + 2] = a[r2 + o]; dst[d + 3] = a[r3 + o];
      d += T;
    }
  }
  return dst;
}

/** op(B) element (p, j) is b[p·ps + j·cs]; panels of T columns, zero-padded past n. */
function packCols(b: FloatArray, ps: number, cs: number, k: number, n: number): Float64Array {
  const dst = (packedB = scratch(packedB, Math.ceil(n / T) * T * k));
  let d = 0;
  for (let j = 0; j < n; j += T) {
    const w = Math.min(T, n - j);
    for (let p = 0; p < k; p++) {
      const base = p * ps + j * cs;
      for (let q = 0; q < T; q++) dst[d + q] = q < w ? b[base + q * cs] : 0;
      d += T;
    }
  }
  return dst;
}

function product(m: number, n: number, k: number, pa: Float64Array, pb: Float64Array, c: FloatArray, accumulate: boolean): void {
  for (let j = 0; j < n; j += T) {
    const panel = (j / T) * k * T;
    const cols = Math.min(T, n - j);
    for (let i = 0; i < m; i += T) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let ai = (i / T) * k * T;
      let bi = panel;
      for (let p = 0; p < k; p++, ai += T, bi += T) {
        const a0 = pa[ai], a1 = pa[ai + 1], a2 = pa[ai + 2], a3 = pa[ai + 3];
        const b0 = pb[bi], b1 = pb[bi + 1], b2 = pb[bi + 2], b3 = pb[bi + 3];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03; tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
      tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23; tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
      const rows = Math.min(T, m - i);
      for (let r = 0; r < rows; r++) {
        const ci = (i + r) * n + j;
        for (let q = 0; q < cols; q++) c[ci + q] = accumulate ? c[ci + q] + tile[r * T + q] : tile[r * T + q];
      }
    }
  }
}

export const tiledKernels: Kernels = {
  name: 'js-tiled',
  gemm(m, n, k, a, b, c, accumulate) {
    if (m === 0 || n === 0) return;
    product(m, n, k, packRows(a, k, 1, m, k), packCols(b, n, 1, k, n), c, accumulate);
  },
  gemmTN(m, n, k, a, b, c, accumulate) {
    if (m === 0 || n === 0) return;
    product(m, n, k, packRows(a, 1, m, m, k), packCols(b, n, 1, k, n), c, accumulate);
  },
  gemmNT(m, n, k, a, b, c, accumulate) {
    if (m === 0 || n === 0) return;
    product(m, n, k, packRows(a, k, 1, m, k), packCols(b, 1, k, k, n), c, accumulate);
  },
};
