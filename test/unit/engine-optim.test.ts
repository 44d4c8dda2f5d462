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
import { tiledKernels } from '../../src/engine/kernels/tiled';
import { allocKernelBuffer, wasmKernels } from '../../src/engine/kernels/select';
import type { Kernels } from '../../src/engine/kernels/kernels';
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

// The same reference steps on float32 weights, on every path the trainer can pick. Float32 storage limits
// the agreement; the wasm kernel also keeps its moments in float32 and forms 1-β2 from β2 rounded to
// float32 (0.00099998713 for 0.001), which moves Adam's third value by ~1.2e-6.
const wasm = wasmKernels(1);
const FLOAT32_PATHS: [string, Kernels | null][] = [['js (no kernels)', null], ['js-tiled', tiledKernels], ...(wasm ? [['wasm-simd', wasm] as [string, Kernels]] : [])];
for (const [pathName, kernels] of FLOAT32_PATHS) {
  for (const [name, spec, expected] of REFERENCE) {
    test(`optimiser ${name} matches hand-computed steps on float32 weights, ${pathName}`, () => {
      const buf = (n: number) => (kernels ? allocKernelBuffer(kernels, 'float32', n) : new Float32Array(n));
      const p: Param = { id: 'p.weight', role: 'weight', value: buf(2), grad: buf(2), shape: [1, 2], l1: 0, l2: 0 };
      p.value.set([1, -2]);
      const opt = createOptimizer(spec, [p], kernels);
      GRADS.forEach((g, t) => {
        p.grad.set(g);
        assert.ok(opt.step(spec.lr));
        expected[t].forEach((w, i) => assert.ok(Math.abs(p.value[i] - w) < 3e-6, `step ${t + 1}[${i}]: ${p.value[i]} vs ${w}`));
      });
    });
  }
}

// What the trainer relies on to skip its undo copy: no value can leave [-(W + bound), W + bound] (W the
// largest |value| before the step), up to the rounding of the stored result.
test('changeBound bounds every step of every optimiser on every path', () => {
  const rng = new Rng(5);
  for (const [pathName, kernels] of [['float64', null], ...FLOAT32_PATHS] as [string, Kernels | null][]) {
    for (const [name, spec] of REFERENCE) {
      const n = 37;
      const buf = (): Float32Array | Float64Array => (pathName === 'float64' ? new Float64Array(n) : kernels ? allocKernelBuffer(kernels, 'float32', n) : new Float32Array(n));
      const p: Param = { id: 'p.weight', role: 'weight', value: buf(), grad: buf(), shape: [1, n], l1: 0, l2: 0 };
      const opt = createOptimizer(spec, [p], kernels);
      for (let t = 0; t < 200; t++) {
        // gradients that swing in scale, including steps where one entry dominates
        const scale = Math.exp(4 * rng.gaussian());
        for (let i = 0; i < n; i++) p.grad[i] = scale * rng.gaussian() * (i === t % n ? 50 : 1);
        let norm = 0;
        for (let i = 0; i < n; i++) norm += p.grad[i] * p.grad[i];
        const before = Array.from(p.value);
        const bound = opt.changeBound(spec.lr, Math.sqrt(norm));
        opt.step(spec.lr);
        const reach = (Math.max(...before.map(Math.abs)) + bound) * (1 + 1e-6);
        const largest = Math.max(...Array.from(p.value, Math.abs));
        assert.ok(largest <= reach, `${name} on ${pathName}, step ${t + 1}: |value| ${largest} > ${reach}`);
        const moved = Math.max(...before.map((w, i) => Math.abs(p.value[i] - w)));
        // and the bound is on the step itself: only storage rounding (half a float32 ulp of the value) adds
        assert.ok(moved <= bound + largest * 2 ** -24, `${name} on ${pathName}, step ${t + 1}: moved ${moved} > bound ${bound}`);
      }
    }
  }
});

test('a step taken without changeBound leaves the next bound unknown', () => {
  const p = param([1, -2]);
  const spec: OptimizerSpec = { type: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
  const opt = createOptimizer(spec, [p]);
  assert.ok(Number.isFinite(opt.changeBound(0.1, 1)));
  opt.step(0.1);
  opt.step(0.1);
  assert.equal(opt.changeBound(0.1, 1), Infinity);
});

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
