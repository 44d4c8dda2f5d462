// Layer behaviour beyond gradients: batch-norm running statistics and evaluation mode, what layer and group
// norm normalise over, softmax rows, and which loss/output pairs are fused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerSpec } from '../../src/engine/spec/model-spec';
import { buildModel } from '../../src/engine/layers/build';
import { referenceKernels } from '../../src/engine/kernels/reference';
import { Rng } from '../../src/engine/rng';
import { planLoss } from '../../src/engine/train/losses';
import { act, batchnorm, dense, groupnorm, layernorm, makeSpec } from './engine-helpers';

const one = (spec: LayerSpec, width: number) => buildModel(makeSpec({ layers: [spec] }), width, width, 'float64', new Rng(1), referenceKernels)[0];
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test('batchnorm updates running statistics with momentum and uses them in evaluation', () => {
  const bn = one(batchnorm({ momentum: 0.9, epsilon: 1e-3 }), 2);
  // Feature 0: 1, 3, 5, 7 (mean 4, biased var 5, unbiased 20/3); feature 1: constant 2.
  const x = Float64Array.from([1, 2, 3, 2, 5, 2, 7, 2]);
  const y = bn.forward(x, 4, true);
  close(y[0], (1 - 4) / Math.sqrt(5 + 1e-3));
  close(y[1], 0);
  const [mean, variance] = bn.state.map((s) => s.value);
  close(mean[0], 0.1 * 4);
  close(variance[0], 0.9 + 0.1 * (20 / 3));
  close(mean[1], 0.2);
  close(variance[1], 0.9);
  bn.params[0].value[0] = 2; // gamma
  bn.params[1].value[0] = 0.5; // beta
  const e = bn.forward(Float64Array.from([3, 2]), 1, false);
  close(e[0], (2 * (3 - mean[0])) / Math.sqrt(variance[0] + 1e-3) + 0.5);
  // Evaluation leaves the running statistics alone.
  close(mean[0], 0.4);
});

test('layernorm normalises each sample over all its features; groupnorm over each group', () => {
  const x = Float64Array.from([1, 2, 3, 4, 10, 20, 30, 40]);
  const ln = one(layernorm(), 4).forward(x, 2, true);
  for (let r = 0; r < 2; r++) {
    const row = Array.from(ln.subarray(r * 4, r * 4 + 4));
    close(row.reduce((a, b) => a + b, 0) / 4, 0);
    close(row.reduce((a, b) => a + b * b, 0) / 4, 1, 1e-4);
  }
  const gn = one(groupnorm(2), 4).forward(x, 2, true);
  // Groups {1, 2} and {3, 4}: each normalises to (-1, 1), whatever its scale.
  Array.from(gn).forEach((v, i) => close(v, i % 2 === 0 ? -1 : 1, 1e-3));
});

test('softmax rows are probabilities, even for huge logits', () => {
  const out = one(act('softmax'), 3).forward(Float64Array.from([1, 2, 3, 1000, 0, -1000]), 2, false);
  close(out[0] + out[1] + out[2], 1);
  assert.ok(out[2] > out[1] && out[1] > out[0]);
  assert.deepEqual(Array.from(out.subarray(3)), [1, 0, 0]);
});

test('only softmax + softmax-cross-entropy and sigmoid + binary-cross-entropy are fused', () => {
  const plan = (layers: LayerSpec[], loss: Parameters<typeof planLoss>[0]) =>
    planLoss(loss, buildModel(makeSpec({ layers, loss }), 2, 2, 'float64', new Rng(1), referenceKernels)).fused;
  assert.equal(plan([dense(2), act('softmax')], 'softmax-cross-entropy'), true);
  assert.equal(plan([dense(2), act('sigmoid')], 'binary-cross-entropy'), true);
  assert.equal(plan([dense(2)], 'softmax-cross-entropy'), false);
  assert.equal(plan([dense(2), act('sigmoid')], 'softmax-cross-entropy'), false);
  assert.equal(plan([dense(2), act('softmax')], 'mse'), false);
  assert.equal(plan([dense(2), act('softmax'), act('linear')], 'softmax-cross-entropy'), false);
});
