// The WebAssembly SIMD float32 path: a 4x8 f32x4 register-tiled GEMM over packed B panels
// (scripts/build-wasm.js). Operands already in wasm memory (allocated through the heap) are used in place;
// anything else is copied into reusable scratch regions, which costs one memcpy per operand per call.
import type { FloatArray } from '../types';
import type { Kernels } from './kernels';
import { HeapScratch, WasmHeap } from './wasm-heap';
import { WASM_GEMM_BASE64, WASM_MR, WASM_NR } from './wasm-bytes';

interface GemmExports {
  pack(b: number, k: number, n: number, transposed: number, dst: number): void;
  packA(a: number, rs: number, ps: number, m: number, k: number, dst: number): void;
  gemm(m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number): void;
}

export interface WasmKernels extends Kernels {
  readonly heap: WasmHeap;
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Compiles synchronously (fine in Node and workers for a 1.4 kB module); null when SIMD or shared memory is unavailable. */
export function createWasmKernels(): WasmKernels | null {
  let heap: WasmHeap;
  let ex: GemmExports;
  try {
    const bytes = decode(WASM_GEMM_BASE64);
    if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
    heap = new WasmHeap();
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: heap.memory } });
    ex = instance.exports as unknown as GemmExports;
  } catch {
    return null;
  }
  const sA = new HeapScratch(heap);
  const sB = new HeapScratch(heap);
  const sC = new HeapScratch(heap);
  const sPacked = new HeapScratch(heap);
  const sPackedA = new HeapScratch(heap);
  const tmp = heap.alloc(4 * 8 * 4 * 4);

  const input = (arr: FloatArray, length: number, scratch: HeapScratch): number => {
    if (heap.owns(arr)) return arr.byteOffset;
    const ptr = scratch.ensure(length * 4);
    heap.f32.set(arr.length === length ? arr : arr.subarray(0, length), ptr >> 2);
    return ptr;
  };

  // Both operands are packed (A into MR-row blocks, B into NR-column panels) so the micro-kernel reads
  // each with static offsets; packing is O(mk + kn) against the O(mnk) product.
  const run = (m: number, n: number, k: number, a: FloatArray, aT: boolean, b: FloatArray, bT: boolean, c: FloatArray, accumulate: boolean): void => {
    if (m === 0 || n === 0) return;
    const pa = sPackedA.ensure(Math.ceil(m / WASM_MR) * WASM_MR * k * 4);
    ex.packA(input(a, m * k, sA), aT ? 1 : k, aT ? m : 1, m, k, pa);
    const pb = input(b, k * n, sB);
    const packed = sPacked.ensure(k * Math.ceil(n / WASM_NR) * WASM_NR * 4);
    ex.pack(pb, k, n, bT ? 1 : 0, packed);
    const inPlace = heap.owns(c);
    const pc = inPlace ? c.byteOffset : accumulate ? input(c, m * n, sC) : sC.ensure(m * n * 4);
    ex.gemm(m, n, k, pa, packed, pc, accumulate ? 1 : 0, tmp);
    if (!inPlace) c.set(heap.f32.subarray(pc >> 2, (pc >> 2) + m * n));
  };

  return {
    name: 'wasm-simd',
    heap,
    gemm: (m, n, k, a, b, c, acc) => run(m, n, k, a, false, b, false, c, acc),
    gemmTN: (m, n, k, a, b, c, acc) => run(m, n, k, a, true, b, false, c, acc),
    gemmNT: (m, n, k, a, b, c, acc) => run(m, n, k, a, false, b, true, c, acc),
  };
}
