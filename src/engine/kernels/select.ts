// Picks the fastest kernel path available for a dtype: WebAssembly SIMD for float32 when the runtime has it,
// else the register-tiled TypeScript path (always for float64). NN_DEBUGGER_KERNELS=js-reference|js-tiled|
// wasm-simd forces a path, so the engine tests can be run on each one.
import type { DType, FloatArray } from '../types';
import type { Kernels } from './kernels';
import { referenceKernels } from './reference';
import { tiledKernels } from './tiled';
import { createWasmKernels, type WasmKernels } from './wasm-kernels';

let wasm: WasmKernels | null | undefined;

/** The wasm path, compiled once on first use (synchronously: the module is 1.5 kB); null when unsupported. */
export function wasmKernels(): WasmKernels | null {
  if (wasm === undefined) wasm = createWasmKernels();
  return wasm;
}

function forced(): string | undefined {
  return typeof process !== 'undefined' ? process.env.NN_DEBUGGER_KERNELS : undefined;
}

/** Every path usable for `dtype` on this runtime, fastest first. */
export function availableKernels(dtype: DType): Kernels[] {
  const w = dtype === 'float32' ? wasmKernels() : null;
  return [...(w ? [w] : []), tiledKernels, referenceKernels];
}

export function selectKernels(dtype: DType): Kernels {
  const paths = availableKernels(dtype);
  const want = forced();
  if (!want) return paths[0];
  const match = paths.find((k) => k.name === want);
  if (!match) throw new Error(`NN_DEBUGGER_KERNELS=${want} is not available for ${dtype} (have: ${paths.map((k) => k.name).join(', ')})`);
  return match;
}

/**
 * A zeroed buffer for `length` values that `kernels` read and write in place. On the wasm path it lives in
 * wasm memory, so layers that allocate weights, gradients and activations here avoid a copy per product;
 * any other buffer still works (it is copied into wasm scratch memory on each call).
 */
export function allocKernelBuffer(kernels: Kernels, dtype: DType, length: number): FloatArray {
  const w = wasmKernels();
  if (dtype === 'float32' && w && kernels === w) return w.heap.allocFloat32(length);
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}
