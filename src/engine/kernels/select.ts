// Picks the fastest kernel path available for a dtype: WebAssembly SIMD for float32 when the runtime has it,
// else the register-tiled TypeScript path (always for float64). The wasm path splits large products over
// every core the OS offers unless capped (the `threads` run option, the extension's nnDebugger.threads,
// the CLI's --threads). Environment overrides, so the engine tests can run on each path and thread count:
//   NN_DEBUGGER_KERNELS=js-reference|js-tiled|wasm-simd|wasm-relaxed   NN_DEBUGGER_THREADS=<n> (wasm only; exact, uncapped)
// The wasm path is the relaxed-SIMD build (fused multiply-add) where the runtime validates it, else plain SIMD.
import { availableParallelism } from 'node:os';
import type { DType, FloatArray, ValueHistogram } from '../types';
import type { Kernels } from './kernels';
import { referenceKernels } from './reference';
import { tiledKernels } from './tiled';
import { createWasmKernels, usableWasmBuild, type WasmKernels } from './wasm-kernels';
import { WASM_BUILDS } from './wasm-bytes';
import type { WasmConvOps } from './wasm-conv';

/** By build name and thread count. */
const wasmCache = new Map<string, WasmKernels | null>();
let bestBuild: string | null | undefined;

function env(name: string): string | undefined {
  return typeof process !== 'undefined' ? process.env[name] : undefined;
}

/** More threads than this never pays for these model sizes (and bounds a typo in a setting). */
const MAX_THREADS = 16;

/**
 * The thread count for a run: NN_DEBUGGER_THREADS when set, else the cores the OS offers, capped by `cap`
 * (0 or undefined: no cap). Results do not depend on it: every thread count is bit-identical.
 */
export function defaultThreads(cap?: number): number {
  const forced = Number.parseInt(env('NN_DEBUGGER_THREADS') ?? '', 10);
  if (Number.isFinite(forced) && forced >= 1) return Math.min(forced, MAX_THREADS);
  const cores = Math.max(1, Math.min(availableParallelism(), MAX_THREADS));
  return cap !== undefined && cap >= 1 ? Math.min(cores, Math.floor(cap)) : cores;
}

/**
 * The wasm path for a thread count, compiled once on first use (synchronously): the named build ('relaxed',
 * 'simd'), or the fastest this runtime validates; null when unsupported.
 */
export function wasmKernels(threads = defaultThreads(), build?: string): WasmKernels | null {
  if (bestBuild === undefined) bestBuild = usableWasmBuild()?.build.name ?? null;
  const name = build ?? bestBuild;
  if (name === null) return null;
  const key = `${name}:${threads}`;
  if (!wasmCache.has(key)) wasmCache.set(key, createWasmKernels(threads, WASM_BUILDS.filter((b) => b.name === name)));
  return wasmCache.get(key)!;
}

/** The wasm kernels whose memory holds `a`, or null (a plain array, or the float64 path). */
function wasmOwner(a: FloatArray): WasmKernels | null {
  if (!(a instanceof Float32Array)) return null;
  for (const k of wasmCache.values()) if (k && k.heap.owns(a)) return k;
  return null;
}

/** Every path usable for `dtype` on this runtime, fastest first (the wasm one on `threads` threads). */
export function availableKernels(dtype: DType, threads = defaultThreads()): Kernels[] {
  const w = dtype === 'float32' ? wasmKernels(threads) : null;
  return [...(w ? [w] : []), tiledKernels, referenceKernels];
}

/** The kernels for a run; `maxThreads` caps the wasm path's threads (0 or undefined: every core). */
export function selectKernels(dtype: DType, maxThreads?: number): Kernels {
  const threads = defaultThreads(maxThreads);
  const want = env('NN_DEBUGGER_KERNELS');
  const build = want && dtype === 'float32' ? /^wasm-([a-z]+)$/.exec(want)?.[1] : undefined;
  const named = build ? wasmKernels(threads, build) : null;
  if (named) return named;
  const paths = availableKernels(dtype, threads);
  if (!want) return paths[0];
  const match = paths.find((k) => k.name === want || k.name.startsWith(`${want}-`));
  if (!match) throw new Error(`NN_DEBUGGER_KERNELS=${want} is not available for ${dtype} (have: ${paths.map((k) => k.name).join(', ')})`);
  return match;
}

function isWasm(kernels: Kernels): kernels is WasmKernels {
  return 'heap' in kernels;
}

/**
 * A zeroed buffer for `length` values that `kernels` read and write in place. On the wasm path it lives in
 * wasm memory, so layers that allocate weights, gradients and activations here avoid a copy per product;
 * any other buffer still works (it is copied into wasm scratch memory on each call). Wasm memory is a bump
 * allocator that is never freed (one model per worker or process); once its 1 GiB is used up this falls
 * back to an ordinary array.
 */
export function allocKernelBuffer(kernels: Kernels, dtype: DType, length: number): FloatArray {
  if (dtype === 'float32' && isWasm(kernels)) {
    try {
      return kernels.heap.allocFloat32(length);
    } catch {
      // memory.grow failed (RangeError): fall through to a plain array
    }
  }
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

/**
 * One Adam update in wasm SIMD when `kernels` is the wasm path and w, g, m, v all came from
 * allocKernelBuffer (float32 moments): about 10× faster than a scalar loop on 270k weights. Returns Σw
 * after the update (non-finite when any weight is), or null when it cannot run: then use a scalar loop.
 */
export function kernelAdamStep(
  kernels: Kernels, w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray,
  b1: number, b2: number, stepSize: number, invSqrtC2: number, eps: number,
): number | null {
  if (!isWasm(kernels) || !(w instanceof Float32Array && g instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array)) return null;
  return kernels.adam(w, g, m, v, b1, b2, stepSize, invSqrtC2, eps);
}

/** Σa² (float64 accumulation) in wasm SIMD when `a` came from allocKernelBuffer on the wasm path, else null: use a scalar loop. */
export function kernelSumSquares(kernels: Kernels, a: FloatArray): number | null {
  return isWasm(kernels) && a instanceof Float32Array ? kernels.sumSquares(a) : null;
}

/** Σa and Σa² into out[0], out[1] in wasm SIMD when `a` came from allocKernelBuffer on the wasm path; false otherwise: use a scalar loop. */
export function kernelMoments(kernels: Kernels, a: FloatArray, out: Float64Array): boolean {
  return isWasm(kernels) && a instanceof Float32Array && kernels.moments(a, out);
}

/** Σ(a - b)² over b's length in wasm SIMD when both came from allocKernelBuffer on the wasm path, else null: use a scalar loop. */
export function kernelSumSquaredDiff(kernels: Kernels, a: FloatArray, b: FloatArray): number | null {
  return isWasm(kernels) && a instanceof Float32Array && b instanceof Float32Array ? kernels.sumSquaredDiff(a, b) : null;
}

/** Counts |a| per bin (see WasmKernels.binCounts) in wasm when `a` and `idx` are kernel memory on the wasm path; false otherwise: use a scalar loop. */
export function kernelBinCounts(kernels: Kernels, a: FloatArray, idx: Int32Array | null, edges: readonly number[], counts: Int32Array): boolean {
  return isWasm(kernels) && a instanceof Float32Array && kernels.binCounts(a, idx, edges, counts);
}

/** The dead units of a [rows × units] batch under a mode-1 stuck test (stuck-tests.ts) in wasm when `a` is kernel memory on the wasm path, else null: use a loop. */
export function kernelDeadUnits(kernels: Kernels, a: FloatArray, rows: number, units: number, lo: number, hi: number): number | null {
  return isWasm(kernels) && a instanceof Float32Array ? kernels.deadUnits(a, rows, units, lo, hi) : null;
}

/** dst = src (over src's length) in wasm when both came from kernel memory on the wasm path; false otherwise: use a typed-array copy. */
export function kernelCopy(kernels: Kernels, src: FloatArray, dst: FloatArray): boolean {
  return isWasm(kernels) && src instanceof Float32Array && dst instanceof Float32Array && kernels.copy(src, dst);
}

/** dst[k] = src[idx[k]] in wasm when all three came from kernel memory on the wasm path; false otherwise: use a scalar loop. */
export function kernelGather(kernels: Kernels, src: FloatArray, idx: Int32Array, dst: FloatArray): boolean {
  return isWasm(kernels) && src instanceof Float32Array && dst instanceof Float32Array && kernels.gather(src, idx, dst);
}

/** Rows order[start..start+rows) of the float64 matrix `src` into float32 dst through wasm when dst is kernel memory on the wasm path; false otherwise: use a loop. */
export function kernelGatherRows(kernels: Kernels, src: Float64Array, order: Int32Array, start: number, rows: number, width: number, dst: FloatArray): boolean {
  return isWasm(kernels) && dst instanceof Float32Array && kernels.gatherRows(src, order, start, rows, width, dst);
}

/**
 * Runs `task` beside the next product or update the wasm path splits across threads (the task must not
 * depend on its result; what it runs stays on the calling thread), or at kernelSettle; at once on any other path.
 */
export function kernelBeside(kernels: Kernels, task: () => void): void {
  if (isWasm(kernels)) kernels.beside(task);
  else task();
}

/** Runs a task given to kernelBeside that has not run yet. */
export function kernelSettle(kernels: Kernels): void {
  if (isWasm(kernels)) kernels.settle();
}

/** Σ(src[idx[k]] - before[k])² and Σbefore² into out in wasm when all came from kernel memory on the wasm path; false otherwise. */
export function kernelGatherDiff(kernels: Kernels, src: FloatArray, idx: Int32Array, before: FloatArray, out: Float64Array): boolean {
  return isWasm(kernels) && src instanceof Float32Array && before instanceof Float32Array && kernels.gatherDiff(src, idx, before, out);
}

/**
 * C = A·B + 1·biasᵀ (the dense layer's forward) with the bias added as the product is stored, on the wasm
 * path when `bias` is kernel memory; false otherwise: use gemm and a loop.
 */
export function kernelGemmBias(kernels: Kernels, m: number, n: number, k: number, a: FloatArray, b: FloatArray, bias: FloatArray, c: FloatArray): boolean {
  return isWasm(kernels) && bias instanceof Float32Array && kernels.gemmBias(m, n, k, a, b, bias, c);
}

/**
 * C = A·B + bias·1ᵀ (a convolution's forward for one sample, a bias per filter) with the bias added as the
 * product is stored, on the wasm path when `bias` is kernel memory and k fits one packed slice; false otherwise: use gemm and a loop.
 */
export function kernelGemmRowBias(kernels: Kernels, m: number, n: number, k: number, a: FloatArray, b: FloatArray, bias: FloatArray, c: FloatArray): boolean {
  return isWasm(kernels) && bias instanceof Float32Array && kernels.gemmRowBias(m, n, k, a, b, bias, c);
}

/** out = column sums of g [rows × n] (the bias gradient) in wasm when both are kernel memory; false otherwise: use a loop. */
export function kernelColumnSums(kernels: Kernels, g: FloatArray, rows: number, n: number, out: FloatArray): boolean {
  return isWasm(kernels) && g instanceof Float32Array && out instanceof Float32Array && kernels.columnSums(g, rows, n, out);
}

/**
 * y = f(x) for a piecewise-linear activation (linear, relu, leaky-relu, relu6) in wasm SIMD when both arrays
 * are kernel memory (found from the arrays, so a layer needs no kernels handle); false otherwise: use a loop.
 */
export function kernelActivation(kind: string, alpha: number, x: FloatArray, y: FloatArray, n: number): boolean {
  const k = wasmOwner(x);
  return k !== null && y instanceof Float32Array && k.activation(kind, alpha, x as Float32Array, y, n);
}

/** dx = f'(x)·dy for the same activations in wasm SIMD when all three are kernel memory; false otherwise: use a loop. */
export function kernelActivationGrad(kind: string, alpha: number, x: FloatArray, dy: FloatArray, dx: FloatArray, n: number): boolean {
  const k = wasmOwner(x);
  return k !== null && dy instanceof Float32Array && dx instanceof Float32Array && k.activationGrad(kind, alpha, x as Float32Array, dy, dx, n);
}

/** The wasm convolution and pooling passes of the kernels whose memory holds `a`, or null: use the TS loops. */
export function kernelConvOps(a: FloatArray): WasmConvOps | null {
  return wasmOwner(a)?.conv ?? null;
}

/** Whether the first n entries of `a` are finite, checked in wasm SIMD when `a` is kernel memory; null otherwise: use a loop. */
export function kernelAllFinite(a: FloatArray, n: number): boolean | null {
  const k = wasmOwner(a);
  return k ? k.allFinite(a as Float32Array, n) : null;
}

/**
 * Per channel of an image batch, Σx, Σx² and the stuck count (WasmKernels.channelSums) in one wasm SIMD pass
 * when `a` is kernel memory on the wasm path; false otherwise: use a loop.
 */
export function kernelChannelSums(kernels: Kernels | null, a: FloatArray, rows: number, channels: number, spatial: number, mode: number, lo: number, hi: number, out: Float64Array): boolean {
  return kernels !== null && isWasm(kernels) && a instanceof Float32Array && kernels.channelSums(a, rows, channels, spatial, mode, lo, hi, out);
}

/** channelSums of a ReLU's input and of its output from one wasm pass (WasmKernels.reluChannelSums) when `a` is kernel memory on the wasm path; false otherwise. */
export function kernelReluChannelSums(kernels: Kernels | null, a: FloatArray, rows: number, channels: number, spatial: number, out: Float64Array): boolean {
  return kernels !== null && isWasm(kernels) && a instanceof Float32Array && kernels.reluChannelSums(a, rows, channels, spatial, out);
}

/**
 * Per channel base, the histogram of the finite values a[offsets[j] + base] over `bins` equal bins (as
 * pictures.ts's histogram; null for a channel with none) in wasm when `a` and the ascending `offsets`
 * (kernelIndexBuffer) are kernel memory on the wasm path; null otherwise: use the loop.
 */
export function kernelSampledHistograms(kernels: Kernels | null, a: FloatArray, offsets: Int32Array, bases: readonly number[], bins: number): (ValueHistogram | null)[] | null {
  return kernels !== null && isWasm(kernels) && a instanceof Float32Array ? kernels.sampledHistograms(a, offsets, bases, bins) : null;
}

/** `indices` copied into wasm memory on the wasm path (so kernels read them in place), else as they are. */
export function kernelIndexBuffer(kernels: Kernels, indices: Int32Array): Int32Array {
  if (!isWasm(kernels)) return indices;
  try {
    const copy = kernels.heap.allocInt32(indices.length);
    copy.set(indices);
    return copy;
  } catch {
    return indices; // memory exhausted: the scalar loop reads it
  }
}

/** Batch norm's training forward over features in wasm (WasmKernels.batchNormForward) when every array came from kernel memory on the wasm path; false otherwise. */
export function kernelBatchNormForward(kernels: Kernels, x: FloatArray, rows: number, n: number, eps: number, g: FloatArray, b: FloatArray, xhat: FloatArray, out: FloatArray, mean: Float64Array, variance: Float64Array, invStd: Float64Array): boolean {
  return isWasm(kernels) && x instanceof Float32Array && g instanceof Float32Array && b instanceof Float32Array && xhat instanceof Float32Array && out instanceof Float32Array && kernels.batchNormForward(x, rows, n, eps, g, b, xhat, out, mean, variance, invStd);
}

/** Its backward in wasm (WasmKernels.batchNormBackward) on the same terms. */
export function kernelBatchNormBackward(kernels: Kernels, dy: FloatArray, xhat: FloatArray, rows: number, n: number, g: FloatArray, invStd: Float64Array, gammaGrad: FloatArray, betaGrad: FloatArray, dx: FloatArray): boolean {
  return isWasm(kernels) && dy instanceof Float32Array && xhat instanceof Float32Array && g instanceof Float32Array && gammaGrad instanceof Float32Array && betaGrad instanceof Float32Array && dx instanceof Float32Array && kernels.batchNormBackward(dy, xhat, rows, n, g, invStd, gammaGrad, betaGrad, dx);
}
