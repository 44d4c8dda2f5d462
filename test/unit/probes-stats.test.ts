// The per-layer statistics behind the probes, on hand-made buffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadRatio, saturationRatio, countNonFinite, outputStats, l2Norm, mainNorms, copyWeights, updateRatio, sumSquares64 } from '../../src/engine/probes/layer-stats';
import { sumSquares } from '../../src/engine/train/clipping';
import { allocKernelBuffer, wasmKernels } from '../../src/engine/kernels/select';
import { HISTOGRAM_BINS, HISTOGRAM_EDGES, HISTOGRAM_SAMPLE, RATIO_SAMPLE, binOf, gradientHistogram, sampleIndices } from '../../src/engine/probes/histogram';

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
