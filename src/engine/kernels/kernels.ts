// Matrix products used by training, all row-major, without materialised transposes.
// Every path (pure TS reference, WebAssembly SIMD, ...) implements this one interface; tests compare
// each path against the reference on odd shapes.
import type { FloatArray } from '../types';

export interface Kernels {
  /** Human-readable path name reported in logs and summaries ("js", "wasm-simd", ...). */
  readonly name: string;
  /** C[m×n] (+)= A[m×k] · B[k×n]. */
  gemm(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray, accumulate: boolean): void;
  /** C[m×n] (+)= Aᵀ · B with A stored as [k×m] and B as [k×n] (weight gradient Xᵀ·dY). */
  gemmTN(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray, accumulate: boolean): void;
  /** C[m×n] (+)= A · Bᵀ with A stored as [m×k] and B as [n×k] (input gradient dY·Wᵀ). */
  gemmNT(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray, accumulate: boolean): void;
}
