// Optimisers, schedules, clipping and initialisers against hand-computed reference values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Param } from '../../src/engine/layers/layer';
import type { InitKind, OptimizerSpec } from '../../src/engine/spec/model-spec';
import { createOptimizer } from '../../src/engine/train/optimizers';
import { learningRateAt } from '../../src/engine/train/schedules';
import { GradientClipper } from '../../src/engine/train/clipping';
import { initialize } from '../../src/engine/layers/init';
import { buildModel } from '../../src/engine/layers/build';
import { referenceKernels } from '../../src/engine/kernels/reference';
import { Rng } from '../../src/engine/rng';
import { act, dense, init, makeSpec } from './engine-helpers';

function param(values: number[]): Param {
  return { id: 'p.weight', role: 'weight', value: Float64Array.from(values), grad: new Float64Array(values.length), shape: [1, values.length], l1: 0, l2: 0 };
}

const GRADS = [
  [0.5, -1],
  [-0.2, 3],
  [0.1, 0.1],
];

// Expected weights after each of three steps from w = [1, -2] with GRADS, worked out by hand from the
// update rules in optimizers.ts (values rounded to 12 digits).
const REFERENCE: [string, OptimizerSpec, number[][]][] = [
  ['sgd', { type: 'sgd', lr: 0.1, momentum: 0, nesterov: false }, [[0.95, -1.9], [0.97, -2.2], [0.96, -2.21]]],
  ['sgd + momentum', { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false }, [[0.95, -1.9], [0.925, -2.11], [0.8925, -2.309]]],
  ['sgd + nesterov', { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, [[0.905, -1.81], [0.9025, -2.299], [0.86325, -2.4881]]],
  ['adagrad', { type: 'adagrad', lr: 0.1, epsilon: 1e-10 }, [[0.90000000002, -1.90000000001], [0.937139067649, -1.994868329812], [0.918881649068, -1.998029027518]]],
  ['rmsprop', { type: 'rmsprop', lr: 0.01, decay: 0.99, epsilon: 1e-8 }, [[0.90000002, -1.90000001], [0.937300205373, -1.994915806572], [0.918877003021, -1.998093999051]]],
  ['adam', { type: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, [[0.900000002, -1.900000001], [0.865439418117, -1.949418984109], [0.827500240836, -1.989621100925]]],
];

for (const [name, spec, expected] of REFERENCE) {
  test(`optimiser ${name} matches hand-computed steps`, () => {
    const p = param([1, -2]);
    const opt = createOptimizer(spec, [p]);
    GRADS.forEach((g, t) => {
      p.grad.set(g);
      opt.step(spec.lr);
      expected[t].forEach((w, i) => assert.ok(Math.abs(p.value[i] - w) < 1e-11, `step ${t + 1}[${i}]: ${p.value[i]} vs ${w}`));
    });
  });
}

test('schedules match hand-computed learning rates', () => {
  const at = (s: Parameters<typeof learningRateAt>[0], epochs: number[]) => epochs.map((e) => learningRateAt(s, 0.1, e, 4));
  assert.deepEqual(at({ type: 'constant' }, [0, 3]), [0.1, 0.1]);
  assert.deepEqual(at({ type: 'step', every: 2, factor: 0.5 }, [0, 1, 2, 3, 4]), [0.1, 0.1, 0.05, 0.05, 0.025]);
  const exp = at({ type: 'exponential', gamma: 0.9 }, [0, 1, 2]);
  [0.1, 0.09, 0.081].forEach((v, i) => assert.ok(Math.abs(exp[i] - v) < 1e-15));
  const cos = at({ type: 'cosine', minLr: 0.01 }, [0, 1, 2, 4]);
  // minLr + (lr - minLr)(1 + cos(π e / 4)) / 2: 0.1, 0.01 + 0.09 · 0.853553390593, 0.055, 0.01
  [0.1, 0.086819805153, 0.055, 0.01].forEach((v, i) => assert.ok(Math.abs(cos[i] - v) < 1e-12, `${cos[i]} vs ${v}`));
});

test('clipping by global norm scales every gradient together and reports the norms', () => {
  const a = param([0, 0]);
  const b = param([0]);
  a.grad.set([3, 0]);
  b.grad.set([4]);
  const clip = new GradientClipper({ mode: 'norm', norm: 1 });
  clip.apply([a, b]);
  assert.equal(clip.clipped, true);
  assert.equal(clip.normBefore, 5);
  assert.ok(Math.abs(clip.normAfter - 1) < 1e-15);
  assert.ok(Math.abs(a.grad[0] - 0.6) < 1e-15 && Math.abs(b.grad[0] - 0.8) < 1e-15);
  clip.apply([a, b]);
  assert.equal(clip.clipped, false);
  assert.equal(clip.normBefore, clip.normAfter);
});

test('clipping by value clamps entries and reports the norms', () => {
  const a = param([0, 0, 0]);
  a.grad.set([3, -4, 0.5]);
  const clip = new GradientClipper({ mode: 'value', value: 1 });
  clip.apply([a]);
  assert.deepEqual(Array.from(a.grad), [1, -1, 0.5]);
  assert.equal(clip.clipped, true);
  assert.ok(Math.abs(clip.normBefore - Math.sqrt(25.25)) < 1e-12);
  assert.ok(Math.abs(clip.normAfter - 1.5) < 1e-12);
});

test('initialisers draw with the documented scale', () => {
  const fanIn = 200;
  const fanOut = 100;
  const cases: [InitKind, number, 'normal' | 'uniform'][] = [
    ['small-gaussian', 0.01, 'normal'],
    ['xavier', Math.sqrt(2 / 300), 'normal'],
    ['xavier-uniform', Math.sqrt(6 / 300), 'uniform'],
    ['he', Math.sqrt(2 / 200), 'normal'],
    ['he-uniform', Math.sqrt(6 / 200), 'uniform'],
    ['lecun', Math.sqrt(1 / 200), 'normal'],
  ];
  for (const [kind, scale, shape] of cases) {
    const w = new Float64Array(fanIn * fanOut);
    initialize(w, init(kind), fanIn, fanOut, new Rng(3));
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    const expectedStd = shape === 'normal' ? scale : scale / Math.sqrt(3);
    assert.ok(Math.abs(std / expectedStd - 1) < 0.02, `${kind}: std ${std} vs ${expectedStd}`);
    assert.ok(Math.abs(mean) < expectedStd * 0.02, `${kind}: mean ${mean}`);
    if (shape === 'uniform') assert.ok(w.every((v) => Math.abs(v) <= scale));
  }
  const c = new Float64Array(5);
  initialize(c, init('constant', { value: 0.3 }), 1, 1, new Rng(1));
  assert.deepEqual(Array.from(c), [0.3, 0.3, 0.3, 0.3, 0.3]);
  const s = new Float64Array(20000);
  initialize(s, init('small-gaussian', { std: 0.5 }), 1, 1, new Rng(1));
  assert.ok(Math.abs(Math.sqrt(s.reduce((a, v) => a + v * v, 0) / s.length) / 0.5 - 1) < 0.03);
});

test('built models: biases start at zero, weights differ per layer and repeat per seed', () => {
  const spec = makeSpec({ layers: [dense(16, { init: init('he') }), act('relu'), dense(16, { init: init('he') })] });
  const a = buildModel(spec, 16, 16, 'float32', new Rng(9), referenceKernels);
  const b = buildModel(spec, 16, 16, 'float32', new Rng(9), referenceKernels);
  const c = buildModel(spec, 16, 16, 'float32', new Rng(10), referenceKernels);
  assert.ok(a[0].params[1].value.every((v) => v === 0));
  assert.deepEqual(Array.from(a[2].params[0].value), Array.from(b[2].params[0].value));
  assert.notDeepEqual(Array.from(a[0].params[0].value), Array.from(a[2].params[0].value));
  assert.notDeepEqual(Array.from(a[0].params[0].value), Array.from(c[0].params[0].value));
  assert.ok(a[0].params[0].value instanceof Float32Array);
  assert.throws(() => buildModel(spec, 16, 3, 'float32', new Rng(9), referenceKernels), /layers\[2\] \(dense_2\).*16 output\(s\).*need 3/);
  assert.throws(() => buildModel(makeSpec({ layers: [] }), 2, 2, 'float32', new Rng(9), referenceKernels), /no layers/);
});
