// The wasm element-wise passes against the TS loops they replace, entry for entry (NaN, ±Inf, -0 and the
// activation kinks included, lengths around the 4-lane width), the GEMM with its fused bias, the batch gather,
// and refusal of arrays that are not kernel memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelActivation, kernelActivationGrad, kernelAllFinite, kernelColumnSums, kernelGatherRows, kernelGemmBias, kernelGemmRowBias, wasmKernels } from '../../src/engine/kernels/select';
import { gatherBatch } from '../../src/engine/train/targets';
import { BatchNormLayer } from '../../src/engine/layers/normalization';
import type { BatchNormSpec } from '../../src/engine/spec/model-spec';
import { SPLIT_MIN_ELEMENTS, type WasmKernels } from '../../src/engine/kernels/wasm-kernels';
import { lcg } from './engine-helpers';

const KINDS = ['linear', 'relu', 'leaky-relu', 'relu6'] as const;
const ALPHA = 0.01;
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 6, -6, 5.999999, 6.000001, 1e-30, -1e-30, 3.5, -2.25];

/** The activation loops of layers/activations.ts, with alpha in float32 as the kernel takes it. */
function forwardLoop(kind: string, x: number): number {
  const a = Math.fround(ALPHA);
  if (kind === 'relu') return x > 0 ? x : 0;
  if (kind === 'leaky-relu') return x > 0 ? x : a * x;
  if (kind === 'relu6') return x <= 0 ? 0 : x >= 6 ? 6 : x;
  return x;
}

function backwardLoop(kind: string, x: number, dy: number): number {
  const a = Math.fround(ALPHA);
  if (kind === 'relu') return x > 0 ? dy : 0;
  if (kind === 'leaky-relu') return x > 0 ? dy : a * dy;
  if (kind === 'relu6') return x > 0 && x < 6 ? dy : 0;
  return dy;
}

function heapArray(w: WasmKernels, values: ArrayLike<number>): Float32Array {
  const a = w.heap.allocFloat32(values.length);
  a.set(Array.from(values));
  return a;
}

function inputs(n: number, seed: number): number[] {
  const r = lcg(seed);
  return Array.from({ length: n }, (_, i) => (i < SPECIAL.length && seed % 2 === 0 ? SPECIAL[(i + seed) % SPECIAL.length] : 16 * r() - 8));
}

const same = (a: number, b: number) => Object.is(a, b);

test('wasm activations and their gradients equal the TS loops entry for entry', () => {
  const w = wasmKernels(1)!;
  for (const kind of KINDS) {
    for (const n of [1, 3, 4, 5, 8, 13, 40]) {
      for (const seed of [2, 3]) {
        const xs = inputs(n, seed);
        const dys = inputs(n, seed + 10).map((v) => (Number.isFinite(v) ? v : 1.5));
        const x = heapArray(w, xs), dy = heapArray(w, dys);
        // one spare entry each: nothing past n may be written
        const y = w.heap.allocFloat32(n + 1).fill(42), dx = w.heap.allocFloat32(n + 1).fill(42);
        assert.ok(kernelActivation(kind, ALPHA, x, y, n), `${kind} should run in wasm`);
        assert.ok(kernelActivationGrad(kind, ALPHA, x, dy, dx, n));
        for (let i = 0; i < n; i++) {
          const f = Math.fround(forwardLoop(kind, x[i]));
          const g = Math.fround(backwardLoop(kind, x[i], dy[i]));
          assert.ok(same(y[i], f), `${kind} n=${n} forward at ${i}: x=${x[i]} got ${y[i]}, loop ${f}`);
          assert.ok(same(dx[i], g), `${kind} n=${n} backward at ${i}: x=${x[i]} dy=${dy[i]} got ${dx[i]}, loop ${g}`);
        }
        assert.equal(y[n], 42);
        assert.equal(dx[n], 42);
      }
    }
  }
});

test('activation passes split over 2 and 3 threads equal the TS loops entry for entry and write nothing past n', async () => {
  // lengths past the split threshold whose chunks end mid-group and whose last chunk is short
  const lengths = [SPLIT_MIN_ELEMENTS + 13, 3 * SPLIT_MIN_ELEMENTS + 5];
  for (const threads of [2, 3]) {
    const w = wasmKernels(threads)!;
    for (let waited = 0; w.activeThreads() < threads && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    assert.equal(w.activeThreads(), threads);
    for (const kind of KINDS) {
      for (const n of lengths) {
        const xs = inputs(n, 2);
        const x = heapArray(w, xs), dy = heapArray(w, inputs(n, 13));
        const y = w.heap.allocFloat32(n + 1).fill(42), dx = w.heap.allocFloat32(n + 1).fill(42);
        assert.ok(w.activation(kind, ALPHA, x, y, n));
        assert.ok(w.activationGrad(kind, ALPHA, x, dy, dx, n));
        for (let i = 0; i < n; i++) {
          if (!same(y[i], Math.fround(forwardLoop(kind, x[i])))) assert.fail(`${threads} threads, ${kind} n=${n}: forward differs at ${i}`);
          if (!same(dx[i], Math.fround(backwardLoop(kind, x[i], dy[i])))) assert.fail(`${threads} threads, ${kind} n=${n}: backward differs at ${i}`);
        }
        assert.equal(y[n], 42);
        assert.equal(dx[n], 42);
      }
    }
  }
});

test('activation kernels decline kinds they do not compute and arrays outside kernel memory', () => {
  const w = wasmKernels(1)!;
  const x = heapArray(w, [1, -1, 2, -2]), y = w.heap.allocFloat32(4);
  assert.equal(kernelActivation('sigmoid', 0, x, y, 4), false);
  assert.equal(kernelActivation('relu', 0, new Float32Array(4), y, 4), false);
  assert.equal(kernelActivation('relu', 0, x, new Float32Array(4), 4), false);
  assert.equal(kernelActivationGrad('tanh', 0, x, x, y, 4), false);
  assert.equal(kernelActivationGrad('relu', 0, x, new Float32Array(4), y, 4), false);
  assert.equal(kernelActivation('relu', 0, x, y, 5), false, 'n past the arrays');
  assert.equal(kernelAllFinite(new Float32Array(4), 4), null);
  assert.equal(kernelAllFinite(new Float64Array(4), 4), null);
});

test('wasm column sums equal the float32 loop exactly (same additions in the same order)', () => {
  const w = wasmKernels(1)!;
  for (const rows of [0, 1, 2, 7]) {
    for (const n of [1, 3, 4, 9, 13]) {
      const r = lcg(rows * 31 + n);
      const g = heapArray(w, Array.from({ length: rows * n }, () => 2 * r() - 1));
      const out = w.heap.allocFloat32(n + 1).fill(42);
      assert.ok(kernelColumnSums(w, g, rows, n, out));
      const loop = new Float32Array(n);
      for (let row = 0; row < rows; row++) for (let j = 0; j < n; j++) loop[j] += g[row * n + j];
      assert.deepEqual(out.subarray(0, n), loop, `rows=${rows} n=${n}`);
      assert.equal(out[n], 42);
    }
  }
  assert.equal(kernelColumnSums(w, new Float32Array(4), 2, 2, w.heap.allocFloat32(2)), false);
});

test('batch norm over features in wasm gives the bits of the TypeScript loops: forward, running averages, backward', () => {
  const w = wasmKernels(1)!;
  const spec = { kind: 'batchnorm', name: 'bn', index: 0, momentum: 0.9, epsilon: 1e-5 } as unknown as BatchNormSpec;
  let used = 0;
  const counting = new Proxy(w, {
    get: (target, key) => {
      const value = Reflect.get(target, key);
      if (key !== 'batchNormForward' && key !== 'batchNormBackward') return value;
      return (...args: unknown[]) => {
        const done = (value as (...a: unknown[]) => boolean)(...args);
        if (done) used++;
        return done;
      };
    },
  });
  for (const n of [1, 2, 7, 33, 256]) {
    for (const batch of [1, 2, 5, 64]) {
      const onWasm = new BatchNormLayer(spec, 0, [n], (m) => w.heap.allocFloat32(m), counting);
      const onLoops = new BatchNormLayer(spec, 0, [n], (m) => new Float32Array(m));
      const r = lcg(n * 97 + batch);
      // features with offsets and spreads of their own, as a dense layer's outputs have
      const x = heapArray(w, Array.from({ length: n * batch }, (_, i) => (i % n) + (1 + (i % 3)) * (4 * r() - 2)));
      const dy = heapArray(w, Array.from({ length: n * batch }, () => r() - 0.5));
      for (const layer of [onWasm, onLoops]) for (let j = 0; j < n; j++) [layer.gamma.value[j], layer.beta.value[j]] = [1 + 0.1 * j, 0.3 - 0.01 * j];
      for (let step = 0; step < 3; step++) {
        const where = `n=${n} batch=${batch} step ${step}`;
        assert.deepEqual(onWasm.forward(x, batch, true), onLoops.forward(x, batch, true), `forward ${where}`);
        assert.deepEqual(onWasm.runningMean, onLoops.runningMean, `running mean ${where}`);
        assert.deepEqual(onWasm.runningVar, onLoops.runningVar, `running variance ${where}`);
        assert.deepEqual(onWasm.backward(dy, batch), onLoops.backward(dy, batch), `input gradient ${where}`);
        assert.deepEqual(onWasm.gamma.grad, onLoops.gamma.grad, `gamma gradient ${where}`);
        assert.deepEqual(onWasm.beta.grad, onLoops.beta.grad, `beta gradient ${where}`);
        assert.deepEqual(onWasm.forward(x, batch, false), onLoops.forward(x, batch, false), `evaluation ${where}`);
        for (const layer of [onWasm, onLoops]) for (let j = 0; j < n; j++) layer.gamma.value[j] += 0.01;
      }
    }
  }
  assert.equal(used, 2 * 3 * 5 * 4, 'every training forward and backward ran in wasm');
  // an array outside kernel memory: the loops
  assert.equal(w.batchNormForward(new Float32Array(4), 2, 2, 1e-5, ...([0, 0, 0, 0].map(() => w.heap.allocFloat32(4)) as [Float32Array, Float32Array, Float32Array, Float32Array]), new Float64Array(2), new Float64Array(2), new Float64Array(2)), false);
});

test('wasm finiteness check finds a NaN or ±Inf at every position and ignores entries past n', () => {
  const w = wasmKernels(1)!;
  for (const n of [1, 4, 5, 9, 17]) {
    const a = heapArray(w, Array.from({ length: n + 1 }, (_, i) => i - 3.5));
    assert.equal(kernelAllFinite(a, n), true);
    a[n] = NaN;
    assert.equal(kernelAllFinite(a, n), true, 'the entry past n is not looked at');
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (let i = 0; i < n; i++) {
        const keep = a[i];
        a[i] = bad;
        assert.equal(kernelAllFinite(a, n), false, `n=${n}: ${bad} at ${i}`);
        a[i] = keep;
      }
    }
  }
});

test('GEMM with the fused bias equals the product plus a bias loop, on 1 and 2 threads', () => {
  for (const threads of [1, 2]) {
    const w = wasmKernels(threads)!;
    for (const [m, n, k] of [[1, 1, 1], [5, 9, 3], [67, 130, 200], [64, 256, 784]] as const) {
      const r = lcg(m + n + k);
      const a = heapArray(w, Array.from({ length: m * k }, () => 2 * r() - 1));
      const b = heapArray(w, Array.from({ length: k * n }, () => 2 * r() - 1));
      const bias = heapArray(w, Array.from({ length: n }, () => 2 * r() - 1));
      const fused = w.heap.allocFloat32(m * n), loop = w.heap.allocFloat32(m * n);
      assert.ok(kernelGemmBias(w, m, n, k, a, b, bias, fused));
      w.gemm(m, n, k, a, b, loop, false);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) loop[i * n + j] += bias[j];
      // One slice of the shared dimension: identical. Deeper products add the bias after the first slice.
      const tol = k <= 256 ? 0 : 1e-5;
      for (let i = 0; i < m * n; i++) assert.ok(Math.abs(fused[i] - loop[i]) <= tol * (1 + Math.abs(loop[i])), `${m}x${n}x${k} [${i}] ${fused[i]} vs ${loop[i]}`);
      assert.equal(kernelGemmBias(w, m, n, k, a, b, new Float32Array(n), fused), false, 'a bias outside kernel memory is declined');
    }
  }
});

test('GEMM with a fused bias per row equals the product plus a bias loop bit for bit, on 1 and 2 threads, and declines deep products', () => {
  for (const threads of [1, 2]) {
    const w = wasmKernels(threads)!;
    // partial tiles both ways, B read in place (up to 16 rows) and packed, and one product large enough to split
    for (const [m, n, k] of [[1, 1, 1], [5, 9, 3], [8, 784, 9], [16, 196, 72], [17, 13, 256], [67, 130, 200]] as const) {
      const r = lcg(m * n + k);
      const a = heapArray(w, Array.from({ length: m * k }, () => 2 * r() - 1));
      const b = heapArray(w, Array.from({ length: k * n }, () => 2 * r() - 1));
      const bias = heapArray(w, Array.from({ length: m }, () => 2 * r() - 1));
      const fused = w.heap.allocFloat32(m * n), loop = w.heap.allocFloat32(m * n);
      assert.ok(kernelGemmRowBias(w, m, n, k, a, b, bias, fused));
      w.gemm(m, n, k, a, b, loop, false);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) loop[i * n + j] += bias[i];
      assert.deepEqual(fused, loop, `${m}x${n}x${k} on ${threads} thread(s)`);
      assert.equal(kernelGemmRowBias(w, m, n, k, a, b, new Float32Array(m), fused), false, 'a bias outside kernel memory is declined');
    }
    const deep = w.heap.allocFloat32(4 * 257);
    assert.equal(kernelGemmRowBias(w, 4, 1, 257, deep, deep, w.heap.allocFloat32(4), w.heap.allocFloat32(4)), false, 'deeper than one slice is declined');
  }
});

test('a large Adam update split over 2 and 3 threads gives the same bits as one thread', async () => {
  const n = 200_003; // above the split size, and not a multiple of the 4 lanes or of a chunk
  const run = async (threads: number) => {
    const w = wasmKernels(threads)!;
    for (let waited = 0; w.activeThreads() < threads && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    assert.equal(w.activeThreads(), threads);
    const r = lcg(99);
    const fill = () => heapArray(w, Array.from({ length: n }, () => 2 * r() - 1));
    const weights = fill(), grad = fill(), m = w.heap.allocFloat32(n), v = w.heap.allocFloat32(n);
    let sum = 0;
    for (let step = 1; step <= 3; step++) sum = w.adam(weights, grad, m, v, 0.9, 0.999, 1e-3 / (1 - 0.9 ** step), 1 / Math.sqrt(1 - 0.999 ** step), 1e-7)!;
    return { weights, m, v, sum };
  };
  const one = await run(1);
  for (const threads of [2, 3]) {
    const split = await run(threads);
    for (const key of ['weights', 'm', 'v'] as const) {
      const at = split[key].findIndex((x, i) => !Object.is(x, one[key][i]));
      assert.equal(at, -1, `${threads} threads: ${key} differ first at ${at}: ${split[key][at]} vs ${one[key][at]}`);
    }
    // Σw is only summed in another order (it serves as a finiteness check).
    assert.ok(Math.abs(split.sum - one.sum) <= 1e-3 * (1 + Math.abs(one.sum)), `Σw ${split.sum} vs ${one.sum}`);
  }
});

test('batch gather through wasm (float64 rows staged, rounded to float32 in SIMD) equals the TS loop bit for bit', () => {
  const w = wasmKernels(1)!;
  // values that round in every way: ties, past float32's range (±Inf), subnormals, -0, NaN
  const special = [1 + 2 ** -24, 1 + 3 * 2 ** -24, -(1 + 2 ** -24), 3.4028235677973366e38, 1e39, -1e39, 1e-40, -1e-45, 1e-46, -0, NaN, Math.PI];
  // every tail length past whole v128 groups (64 to 67), and an MNIST row
  for (const width of [64, 65, 66, 67, 784]) {
    const n = 9;
    const r = lcg(width);
    const x = Float64Array.from({ length: n * width }, (_, i) => (i < special.length ? special[i] : (r() - 0.5) * 10 ** Math.floor(8 * r() - 4)));
    const split = { n, x, labels: Int32Array.from({ length: n }, (_, i) => i % 3), targets: new Float64Array(0) };
    const order = Int32Array.from([4, 0, 8, 8, 2, 7, 1, 3, 6, 5]);
    for (const [start, batch] of [[0, 9], [3, 5], [9, 1]]) {
      const got = w.heap.allocFloat32(batch * width);
      const want = new Float32Array(batch * width);
      const y = () => new Float32Array(batch * 3);
      gatherBatch(split, 'classification', width, 3, order, start, batch, got, y(), new Int32Array(batch), w);
      gatherBatch(split, 'classification', width, 3, order, start, batch, want, y(), new Int32Array(batch), null);
      assert.ok(kernelGatherRows(w, x, order, start, batch, width, got), 'the wasm gather should take kernel memory');
      assert.deepEqual(new Uint32Array(got.buffer, got.byteOffset, got.length), new Uint32Array(want.buffer), `width ${width}, rows from ${start}`);
    }
  }
  assert.equal(kernelGatherRows(w, new Float64Array(128), Int32Array.from([0, 1]), 0, 2, 64, new Float32Array(128)), false, 'a plain array is not kernel memory');
  assert.equal(kernelGatherRows(w, new Float64Array(8), Int32Array.from([0, 1]), 0, 2, 4, w.heap.allocFloat32(8)), false, 'narrow rows are left to the loop');
});
