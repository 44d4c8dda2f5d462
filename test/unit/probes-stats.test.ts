// The per-layer statistics behind the probes, on hand-made buffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchNormStats, deadRatio, saturationRatio, countNonFinite, outputStats, l2Norm, mainNorms, copyWeights, updateRatio, sumSquares64 } from '../../src/engine/probes/layer-stats';
import { BatchNormLayer } from '../../src/engine/layers/normalization';
import type { BatchNormSpec } from '../../src/engine/spec/model-spec';
import { sumSquares } from '../../src/engine/train/clipping';
import { allocKernelBuffer, kernelBinCounts, kernelCopy, kernelDeadUnits, kernelIndexBuffer, wasmKernels } from '../../src/engine/kernels/select';
import { HISTOGRAM_BINS, HISTOGRAM_EDGES } from '../../src/shared/histogram-edges';
import { HISTOGRAM_SAMPLE, RATIO_SAMPLE, binOf, gradientHistogram, sampleIndices, type BinCounter } from '../../src/engine/probes/histogram';

test('dead units: ReLU needs a positive input somewhere in the batch, ReLU6 one strictly inside (0, 6)', () => {
  // 3 samples x 4 units, row-major
  const x = Float64Array.from([
    -1, 2, 0, 7,
    -2, -1, 0, 8,
    -3, -1, 0, 9,
  ]);
  assert.equal(deadRatio('relu', x, 4), 2 / 4); // units 0 and 2 never positive
  assert.equal(deadRatio('leaky-relu', x, 4), 2 / 4);
  assert.equal(deadRatio('relu6', x, 4), 3 / 4); // unit 3 is stuck at 6 as well
});

test('dead units in wasm (four units at a time, then the tail) match the scalar loop for every ReLU kind', () => {
  const kernels = wasmKernels(1)!;
  for (const [rows, units] of [[9, 13], [1, 4], [5, 3], [32, 64]]) {
    const x = allocKernelBuffer(kernels, 'float32', rows * units) as Float32Array;
    for (let i = 0; i < x.length; i++) {
      const unit = i % units;
      const row = Math.floor(i / units);
      // unit kinds by unit mod 6: never positive, positive only in the last row, random, NaN-laced, at 6, at 0 or 6
      const r = Math.sin(i * 7.31) * 3;
      x[i] = [-Math.abs(r), row === rows - 1 ? 0.5 : -1, r, row % 2 ? NaN : -r, 6, row % 2 ? 6 : 0][unit % 6];
    }
    const plain = Float32Array.from(x);
    for (const kind of ['relu', 'leaky-relu', 'relu6']) {
      assert.equal(deadRatio(kind, x, units, kernels), deadRatio(kind, plain, units), `${kind} ${rows}x${units}`);
    }
    assert.notEqual(kernelDeadUnits(kernels, x, rows, units, 0, NaN), null, 'kernel memory runs in wasm');
    assert.equal(kernelDeadUnits(kernels, plain, rows, units, 0, NaN), null, 'a plain array does not');
  }
});

test('the weights kept for the update ratio are copied in wasm when both tensors are kernel memory', () => {
  const kernels = wasmKernels(1)!;
  const w = allocKernelBuffer(kernels, 'float32', 37) as Float32Array;
  w.forEach((_, i) => (w[i] = Math.cos(i)));
  const kept = allocKernelBuffer(kernels, 'float32', 37) as Float32Array;
  copyWeights(w, null, kept, kernels);
  assert.deepEqual(Array.from(kept), Array.from(w));
  assert.equal(kernelCopy(kernels, w, new Float32Array(37)), false, 'a destination outside kernel memory');
  assert.equal(kernelCopy(kernels, w, allocKernelBuffer(kernels, 'float32', 36)), false, 'a short destination');
  const plain = new Float32Array(37);
  copyWeights(w, null, plain, kernels);
  assert.deepEqual(Array.from(plain), Array.from(w), 'falls back to a typed-array copy');
});

test('saturation: sigmoid outputs within 0.01 of 0 or 1, tanh beyond +-0.99', () => {
  assert.equal(saturationRatio('sigmoid', Float64Array.from([0.001, 0.5, 0.995, 0.2])), 0.5);
  assert.equal(saturationRatio('tanh', Float64Array.from([-0.999, 0.5, 0.995, 0.2])), 0.5);
});

test('histogram: zeros in bin 0, log-spaced bins, large values in the last bin, non-finite skipped', () => {
  assert.equal(HISTOGRAM_BINS, HISTOGRAM_EDGES.length + 1);
  const counts = gradientHistogram(Float64Array.from([0, -1e-12, 1e-10, 5e-10, 1e-3, -0.5, 1e2, 1e9, NaN, Infinity]));
  assert.equal(counts[0], 2);
  assert.equal(counts[1], 2); // [1e-10, 1e-9)
  assert.equal(counts[8], 1); // [1e-3, 1e-2)
  assert.equal(counts[10], 1); // [1e-1, 1)
  assert.equal(counts[HISTOGRAM_BINS - 1], 2); // >= 1e2
  assert.equal(counts.reduce((a, b) => a + b, 0), 8);
  for (let k = 0; k < HISTOGRAM_EDGES.length; k++) assert.equal(binOf(HISTOGRAM_EDGES[k]), k + 1, 'an edge opens its bin');
});

test('histogram of a large tensor: a spread sample that sees every part of a periodic tensor, counts summing to its size', () => {
  const n = HISTOGRAM_SAMPLE * 5 + 3;
  const g = new Float32Array(n).map((_, i) => (i % 2 ? 2e-4 : 0.5));
  const counts = gradientHistogram(g);
  assert.ok(Math.abs(counts.reduce((a, b) => a + b, 0) - n) < 1e-6 * n);
  assert.ok(Math.abs(counts[7] - n / 2) < n * 0.01 && Math.abs(counts[10] - n / 2) < n * 0.01, counts.join());
});

test('histogram in wasm: the same counts as the scalar binning, around every edge, on subnormals, NaN and Inf, whole or sampled', () => {
  const kernels = wasmKernels(1);
  assert.ok(kernels, 'wasm SIMD is available on Node 20');
  const values: number[] = [0, -0, 1e-45, 1e-40, 1.17e-38, 3e38, -3e38, NaN, Infinity, -Infinity];
  for (const e of HISTOGRAM_EDGES) {
    const f = Math.fround(e);
    // the float32 nearest the edge and its neighbours fall on either side of the float64 edge
    for (const x of [f, f * (1 - 2 ** -23), f * (1 + 2 ** -23), e * 0.5, e * 2, -f]) values.push(x);
  }
  const rng = (i: number) => Math.sin(i * 12.9898) * 43758.5453 % 1;
  for (let i = 0; i < 3000; i++) values.push(rng(i) * 10 ** (rng(i + 7e5) * 16 - 12));
  const inKernel = allocKernelBuffer(kernels, 'float32', values.length) as Float32Array;
  inKernel.set(values);
  const plain = Float32Array.from(values);
  let used = 0;
  const wasm: BinCounter = (v, s, edges, bins) => kernelBinCounts(kernels, v, s, edges, bins) && ++used > 0;
  assert.deepEqual(gradientHistogram(inKernel, null, wasm), gradientHistogram(plain, null));
  const sample = sampleIndices(values.length, HISTOGRAM_SAMPLE)!;
  assert.deepEqual(gradientHistogram(inKernel, kernelIndexBuffer(kernels, sample), wasm), gradientHistogram(plain, sample));
  assert.equal(used, 2, 'both ran in wasm');
  // a sample outside kernel memory falls back to the scalar loop with the same result
  assert.deepEqual(gradientHistogram(inKernel, sample, wasm), gradientHistogram(plain, sample));
  assert.equal(used, 2);
});

test('batch-norm statistics: the batch moments the layer normalised with against its running ones, for features and channels', () => {
  const eps = 1e-3;
  for (const shape of [[7], [3, 2, 2]]) {
    const spec = { kind: 'batchnorm', name: 'bn', momentum: 0.9, epsilon: eps } as BatchNormSpec;
    const layer = new BatchNormLayer(spec, 0, shape, (m) => new Float64Array(m));
    const n = shape[0];
    const size = layer.inputSize;
    const spatial = size / n;
    const rows = 5;
    for (let j = 0; j < n; j++) [layer.gamma.value[j], layer.beta.value[j]] = [[1, -0.5, 2, 0.25, 1, 1, 3][j], [0, 1, 0, 0, 0, 0, 1][j]];
    const input = Float64Array.from({ length: rows * size }, (_, i) => Math.sin(i * 1.3) * (1 + (i % size)));
    assert.equal(batchNormStats(layer, layer.gamma, layer.beta), null, 'no batch seen yet');
    layer.forward(input, rows, true);
    const rm = Array.from(layer.runningMean);
    const rv = Array.from(layer.runningVar);
    let shift = 0, ratio = 0, bm = 0, bv = 0;
    for (let j = 0; j < n; j++) {
      const values = Array.from({ length: rows * spatial }, (_, k) => input[Math.floor(k / spatial) * size + j * spatial + (k % spatial)]);
      const m = values.reduce((a, b) => a + b, 0) / values.length;
      const v = values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length;
      shift += Math.abs(m - rm[j]) / Math.sqrt(rv[j] + eps);
      ratio += (v + eps) / (rv[j] + eps);
      bm += m;
      bv += v;
    }
    const got = batchNormStats(layer, layer.gamma, layer.beta)!;
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${shape} ${what}: ${a} vs ${b}`);
    close(got.meanShift, shift / n, 'mean shift');
    close(got.varRatio, ratio / n, 'variance ratio');
    close(got.batchMean, bm / n, 'batch mean');
    close(got.batchVar, bv / n, 'batch variance');
    close(got.runningMean, rm.reduce((a, b) => a + b, 0) / n, 'running mean');
    close(got.runningVar, rv.reduce((a, b) => a + b, 0) / n, 'running variance');
    const gamma = Array.from(layer.gamma.value);
    assert.equal(got.gammaMinAbs, Math.min(...gamma.map(Math.abs)));
    close(got.gammaMean, gamma.reduce((a, b) => a + b, 0) / n, 'gamma mean');
    close(got.betaMean, Array.from(layer.beta.value).reduce((a, b) => a + b, 0) / n, 'beta mean');
    // an evaluation forward leaves the last training batch's moments
    layer.forward(input.map((v) => v + 100), rows, false);
    close(batchNormStats(layer, layer.gamma, layer.beta)!.batchMean, bm / n, 'batch mean after an evaluation forward');
  }
});

test('weight/gradient norms: exact, non-finite gradient entries counted and left out', () => {
  assert.deepEqual(mainNorms(Float32Array.from([3, NaN, 4]), Float32Array.from([0, 3, 4]), sumSquares64), { gradNorm: 5, weightNorm: 5, nonFinite: 1 });
  // a large tensor in kernel memory, summed by the SIMD kernel: exact up to float32 squares
  const kernels = wasmKernels(1);
  const n = RATIO_SAMPLE * 30 + 7;
  const grad = kernels ? allocKernelBuffer(kernels, 'float32', n) : new Float32Array(n);
  const value = kernels ? allocKernelBuffer(kernels, 'float32', n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    grad[i] = Math.sin(i) * (1 + (i % 256) / 64);
    value[i] = Math.cos(i * 0.37);
  }
  const m = mainNorms(grad, value, (a) => sumSquares(a, kernels));
  assert.ok(Math.abs(m.gradNorm / l2Norm(grad) - 1) < 1e-6, `grad norm ${m.gradNorm} vs ${l2Norm(grad)}`);
  assert.ok(Math.abs(m.weightNorm / l2Norm(value) - 1) < 1e-6);
  grad[n - 1] = Infinity;
  const bad = mainNorms(grad, value, (a) => sumSquares(a, kernels));
  assert.equal(bad.nonFinite, 1);
  assert.ok(Math.abs(bad.gradNorm / Math.sqrt(sumSquares64(grad.subarray(0, n - 1))) - 1) < 1e-12);
});

test('update ratio: exact over small tensors, over the copied sample on large ones', () => {
  const w = Float32Array.from([3, 4, 0]);
  const before = new Float64Array(3);
  copyWeights(w, null, before);
  assert.deepEqual(Array.from(before), [3, 4, 0]);
  w.set([3, 4.5, 1.2]);
  const r = updateRatio(w, null, before);
  assert.ok(Math.abs(r.ratio! - Math.hypot(0.5, 1.2) / 5) < 1e-7 && r.finite);
  const n = RATIO_SAMPLE * 3 + 1;
  const big = new Float64Array(n).map((_, i) => Math.cos(i));
  const sample = sampleIndices(n, RATIO_SAMPLE)!;
  const copy = new Float64Array(sample.length);
  copyWeights(big, sample, copy);
  assert.equal(copy[100], big[sample[100]]);
  for (let i = 0; i < n; i++) big[i] *= 1.01;
  assert.ok(Math.abs(updateRatio(big, sample, copy).ratio! - 0.01) < 1e-12);
  big[sample[7]] = NaN;
  assert.equal(updateRatio(big, sample, copy).finite, false);
  assert.equal(updateRatio(new Float64Array(2), null, new Float64Array(2)).ratio, null);
  // in kernel memory the sample is gathered and compared in wasm, to the same ratio
  const kernels = wasmKernels(1)!;
  const live = allocKernelBuffer(kernels, 'float32', n);
  live.set(Float32Array.from(big, (x) => (Number.isNaN(x) ? 0.5 : x)));
  const inHeap = kernelIndexBuffer(kernels, sample);
  const kept = allocKernelBuffer(kernels, 'float32', sample.length);
  copyWeights(live, inHeap, kept, kernels);
  assert.deepEqual(Array.from(kept.subarray(0, 50)), Array.from(sample.subarray(0, 50), (i) => live[i]));
  for (let i = 0; i < n; i++) live[i] *= 0.98;
  const scalar = updateRatio(live, sample, Float64Array.from(kept));
  const wasm = updateRatio(live, inHeap, kept, null, kernels);
  assert.ok(Math.abs(wasm.ratio! - scalar.ratio!) < 1e-9 && Math.abs(wasm.ratio! - 0.02) < 1e-6 && wasm.finite, `${wasm.ratio} vs ${scalar.ratio}`);
});

test('norms, moments and non-finite counts', () => {
  assert.equal(l2Norm(Float64Array.from([3, 4])), 5);
  assert.deepEqual(outputStats(Float64Array.from([1, 3, NaN])), { mean: 2, std: 1, nonFinite: 1 });
  for (const [xs, bad] of [[[1, 3, 2], 0], [[Infinity, 1, 3, -Infinity, 2], 2]] as const) {
    const st = outputStats(Float64Array.from(xs));
    assert.equal(st.mean, 2);
    assert.ok(Math.abs(st.std - Math.sqrt(2 / 3)) < 1e-12, `${st.std}`);
    assert.equal(st.nonFinite, bad);
  }
  assert.equal(countNonFinite(Float64Array.from([1, NaN, -Infinity, 2])), 2);
  assert.equal(countNonFinite(null), 0);
});
