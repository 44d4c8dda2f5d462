// The per-layer statistics behind the probes, on hand-made buffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadRatio, saturationRatio, countNonFinite, meanStd, l2Norm } from '../../src/engine/probes/layer-stats';
import { HISTOGRAM_BINS, HISTOGRAM_EDGES, accumulateHistogram } from '../../src/engine/probes/histogram';

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
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  accumulateHistogram(Float64Array.from([0, -1e-12, 1e-10, 5e-10, 1e-3, -0.5, 1e2, 1e9, NaN, Infinity]), counts);
  assert.equal(counts[0], 2);
  assert.equal(counts[1], 2); // [1e-10, 1e-9)
  assert.equal(counts[8], 1); // [1e-3, 1e-2)
  assert.equal(counts[10], 1); // [1e-1, 1)
  assert.equal(counts[HISTOGRAM_BINS - 1], 2); // >= 1e2
  assert.equal(counts.reduce((a, b) => a + b, 0), 8);
});

test('norms, moments and non-finite counts', () => {
  assert.equal(l2Norm(Float64Array.from([3, 4])), 5);
  assert.deepEqual(meanStd(Float64Array.from([1, 3])), { mean: 2, std: 1 });
  assert.equal(countNonFinite(Float64Array.from([1, NaN, -Infinity, 2])), 2);
  assert.equal(countNonFinite(null), 0);
});
