// The WebAssembly SIMD float32 path (scripts/build-wasm.js): A and B are packed per 256-deep slice into
// 4-row blocks and 8-column panels (a plain B under few rows of A is read in place instead), and a 4x8
// f32x4 register tile sweeps them 64 rows at a time. Operands
// already in wasm memory (allocated through the heap) are used in place; anything else is copied into
// reusable scratch regions, one memcpy per operand per call.
import type { FloatArray, ValueHistogram } from '../types';
import type { Kernels } from './kernels';
import { HeapScratch, WasmHeap } from './wasm-heap';
import { GemmPool, MAX_CHUNKS } from './wasm-pool';
import { WASM_ACTIVATIONS, WASM_BUILDS, type WasmBuild } from './wasm-bytes';
import { wasmConvOps, type ConvExports, type WasmConvOps } from './wasm-conv';

interface GemmExports extends ConvExports {
  pack(b: number, ld: number, k: number, n: number, transposed: number, dst: number): void;
  packA(a: number, rs: number, ps: number, m: number, k: number, dst: number): void;
  gemm(m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number, bias: number, ldb: number, bt: number, jFrom: number, jTo: number): void;
  adam(w: number, g: number, m: number, v: number, n: number, b1: number, b2: number, step: number, ic2: number, eps: number): number;
  sumSquares(a: number, n: number): number;
  moments(a: number, n: number, out: number): void;
  sumSquaredDiff(a: number, b: number, n: number): number;
  binCounts(a: number, idx: number, n: number, lut: number, counts: number, stride: number): void;
  deadUnits(a: number, rows: number, units: number, lo: number, hi: number): number;
  copy(src: number, n: number, dst: number): void;
  gather(src: number, idx: number, n: number, dst: number): void;
  gatherDiff(src: number, idx: number, n: number, before: number, out: number): void;
  demote(src: number, n: number, dst: number): void;
  act(kind: number, alpha: number, x: number, y: number, n: number): void;
  actGrad(kind: number, alpha: number, x: number, dy: number, dx: number, n: number): void;
  colSums(g: number, rows: number, n: number, out: number): void;
  bnMoments(x: number, rows: number, n: number, mean: number, variance: number): void;
  bnApply(x: number, rows: number, n: number, mean: number, inv: number, g: number, b: number, xhat: number, out: number): void;
  bnGradSums(dy: number, xhat: number, rows: number, n: number, sg: number, sb: number): void;
  bnInputGrad(dy: number, xhat: number, rows: number, n: number, g: number, meanD: number, meanDX: number, inv: number, dx: number): void;
  allFinite(a: number, n: number): number;
  channelSums(a: number, rows: number, channels: number, spatial: number, mode: number, lo: number, hi: number, out: number): void;
  sampledHistograms(a: number, offsets: number, n: number, bases: number, channels: number, bins: number, values: number, out: number): void;
  reluChannelSums(a: number, rows: number, channels: number, spatial: number, out: number): void;
}

export interface WasmKernels extends Kernels {
  readonly heap: WasmHeap;
  /** Threads a large product is split over (1 = the calling thread only). */
  readonly threads: number;
  /** Threads usable right now (helpers start asynchronously; until then the caller does their share). */
  activeThreads(): number;
  /**
   * Runs `task` on this thread beside the next product or update split across threads (while the helpers
   * start on it), or at settle() if none comes first; at once on one thread. What the task runs stays on
   * this thread.
   */
  beside(task: () => void): void;
  /** Runs a task given to beside() that no split work has run yet. */
  settle(): void;
  /**
   * One Adam update with float32 moments, 4 lanes at a time: m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g²,
   * w -= stepSize·m / (√v·invSqrtC2 + ε). All four arrays must live in this heap (allocKernelBuffer);
   * returns Σw after the update (non-finite when any weight is), or null when an array is elsewhere.
   */
  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number, stepSize: number, invSqrtC2: number, eps: number): number | null;
  /**
   * Σa² accumulated in float64 for an array in this heap (squares rounded to float32 first), or null when
   * it is elsewhere: in chunks fixed by the length, added in order, split across the threads when large.
   */
  sumSquares(a: Float32Array): number | null;
  /** Σa and Σa² (float64) for an array in this heap, written to out[0] and out[1]; false when it is elsewhere. */
  moments(a: Float32Array, out: Float64Array): boolean;
  /** Σ(a - b)² over b's length (float64 accumulation) for arrays in this heap, or null when one is elsewhere. */
  sumSquaredDiff(a: Float32Array, b: Float32Array): number | null;
  /**
   * Adds to counts[b] the entries of `a` (those listed in `idx`, or all) whose |value| is at or above
   * exactly b of the ascending positive `edges` (at most one per power of two); NaN and ±Inf are left
   * out. False when `a` or `idx` is not in this heap.
   */
  binCounts(a: Float32Array, idx: Int32Array | null, edges: readonly number[], counts: Int32Array): boolean;
  /**
   * How many of the `units` columns of the [rows × units] batch `a` are stuck at every row under the ReLU
   * family's inactive test (not above lo, or at or above hi; NaN: no upper bound; float32 compares), or null
   * when `a` is elsewhere or short.
   */
  deadUnits(a: Float32Array, rows: number, units: number, lo: number, hi: number): number | null;
  /** dst's first src.length entries = src; false when an array is elsewhere or dst is short. */
  copy(src: Float32Array, dst: Float32Array): boolean;
  /** dst[k] = src[idx[k]] for every k of idx (indices must lie within src); false when an array is elsewhere or dst is short. */
  gather(src: Float32Array, idx: Int32Array, dst: Float32Array): boolean;
  /**
   * Rows order[start..start+rows) of the float64 matrix `src` (each `width` wide) into dst, rounded to float32
   * as a Float32Array store rounds: each row is copied as float64 into wasm memory (a plain copy, where a
   * converting copy costs several times more), then rounded four at a time. False when dst is elsewhere or
   * short, or rows are too narrow to gain (then the caller's loop is faster).
   */
  gatherRows(src: Float64Array, order: Int32Array, start: number, rows: number, width: number, dst: Float32Array): boolean;
  /** Σ(src[idx[k]] - before[k])² and Σbefore[k]² (float64) into out[0], out[1]; false when an array is elsewhere or before is short. */
  gatherDiff(src: Float32Array, idx: Int32Array, before: Float32Array, out: Float64Array): boolean;
  /** C[m×n] = A[m×k]·B[k×n] + 1·biasᵀ with the bias added as each tile is stored; false when `bias` is not in this heap. */
  gemmBias(m: number, n: number, k: number, a: FloatArray, b: FloatArray, bias: Float32Array, c: FloatArray): boolean;
  /**
   * C[m×n] = A[m×k]·B[k×n] + bias·1ᵀ (a bias per row, a convolution's per filter) with the bias added as each
   * tile is stored, which rounds as adding it to the finished product does; false when `bias` is not in this
   * heap or k is deeper than one packed slice (the bias would join a partial sum).
   */
  gemmRowBias(m: number, n: number, k: number, a: FloatArray, b: FloatArray, bias: Float32Array, c: FloatArray): boolean;
  /** y = f(x) over the first n entries for a piecewise-linear activation (WASM_ACTIVATIONS); false when unsupported or an array is elsewhere. */
  activation(kind: string, alpha: number, x: Float32Array, y: Float32Array, n: number): boolean;
  /** dx = f'(x)·dy over the first n entries for the same activations; false when unsupported or an array is elsewhere. */
  activationGrad(kind: string, alpha: number, x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): boolean;
  /** out[j] = Σ over `rows` rows of g[r·n + j] (float32, rows in order); false when an array is elsewhere. */
  columnSums(g: Float32Array, rows: number, n: number, out: Float32Array): boolean;
  /**
   * Batch norm's training forward over the features of a [rows × n] batch (one statistic per column): the
   * batch mean and biased variance into `mean` and `variance`, invStd[j] = 1/√(variance[j] + eps), then
   * xhat = (x - mean)·invStd and out = g·xhat + b, computed as normalization.ts's loops compute them (the
   * same float64 operations in the same order per feature). False when a float32 array is elsewhere.
   */
  batchNormForward(x: Float32Array, rows: number, n: number, eps: number, g: Float32Array, b: Float32Array, xhat: Float32Array, out: Float32Array, mean: Float64Array, variance: Float64Array, invStd: Float64Array): boolean;
  /** Its backward: gammaGrad = Σdy·xhat, betaGrad = Σdy per feature, and the input gradient dx, as the TypeScript loops compute them. */
  batchNormBackward(dy: Float32Array, xhat: Float32Array, rows: number, n: number, g: Float32Array, invStd: Float64Array, gammaGrad: Float32Array, betaGrad: Float32Array, dx: Float32Array): boolean;
  /** Whether the first n entries are all finite, or null when `a` is elsewhere. */
  allFinite(a: Float32Array, n: number): boolean | null;
  /**
   * One pass over an image batch [rows × channels × spatial]: per channel Σx, Σx² (float64) and the count of
   * stuck values (mode 1: not above lo, or at or above hi; mode 2: below lo or above hi; 0: none; float32
   * compares) into out[c], out[channels + c], out[2·channels + c]; false when `a` is elsewhere or short, or out is short.
   */
  channelSums(a: Float32Array, rows: number, channels: number, spatial: number, mode: number, lo: number, hi: number, out: Float64Array): boolean;
  /**
   * channelSums of a ReLU's input x and, from the same pass, of its output y = (x > 0 ? x : 0) without reading
   * it: per channel Σx, Σx², Σy, Σy² and the count of x not above 0 into out[k·channels + c] for k = 0..4;
   * false when `a` is elsewhere or short, or out is short.
   */
  reluChannelSums(a: Float32Array, rows: number, channels: number, spatial: number, out: Float64Array): boolean;
  /**
   * For each entry of `bases`, the histogram over `bins` equal bins from min to max of the finite values
   * a[offsets[j] + base] (pictures.ts's histogram, computed the same way), or null when no value is finite;
   * null for the whole call when `a` or `offsets` (ascending) is elsewhere, or an index falls outside `a`.
   */
  sampledHistograms(a: Float32Array, offsets: Int32Array, bases: readonly number[], bins: number): (ValueHistogram | null)[] | null;
  /** im2col/col2im, the conv layer's layout moves and pooling (wasm-conv.ts). */
  readonly conv: WasmConvOps;
}

/** Depth of one packed slice of the shared dimension. */
const KC = 256;
/**
 * Up to this many rows of A (four row blocks: a convolution's filters), a plain B is read in place, only its
 * last partial panel packed: each panel is read by so few row blocks that packing all of it cost more than
 * the contiguous reads saved. Taller products (dense layers) read each panel dozens of times and pack.
 */
const IN_PLACE_B_MAX_ROWS = 16;
/** Narrower rows are gathered faster by the caller's loop than by a typed-array copy per row. */
const GATHER_MIN_WIDTH = 64;
/** Below this many multiply-adds a product is not worth waking a helper thread for (a 10-class output layer at batch 256 is above it). */
export const SPLIT_MIN_MACS = 1 << 19;
/** Below this many weights an Adam update is not worth waking a helper thread for. */
export const SPLIT_MIN_WEIGHTS = 1 << 16;
/** Below this many elements an activation pass is not worth waking a helper thread for. */
export const SPLIT_MIN_ELEMENTS = 1 << 15;
/** A reduction's chunk, in floats: enough that a chunk's sum outweighs its claim. */
const REDUCTION_CHUNK = 1 << 14;
/** Below this many floats a reduction is not worth waking a helper thread for. */
export const SPLIT_MIN_REDUCTION = 4 * REDUCTION_CHUNK;

/**
 * The floats per chunk of a reduction over n: fixed by n alone, so that a sum of squares, added chunk by
 * chunk, rounds the same way whether one thread or several compute it.
 */
function reductionChunk(n: number): number {
  return Math.max(REDUCTION_CHUNK, Math.ceil(n / MAX_CHUNKS / 64) * 64);
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The first build this runtime validates (relaxed SIMD where available, else plain SIMD), with its bytes; null when none. */
export function usableWasmBuild(builds: readonly WasmBuild[] = WASM_BUILDS): { build: WasmBuild; bytes: Uint8Array<ArrayBuffer> } | null {
  if (typeof WebAssembly === 'undefined') return null;
  for (const build of builds) {
    const bytes = decode(build.base64);
    if (WebAssembly.validate(bytes)) return { build, bytes };
  }
  return null;
}

/**
 * Compiles synchronously (fine in Node and workers for a 5 kB module); null when SIMD or shared memory is
 * unavailable. `threads` > 1 adds helper threads that split large products by output rows or columns, and large
 * Adam updates and activation passes (wasm-pool.ts). `builds` are
 * tried in order (default: every build, fastest first).
 */
export function createWasmKernels(threads = 1, builds: readonly WasmBuild[] = WASM_BUILDS): WasmKernels | null {
  let heap: WasmHeap;
  let ex: GemmExports;
  let module: WebAssembly.Module;
  let build: WasmBuild;
  try {
    const usable = usableWasmBuild(builds);
    if (!usable) return null;
    build = usable.build;
    const bytes = usable.bytes;
    heap = new WasmHeap();
    module = new WebAssembly.Module(bytes);
    ex = new WebAssembly.Instance(module, { env: { memory: heap.memory } }).exports as unknown as GemmExports;
  } catch {
    return null;
  }
  const MR = build.mr;
  const NR = build.nr;
  const tileBytes = MR * NR * 4;
  let pool: GemmPool | null = null;
  try {
    if (threads > 1) pool = new GemmPool(module, heap.memory, Array.from({ length: threads - 1 }, () => heap.alloc(tileBytes)), build);
  } catch {
    pool = null; // no worker_threads here: stay on the calling thread
  }
  // A product run beside a split one (in a side task: pool.besideRunning) packs into scratch of its own,
  // since the split job is still reading the caller's packed operands, and is not split itself.
  const scratch = () => ({ a: new HeapScratch(heap), b: new HeapScratch(heap), c: new HeapScratch(heap), packed: new HeapScratch(heap), packedA: new HeapScratch(heap) });
  const ownScratch = scratch();
  const sideScratch = scratch();
  const splitter = (): GemmPool | null => (pool !== null && !pool.besideRunning ? pool : null);
  const sRows = new HeapScratch(heap);
  let rowsView: Float64Array<ArrayBufferLike> = new Float64Array(0);
  const tmp = heap.alloc(tileBytes);
  // two float64 results of moments and gatherDiff
  const pairOut = heap.alloc(16);
  const pairView = new Float64Array(heap.f32.buffer, pairOut, 2);
  const binning = new BinScratch(heap);
  const sChannels = new HeapScratch(heap);
  const bnVectors = f64Vectors(heap);
  const sHistograms = new HeapScratch(heap);

  const input = (arr: FloatArray, length: number, scratch: HeapScratch): number => {
    if (heap.owns(arr)) return arr.byteOffset;
    const ptr = scratch.ensure(length * 4);
    heap.f32.set(arr.length === length ? arr : arr.subarray(0, length), ptr >> 2);
    return ptr;
  };

  // Both operands are packed (A into MR-row blocks, B into NR-column panels) so the micro-kernel reads
  // each with static offsets; packing is O(mk + kn) against the O(mnk) product.
  // bias: a heap address, with accumulate false: bias[j] added down column j (biasMode 2, 1·biasᵀ) or bias[i]
  // along row i (biasMode 3, bias·1ᵀ); or 0.
  const run = (m: number, n: number, k: number, a: FloatArray, aT: boolean, b: FloatArray, bT: boolean, c: FloatArray, accumulate: boolean, bias = 0, biasMode = 2): void => {
    if (m === 0 || n === 0) return;
    const s = pool !== null && pool.besideRunning ? sideScratch : ownScratch;
    const a0 = input(a, m * k, s.a);
    const b0 = input(b, k * n, s.b);
    const inPlace = heap.owns(c);
    const pc = inPlace ? c.byteOffset : accumulate ? input(c, m * n, s.c) : s.c.ensure(m * n * 4);
    const kc0 = Math.min(k, KC);
    const splitOver = m * n * k >= SPLIT_MIN_MACS ? splitter() : null;
    const inPlaceB = !bT && m <= IN_PLACE_B_MAX_ROWS;
    const ldb = bT ? k : n;
    const rs = aT ? 1 : k;
    const ps = aT ? m : 1;
    // A split product runs every slice in one job, each chunk of rows or columns through all of them (B
    // read in place has its last partial panel packed per slice, so it runs a job per slice); such a job
    // keeps all of B packed when split by rows, all of A when split by columns.
    const slices = Math.max(1, Math.ceil(k / KC));
    const byColumns = splitOver !== null && splitOver.splitsByColumns(m, n);
    const whole = splitOver !== null && !inPlaceB;
    const pa = s.packedA.ensure(Math.ceil(m / MR) * MR * kc0 * (whole && byColumns ? slices : 1) * 4);
    const packed = s.packed.ensure(kc0 * Math.ceil(n / NR) * NR * (whole && !byColumns ? slices : 1) * 4);
    const acc0 = accumulate ? 1 : bias ? biasMode : 0;
    const fullPanels = n - (n % NR);
    // KC-deep slices keep a B panel (KC×NR) and an A micro-panel in L1, and a packed slice of B in L2;
    // later slices accumulate into C.
    if (whole) splitOver.gemm(ex, a0, rs, ps, pa, m, n, k, kc0, packed, pc, acc0, tmp, bias, b0, ldb, bT ? 1 : 0, false, packed);
    else for (let p0 = 0; p0 < k || p0 === 0; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      const aSlice = a0 + p0 * ps * 4;
      const bSlice = b0 + (bT ? p0 : p0 * n) * 4;
      const acc = p0 > 0 ? 1 : acc0;
      if (inPlaceB && fullPanels < n) ex.pack(bSlice + fullPanels * 4, n, kc, n - fullPanels, 0, packed);
      if (splitOver) {
        // B read in place: a job per slice, its last partial panel packed above
        splitOver.gemm(ex, aSlice, rs, ps, pa, m, n, kc, kc0, packed, pc, acc, tmp, bias, bSlice, ldb, bT ? 1 : 0, inPlaceB, packed);
      } else {
        if (!inPlaceB) ex.pack(bSlice, ldb, kc, n, bT ? 1 : 0, packed);
        ex.packA(aSlice, rs, ps, m, kc, pa);
        ex.gemm(m, n, kc, pa, inPlaceB ? bSlice : packed, pc, acc, tmp, bias, inPlaceB ? n : 0, packed, 0, n);
      }
    }
    if (!inPlace) c.set(heap.f32.subarray(pc >> 2, (pc >> 2) + m * n));
  };

  return {
    name: `wasm-${build.name}${pool ? `-x${pool.threads}` : ''}`,
    heap,
    conv: wasmConvOps(heap, ex),
    threads: pool ? pool.threads : 1,
    activeThreads: () => (pool ? pool.activeThreads : 1),
    beside: (task) => (pool ? pool.beside(task) : task()),
    settle: () => pool?.settle(),
    adam: (w, g, m, v, b1, b2, stepSize, invSqrtC2, eps) => {
      if (!heap.owns(w) || !heap.owns(g) || !heap.owns(m) || !heap.owns(v)) return null;
      const n = Math.min(w.length, g.length, m.length, v.length);
      const split = n >= SPLIT_MIN_WEIGHTS ? splitter() : null;
      if (split) return split.adam(ex, w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, n, b1, b2, stepSize, invSqrtC2, eps);
      return ex.adam(w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, n, b1, b2, stepSize, invSqrtC2, eps);
    },
    sumSquares: (a) => {
      if (!heap.owns(a)) return null;
      const n = a.length;
      const per = reductionChunk(n);
      const split = n >= SPLIT_MIN_REDUCTION ? splitter() : null;
      if (split) return split.sumSquares(ex, a.byteOffset, n, per);
      let sum = 0;
      for (let at = 0; at < n; at += per) sum += ex.sumSquares(a.byteOffset + 4 * at, Math.min(per, n - at));
      return sum;
    },
    moments: (a, out) => {
      if (!heap.owns(a)) return false;
      ex.moments(a.byteOffset, a.length, pairOut);
      out[0] = pairView[0];
      out[1] = pairView[1];
      return true;
    },
    deadUnits: (a, rows, units, lo, hi) => (heap.owns(a) && a.length >= rows * units ? ex.deadUnits(a.byteOffset, rows, units, lo, hi) : null),
    copy: (src, dst) => {
      if (!heap.owns(src) || !heap.owns(dst) || dst.length < src.length) return false;
      ex.copy(src.byteOffset, src.length, dst.byteOffset);
      return true;
    },
    gather: (src, idx, dst) => {
      if (!heap.owns(src) || !heap.owns(idx) || !heap.owns(dst) || dst.length < idx.length) return false;
      ex.gather(src.byteOffset, idx.byteOffset, idx.length, dst.byteOffset);
      return true;
    },
    gatherRows: (src, order, start, rows, width, dst) => {
      const n = rows * width;
      if (width < GATHER_MIN_WIDTH || !heap.owns(dst) || dst.length < n) return false;
      const ptr = sRows.ensure(n * 8);
      // one view per scratch region and memory buffer, not per call
      if (rowsView.buffer !== heap.f32.buffer || rowsView.byteOffset !== ptr || rowsView.length < n) rowsView = new Float64Array(heap.f32.buffer, ptr, sRows.capacityBytes / 8);
      for (let r = 0; r < rows; r++) {
        const from = order[start + r] * width;
        rowsView.set(src.subarray(from, from + width), r * width);
      }
      ex.demote(ptr, n, dst.byteOffset);
      return true;
    },
    gatherDiff: (src, idx, before, out) => {
      if (!heap.owns(src) || !heap.owns(idx) || !heap.owns(before) || before.length < idx.length) return false;
      ex.gatherDiff(src.byteOffset, idx.byteOffset, idx.length, before.byteOffset, pairOut);
      out[0] = pairView[0];
      out[1] = pairView[1];
      return true;
    },
    binCounts: (a, idx, edges, counts) => {
      if (!heap.owns(a) || (idx && !heap.owns(idx))) return false;
      const slots = binning.prepare(edges);
      ex.binCounts(a.byteOffset, idx ? idx.byteOffset : 0, idx ? idx.length : a.length, binning.lut, binning.counts.byteOffset, slots * 4);
      const view = binning.counts;
      for (let b = 0; b < Math.min(counts.length, slots); b++) counts[b] += view[b];
      return true;
    },
    sumSquaredDiff: (a, b) => (heap.owns(a) && heap.owns(b) && a.length >= b.length ? ex.sumSquaredDiff(a.byteOffset, b.byteOffset, b.length) : null),
    gemmBias: (m, n, k, a, b, bias, c) => {
      if (!heap.owns(bias) || bias.length < n) return false;
      run(m, n, k, a, false, b, false, c, false, bias.byteOffset);
      return true;
    },
    gemmRowBias: (m, n, k, a, b, bias, c) => {
      if (!heap.owns(bias) || bias.length < m || k > KC) return false;
      run(m, n, k, a, false, b, false, c, false, bias.byteOffset, 3);
      return true;
    },
    activation: (kind, alpha, x, y, n) => {
      const code = WASM_ACTIVATIONS[kind];
      if (code === undefined || !heap.owns(x) || !heap.owns(y) || x.length < n || y.length < n) return false;
      const split = n >= SPLIT_MIN_ELEMENTS ? splitter() : null;
      if (split) split.activation(ex, code, alpha, x.byteOffset, y.byteOffset, 0, n);
      else ex.act(code, alpha, x.byteOffset, y.byteOffset, n);
      return true;
    },
    activationGrad: (kind, alpha, x, dy, dx, n) => {
      const code = WASM_ACTIVATIONS[kind];
      if (code === undefined || !heap.owns(x) || !heap.owns(dy) || !heap.owns(dx) || x.length < n || dy.length < n || dx.length < n) return false;
      const split = n >= SPLIT_MIN_ELEMENTS ? splitter() : null;
      if (split) split.activation(ex, code, alpha, x.byteOffset, dy.byteOffset, dx.byteOffset, n);
      else ex.actGrad(code, alpha, x.byteOffset, dy.byteOffset, dx.byteOffset, n);
      return true;
    },
    batchNormForward: (x, rows, n, eps, g, b, xhat, out, mean, variance, invStd) => {
      const size = rows * n;
      if (!heap.owns(x) || !heap.owns(g) || !heap.owns(b) || !heap.owns(xhat) || !heap.owns(out) || x.length < size || xhat.length < size || out.length < size) return false;
      const [vMean, vVar] = bnVectors(n);
      ex.bnMoments(x.byteOffset, rows, n, vMean.byteOffset, vVar.byteOffset);
      for (let j = 0; j < n; j++) {
        mean[j] = vMean[j];
        variance[j] = vVar[j];
        invStd[j] = 1 / Math.sqrt(vVar[j] + eps);
        // bnApply reads the inverse in the variance's place
        vVar[j] = invStd[j];
      }
      ex.bnApply(x.byteOffset, rows, n, vMean.byteOffset, vVar.byteOffset, g.byteOffset, b.byteOffset, xhat.byteOffset, out.byteOffset);
      return true;
    },
    batchNormBackward: (dy, xhat, rows, n, g, invStd, gammaGrad, betaGrad, dx) => {
      const size = rows * n;
      if (!heap.owns(dy) || !heap.owns(xhat) || !heap.owns(g) || !heap.owns(dx) || dy.length < size || xhat.length < size || dx.length < size) return false;
      const [sg, sb, inv] = bnVectors(n);
      ex.bnGradSums(dy.byteOffset, xhat.byteOffset, rows, n, sg.byteOffset, sb.byteOffset);
      for (let j = 0; j < n; j++) {
        gammaGrad[j] = sg[j];
        betaGrad[j] = sb[j];
        // mean(dx̂) and mean(dx̂·x̂) over the rows, in the sums' places
        sb[j] = (g[j] * sb[j]) / rows;
        sg[j] = (g[j] * sg[j]) / rows;
        inv[j] = invStd[j];
      }
      ex.bnInputGrad(dy.byteOffset, xhat.byteOffset, rows, n, g.byteOffset, sb.byteOffset, sg.byteOffset, inv.byteOffset, dx.byteOffset);
      return true;
    },
    columnSums: (g, rows, n, out) => {
      if (!heap.owns(g) || !heap.owns(out) || g.length < rows * n || out.length < n) return false;
      ex.colSums(g.byteOffset, rows, n, out.byteOffset);
      return true;
    },
    allFinite: (a, n) => {
      if (!heap.owns(a) || a.length < n) return null;
      const split = n >= SPLIT_MIN_REDUCTION ? splitter() : null;
      return split ? split.allFinite(ex, a.byteOffset, n, reductionChunk(n)) : ex.allFinite(a.byteOffset, n) === 1;
    },
    channelSums: (a, rows, channels, spatial, mode, lo, hi, out) => {
      if (!heap.owns(a) || a.length < rows * channels * spatial || out.length < 3 * channels) return false;
      const ptr = sChannels.ensure(3 * channels * 8);
      ex.channelSums(a.byteOffset, rows, channels, spatial, mode, lo, hi, ptr);
      out.set(new Float64Array(heap.f32.buffer, ptr, 3 * channels));
      return true;
    },
    reluChannelSums: (a, rows, channels, spatial, out) => {
      if (!heap.owns(a) || a.length < rows * channels * spatial || out.length < 5 * channels) return false;
      const ptr = sChannels.ensure(5 * channels * 8);
      ex.reluChannelSums(a.byteOffset, rows, channels, spatial, ptr);
      out.set(new Float64Array(heap.f32.buffer, ptr, 5 * channels));
      return true;
    },
    sampledHistograms: (a, offsets, bases, bins) => {
      const n = offsets.length;
      const m = bases.length;
      if (!heap.owns(a) || !heap.owns(offsets) || n === 0 || offsets[0] < 0) return null;
      for (const b of bases) if (b < 0 || offsets[n - 1] + b >= a.length) return null;
      // bases, then scratch (n float64 values, 2·bins i32 counts), then the results
      const intBytes = Math.ceil((m * 4) / 16) * 16;
      const scratchBytes = Math.ceil((n * 8 + bins * 8) / 16) * 16;
      const stride = 3 + bins;
      const ptr = sHistograms.ensure(intBytes + scratchBytes + m * stride * 8);
      const ints = new Int32Array(heap.f32.buffer, ptr, m);
      for (let i = 0; i < m; i++) ints[i] = bases[i];
      const outPtr = ptr + intBytes + scratchBytes;
      ex.sampledHistograms(a.byteOffset, offsets.byteOffset, n, ptr, m, bins, ptr + intBytes, outPtr);
      const res = new Float64Array(heap.f32.buffer, outPtr, m * stride);
      const out: (ValueHistogram | null)[] = [];
      for (let o = 0; o < m * stride; o += stride) {
        if (!(res[o + 2] > 0)) {
          out.push(null);
          continue;
        }
        const counts = new Array<number>(bins);
        for (let b = 0; b < bins; b++) counts[b] = res[o + 3 + b];
        out.push({ min: res[o], max: res[o + 1], counts });
      }
      return out;
    },
    gemm: (m, n, k, a, b, c, acc) => run(m, n, k, a, false, b, false, c, acc),
    gemmTN: (m, n, k, a, b, c, acc) => run(m, n, k, a, true, b, false, c, acc),
    gemmNT: (m, n, k, a, b, c, acc) => run(m, n, k, a, false, b, true, c, acc),
  };
}

/** The lookup table binCounts reads for one list of edges (rebuilt only when the list changes) and its count slots. */
class BinScratch {
  lut = 0;
  counts: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private edges: readonly number[] | null = null;
  private readonly table: number;

  constructor(private readonly heap: WasmHeap) {
    this.table = heap.alloc(256 * 8 + 256 * 4);
  }

  /** Fills the table for `edges` when they changed; returns the slots of each of binCounts' four count tables. */
  prepare(edges: readonly number[]): number {
    const slots = edges.length + 3;
    if (edges !== this.edges) {
      this.edges = edges;
      this.lut = this.table;
      const edge = new Float64Array(this.heap.f32.buffer, this.table, 256);
      const bin = new Int32Array(this.heap.f32.buffer, this.table + 2048, 256);
      for (let e = 0; e < 255; e++) {
        // binade e holds [lo, hi): zero and the subnormals for e = 0
        const lo = e === 0 ? 0 : 2 ** (e - 127);
        const hi = 2 ** (e - 126);
        const above = edges.findIndex((x) => x > lo);
        bin[e] = above < 0 ? edges.length : above;
        const next = above < 0 ? Infinity : edges[above];
        if (next < hi && above + 1 < edges.length && edges[above + 1] < hi) throw new Error('binCounts: two bin edges within one power of two');
        edge[e] = next < hi ? next : Infinity;
      }
      bin[255] = edges.length + 1; // NaN stays there; ±Inf compares at or above the +Inf edge: one slot on
      edge[255] = Infinity;
    }
    if (this.counts.length !== 4 * slots) this.counts = this.heap.allocInt32(4 * slots);
    return slots;
  }
}

/**
 * Per feature count, three float64 vectors in the heap, each allocated once and kept (a batch norm's
 * per-feature statistics on their way to and from the module).
 */
function f64Vectors(heap: WasmHeap): (n: number) => Float64Array[] {
  const byCount = new Map<number, Float64Array[]>();
  return (n) => {
    let vectors = byCount.get(n);
    if (!vectors) {
      vectors = [0, 1, 2].map(() => {
        const ptr = heap.alloc(Math.max(16, n * 8));
        return new Float64Array(heap.f32.buffer, ptr, n);
      });
      byCount.set(n, vectors);
    }
    return vectors;
  };
}
