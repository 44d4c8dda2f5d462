// The wasm path's plumbing: the embedded module is what scripts/build-wasm.js generates today, the heap
// keeps earlier views valid while it grows, and selection picks the right path per dtype.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { WasmHeap } from '../../src/engine/kernels/wasm-heap';
import { allocKernelBuffer, availableKernels, kernelAdamStep, kernelGather, kernelGatherDiff, kernelMoments, kernelSumSquaredDiff, kernelSumSquares, selectKernels, wasmKernels } from '../../src/engine/kernels/select';

const require = createRequire(__filename);

test('src/engine/kernels/wasm-bytes.ts is up to date with scripts/build-wasm.js', async () => {
  const { buildWasmSource, OUT } = require('../../scripts/build-wasm.js') as { buildWasmSource(): Promise<string>; OUT: string };
  assert.equal(readFileSync(OUT, 'utf8'), await buildWasmSource(), 'run: node scripts/build-wasm.js');
});

test('heap growth keeps earlier views valid and owned', () => {
  const heap = new WasmHeap(1);
  const first = heap.allocFloat32(1000);
  first.fill(3);
  const big = heap.allocFloat32(5_000_000); // forces several pages of growth
  big[big.length - 1] = 7;
  assert.equal(first[999], 3);
  assert.ok(heap.owns(first) && heap.owns(big));
  assert.equal(heap.f32[(first.byteOffset >> 2) + 999], 3);
  assert.equal(heap.f32[(big.byteOffset >> 2) + big.length - 1], 7);
  assert.ok(!heap.owns(new Float32Array(4)));
  assert.equal(first.byteOffset % 16, 0);
});

test('heap allocations start zeroed and exhaustion is a RangeError, not a silent wrap', () => {
  const heap = new WasmHeap(1);
  const a = heap.allocFloat32(50_000);
  assert.ok(a.every((v) => v === 0));
  assert.throws(() => heap.alloc(2 ** 31), RangeError);
  const b = heap.allocFloat32(10);
  assert.ok(b.byteOffset >= a.byteOffset + a.byteLength, 'a failed allocation must not move the top');
});

test('wasm Adam matches a float64 loop on an odd length, reports non-finite updates, refuses foreign arrays', () => {
  const w = wasmKernels()!;
  const n = 1027; // 256 SIMD quads and a 3-element scalar tail
  const [wt, g, m, v] = [0, 1, 2, 3].map(() => w.heap.allocFloat32(n));
  const ref = { w: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n) };
  for (let i = 0; i < n; i++) wt[i] = ref.w[i] = Math.fround(Math.cos(i));
  const [b1, b2, lr, eps] = [0.9, 0.999, 0.01, 1e-7];
  for (let t = 1; t <= 5; t++) {
    for (let i = 0; i < n; i++) g[i] = Math.sin(i * t) * 0.1;
    const stepSize = lr / (1 - b1 ** t), ic2 = 1 / Math.sqrt(1 - b2 ** t);
    let refSum = 0;
    for (let i = 0; i < n; i++) {
      ref.m[i] = b1 * ref.m[i] + (1 - b1) * g[i];
      ref.v[i] = b2 * ref.v[i] + (1 - b2) * g[i] * g[i];
      ref.w[i] -= (stepSize * ref.m[i]) / (Math.sqrt(ref.v[i]) * ic2 + eps);
      refSum += ref.w[i];
    }
    const sum = w.adam(wt, g, m, v, b1, b2, stepSize, ic2, eps)!;
    assert.ok(Math.abs(sum - refSum) < 1e-3, `step ${t}: Σw ${sum} vs ${refSum}`);
  }
  for (let i = 0; i < n; i++) assert.ok(Math.abs(wt[i] - ref.w[i]) < 1e-5, `w[${i}] ${wt[i]} vs ${ref.w[i]}`);
  g[n - 1] = NaN;
  assert.ok(Number.isNaN(w.adam(wt, g, m, v, b1, b2, lr, 1, eps)), 'a NaN in the tail must show in the sum');
  g[n - 1] = 0;
  g[5] = Infinity;
  assert.ok(!Number.isFinite(w.adam(wt, g, m, v, b1, b2, lr, 1, eps)!), 'an Infinity in the SIMD body must show in the sum');
  assert.equal(w.adam(new Float32Array(n), g, m, v, b1, b2, lr, 1, eps), null);
  assert.equal(kernelAdamStep(availableKernels('float32')[1], wt, g, m, v, b1, b2, lr, 1, eps), null, 'not on the TS path');
  assert.equal(kernelAdamStep(w, wt, g, m, new Float64Array(n), b1, b2, lr, 1, eps), null, 'not with float64 moments');
  g[5] = 0;
  assert.ok(Number.isFinite(kernelAdamStep(w, wt.fill(0.5), g, m.fill(0), v.fill(0), b1, b2, lr, 1, eps)!));
});

test('wasm sum of squares matches a float64 loop, propagates NaN, refuses foreign arrays', () => {
  const w = wasmKernels()!;
  for (const n of [0, 1, 3, 4, 5, 1031]) {
    const a = w.heap.allocFloat32(n);
    let ref = 0;
    for (let i = 0; i < n; i++) {
      a[i] = Math.sin(i + 1) * (i % 7);
      ref += Math.fround(a[i] * a[i]);
    }
    const got = kernelSumSquares(w, a)!;
    assert.ok(Math.abs(got - ref) <= 1e-12 * Math.max(1, ref), `n=${n}: ${got} vs ${ref}`);
    if (n > 0) {
      a[n - 1] = NaN;
      assert.ok(Number.isNaN(kernelSumSquares(w, a)));
    }
  }
  assert.equal(kernelSumSquares(w, new Float32Array(8)), null);
  assert.equal(kernelSumSquares(availableKernels('float32')[1], w.heap.allocFloat32(8)), null);
});

test('wasm moments and squared differences match float64 loops on every tail length, propagate NaN, refuse foreign arrays', () => {
  const w = wasmKernels()!;
  const out = new Float64Array(2);
  for (const n of [0, 1, 3, 4, 5, 1031]) {
    const a = w.heap.allocFloat32(n);
    const b = w.heap.allocFloat32(n);
    let sum = 0, squares = 0, diff = 0;
    for (let i = 0; i < n; i++) {
      a[i] = Math.sin(i + 1) * (i % 7) - 1.5;
      b[i] = a[i] + Math.cos(i) * 1e-3;
      sum += a[i];
      squares += a[i] * a[i];
      const d = Math.fround(a[i] - b[i]);
      diff += d * d;
    }
    assert.ok(kernelMoments(w, a, out));
    assert.ok(Math.abs(out[0] - sum) <= 1e-12 * Math.max(1, Math.abs(sum)) && Math.abs(out[1] - squares) <= 1e-12 * Math.max(1, squares), `n=${n}: ${out} vs ${sum}, ${squares}`);
    const got = kernelSumSquaredDiff(w, a, b)!;
    assert.ok(Math.abs(got - diff) <= 1e-12 * Math.max(1e-9, diff), `n=${n}: ${got} vs ${diff}`);
    if (n > 0) {
      b[n - 1] = NaN; // in the scalar tail or the SIMD body, depending on n
      assert.ok(Number.isNaN(kernelSumSquaredDiff(w, a, b)));
      a[n - 1] = Infinity;
      assert.ok(kernelMoments(w, a, out) && !Number.isFinite(out[0]) && !Number.isFinite(out[1]));
    }
  }
  // a shorter `b` (a copy of the first entries) reads only its own length of `a`
  const a = w.heap.allocFloat32(9).fill(2);
  assert.equal(kernelSumSquaredDiff(w, a, w.heap.allocFloat32(5)), 20);
  assert.equal(kernelMoments(w, new Float32Array(8), out), false);
  assert.equal(kernelMoments(availableKernels('float32')[1], a, out), false);
  assert.equal(kernelSumSquaredDiff(w, a, new Float32Array(4)), null);
  assert.equal(kernelSumSquaredDiff(w, w.heap.allocFloat32(2), w.heap.allocFloat32(4)), null, 'b longer than a');
});

test('wasm gather and gathered differences match scalar loops, propagate NaN, refuse foreign or short arrays', () => {
  const w = wasmKernels()!;
  const n = 1000;
  const src = w.heap.allocFloat32(n);
  for (let i = 0; i < n; i++) src[i] = Math.cos(i * 0.7) * (1 + i / 100);
  const idx = w.heap.allocInt32(37);
  for (let k = 0; k < idx.length; k++) idx[k] = (k * 263) % n;
  const dst = w.heap.allocFloat32(idx.length);
  assert.ok(kernelGather(w, src, idx, dst));
  assert.deepEqual(Array.from(dst), Array.from(idx, (i) => src[i]));
  for (let k = 0; k < dst.length; k++) dst[k] += k % 3 === 0 ? 1e-3 : 0;
  let d = 0, b = 0;
  for (let k = 0; k < idx.length; k++) {
    d += (src[idx[k]] - dst[k]) ** 2;
    b += dst[k] ** 2;
  }
  const out = new Float64Array(2);
  assert.ok(kernelGatherDiff(w, src, idx, dst, out));
  assert.ok(Math.abs(out[0] - d) <= 1e-12 * d && Math.abs(out[1] - b) <= 1e-12 * b, `${out} vs ${d}, ${b}`);
  src[idx[5]] = NaN;
  assert.ok(kernelGatherDiff(w, src, idx, dst, out) && Number.isNaN(out[0]));
  assert.equal(kernelGather(w, src, Int32Array.from(idx), dst), false, 'indices outside kernel memory');
  assert.equal(kernelGather(w, src, idx, w.heap.allocFloat32(3)), false, 'destination too short');
  assert.equal(kernelGatherDiff(w, new Float32Array(n), idx, dst, out), false);
  assert.equal(kernelGather(availableKernels('float32')[1], src, idx, dst), false);
});

test('float32 selects wasm-simd, float64 the tiled TS path', () => {
  assert.match(selectKernels('float32', 1).name, new RegExp(`^${process.env.NN_DEBUGGER_KERNELS ?? 'wasm-'}`));
  if (!process.env.NN_DEBUGGER_KERNELS) assert.equal(selectKernels('float64').name, 'js-tiled');
  assert.deepEqual(availableKernels('float64').map((k) => k.name), ['js-tiled', 'js-reference']);
});

test('kernel buffers live in wasm memory only for the wasm path', () => {
  const w = wasmKernels()!;
  assert.ok(w.heap.owns(allocKernelBuffer(w, 'float32', 10) as Float32Array));
  assert.ok(allocKernelBuffer(availableKernels('float64')[0], 'float64', 10) instanceof Float64Array);
  assert.ok(!w.heap.owns(allocKernelBuffer(availableKernels('float32')[1], 'float32', 10) as Float32Array));
});
