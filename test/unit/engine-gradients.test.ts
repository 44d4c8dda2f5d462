// Float64 centred-difference gradient checks for every layer, activation, loss (fused and not), the
// regularisation terms, and a deliberately broken layer the checker must catch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Layer } from '../../src/engine/layers/layer';
import type { LayerSpec, LossKind } from '../../src/engine/spec/model-spec';
import type { FloatArray } from '../../src/engine/types';
import { buildModel } from '../../src/engine/layers/build';
import { inferShapes, shapeSize } from '../../src/engine/spec/layer-kinds';
import { DropoutLayer } from '../../src/engine/layers/dropout';
import { referenceKernels } from '../../src/engine/kernels/reference';
import { Rng } from '../../src/engine/rng';
import { computeLoss, meanSquaredError, planLoss, sigmoidCrossEntropy, softmaxCrossEntropy } from '../../src/engine/train/losses';
import { addRegularizationGradients, regularizationPenalty } from '../../src/engine/train/regularization';
import { act, batchnorm, conv2d, dense, dropout, flatten, globalavgpool, groupnorm, instancenorm, layernorm, lcg, makeSpec, maxGradError, pool } from './engine-helpers';

const TOL = 1e-5;
const BATCH = 5;

function build(layers: LayerSpec[], inputs: number | number[], outputs: number, loss: LossKind = 'mse'): Layer[] {
  const built = buildModel(makeSpec({ layers, loss }), inputs, outputs, 'float64', new Rng(11), referenceKernels);
  // Non-trivial gamma/beta so their gradients are exercised away from the identity.
  const r = lcg(5);
  for (const l of built) for (const p of l.params) if (p.role === 'gamma' || p.role === 'beta') for (let i = 0; i < p.value.length; i++) p.value[i] = 0.5 + r();
  return built;
}

function randomArray(n: number, seed: number, scale = 1): Float64Array {
  const r = lcg(seed);
  return Float64Array.from({ length: n }, () => scale * (2 * r() - 1));
}

/** Worst relative error of one layer's input and parameter gradients for L = Σ proj · output. */
function layerGradError(layer: Layer, x: Float64Array, batch: number): number {
  const proj = randomArray(batch * layer.outputSize, 99);
  const f = () => {
    const y = layer.forward(x, batch, true);
    let s = 0;
    for (let i = 0; i < proj.length; i++) s += proj[i] * y[i];
    return s;
  };
  layer.forward(x, batch, true);
  const dIn = Float64Array.from(layer.backward(proj, batch));
  const grads = layer.params.map((p) => Float64Array.from(p.grad));
  let worst = maxGradError(x, dIn, f);
  layer.params.forEach((p, k) => (worst = Math.max(worst, maxGradError(p.value, grads[k], f))));
  return worst;
}

const layerCases: [string, LayerSpec[], number, number, number][] = [
  ['dense', [dense(4)], 3, 4, 1],
  ['dense without bias', [dense(4, { useBias: false })], 3, 4, 1],
  ['sigmoid', [act('sigmoid')], 6, 6, 3],
  ['tanh', [act('tanh')], 6, 6, 2],
  ['relu', [act('relu')], 6, 6, 2],
  ['leaky-relu', [act('leaky-relu', { alpha: 0.1 })], 6, 6, 2],
  ['relu6', [act('relu6')], 6, 6, 9],
  ['linear', [act('linear')], 6, 6, 2],
  ['softmax', [act('softmax')], 4, 4, 3],
  ['batchnorm (training mode)', [batchnorm()], 4, 4, 2],
  ['layernorm', [layernorm()], 6, 6, 2],
  // Groups of two are degenerate (x̂ = ±1 whatever x is), so the checks use groups of three or more.
  ['groupnorm (2 groups of 3)', [groupnorm(2)], 6, 6, 2],
  ['groupnorm (3 groups of 4)', [groupnorm(3)], 12, 12, 2],
];

// Image layers on [C, H, W] inputs: kernel shapes, strides and paddings that leave partial windows and
// uneven borders, so an off-by-one in im2col/col2im or the pooling windows shows up as a wrong gradient.
const imageCases: [string, LayerSpec[], number[], number][] = [
  ['conv2d 3×3 valid', [conv2d(4, 3)], [2, 6, 5], 1],
  ['conv2d 3×3 same', [conv2d(3, 3, { padding: 'same' })], [2, 5, 5], 1],
  ['conv2d 2×3 stride 2 padding 1', [conv2d(3, [2, 3], { stride: [2, 2], padding: 1 })], [3, 7, 6], 1],
  ['conv2d 1×1 stride [1, 2] without bias', [conv2d(2, 1, { stride: [1, 2], useBias: false })], [3, 4, 5], 1],
  ['conv2d 5×5 on one channel', [conv2d(2, 5, { padding: 2 })], [1, 6, 6], 1],
  ['maxpool 2', [pool('maxpool', 2)], [2, 6, 5], 1],
  ['maxpool 3 stride 2 (overlapping windows)', [pool('maxpool', 3, 2)], [2, 7, 7], 1],
  ['avgpool 2', [pool('avgpool', 2)], [2, 6, 5], 1],
  ['avgpool 3 stride 2', [pool('avgpool', 3, 2)], [2, 7, 7], 1],
  ['globalavgpool', [globalavgpool()], [3, 4, 5], 1],
  ['flatten', [flatten()], [2, 3, 3], 1],
  ['instancenorm', [instancenorm()], [3, 4, 4], 2],
  ['batchnorm per channel (training mode)', [batchnorm()], [3, 3, 4], 2],
  ['groupnorm 2 groups over 4 channels', [groupnorm(2)], [4, 3, 3], 2],
  ['layernorm over C·H·W', [layernorm()], [2, 3, 3], 2],
  ['dense after conv (implicit flatten)', [conv2d(2, 3), dense(3)], [1, 5, 5], 1],
];

for (const [name, specs, shape, scale] of imageCases) {
  test(`gradient check on images: ${name}`, () => {
    const shaped = inferShapes(makeSpec({ layers: specs }).layers, shape).layers;
    const layers = build(specs, shape, shapeSize(shaped[shaped.length - 1].output));
    const size = shape.reduce((a, b) => a * b, 1);
    const x = randomArray(BATCH * size, 13, scale);
    for (const layer of layers) {
      const input = layer === layers[0] ? x : randomArray(BATCH * layer.inputSize, 17, scale);
      const err = layerGradError(layer, input, BATCH);
      assert.ok(err < TOL, `${layer.spec.kind}: relative error ${err}`);
    }
  });
}

for (const [name, specs, inputs, outputs, scale] of layerCases) {
  test(`gradient check: ${name}`, () => {
    const [layer] = build(specs, inputs, outputs);
    const err = layerGradError(layer, randomArray(BATCH * inputs, 7, scale), BATCH);
    assert.ok(err < TOL, `relative error ${err}`);
  });
}

test('gradient check: dropout with a fixed mask', () => {
  const [layer] = build([dropout(0.4)], 8, 8);
  const d = layer as DropoutLayer;
  const x = randomArray(BATCH * 8, 3);
  d.forward(x, BATCH, true);
  d.freezeMask = true;
  const out = d.forward(x, BATCH, true);
  // Inverted dropout: dropped units are 0, kept ones scaled by 1/(1-rate).
  let dropped = 0;
  for (let i = 0; i < x.length; i++) {
    if (out[i] === 0) dropped++;
    else assert.ok(Math.abs(out[i] - x[i] / 0.6) < 1e-12);
  }
  assert.ok(dropped > 0 && dropped < x.length);
  assert.ok(layerGradError(layer, x, BATCH) < TOL);
  // Evaluation is the identity.
  assert.deepEqual(Array.from(d.forward(x, BATCH, false)), Array.from(x));
});

test('the checker catches a deliberately broken backward pass', () => {
  // y = x², with a backward that forgets the factor 2.
  const size = 4;
  const out = new Float64Array(BATCH * size);
  const dIn = new Float64Array(BATCH * size);
  const broken: Layer = {
    spec: makeSpec({ layers: [act('linear')] }).layers[0],
    position: 0,
    inputShape: [size],
    outputShape: [size],
    inputSize: size,
    outputSize: size,
    params: [],
    state: [],
    lastInput: null,
    lastOutput: null,
    forward(input: FloatArray) {
      for (let i = 0; i < out.length; i++) out[i] = input[i] * input[i];
      (this as { lastInput: FloatArray | null }).lastInput = input;
      return out;
    },
    backward(g: FloatArray) {
      const x = this.lastInput!;
      for (let i = 0; i < dIn.length; i++) dIn[i] = g[i] * x[i];
      return dIn;
    },
  };
  const err = layerGradError(broken, randomArray(BATCH * size, 4), BATCH);
  assert.ok(err > 0.1, `broken backward went unnoticed (error ${err})`);
});

function lossGradError(fn: typeof meanSquaredError, z: Float64Array, y: Float64Array, batch: number, k: number): number {
  const grad = new Float64Array(z.length);
  fn(z, y, batch, k, grad);
  return maxGradError(z, grad, () => fn(z, y, batch, k, null));
}

test('gradient check: mse, binary and softmax cross-entropy on raw outputs', () => {
  const k = 3;
  const z = randomArray(BATCH * k, 21, 3);
  const probs = Float64Array.from(randomArray(BATCH * k, 22), (v) => (v + 1) / 2);
  const oneHot = new Float64Array(BATCH * k);
  for (let r = 0; r < BATCH; r++) oneHot[r * k + (r % k)] = 1;
  assert.ok(lossGradError(meanSquaredError, z, probs, BATCH, k) < TOL);
  assert.ok(lossGradError(sigmoidCrossEntropy, z, probs, BATCH, k) < TOL);
  assert.ok(lossGradError(softmaxCrossEntropy, z, oneHot, BATCH, k) < TOL);
});

test('cross-entropies stay finite and exact for extreme logits', () => {
  const z = Float64Array.from([1000, -1000, 0]);
  const y = Float64Array.from([0, 1, 0]);
  const grad = new Float64Array(3);
  const ce = softmaxCrossEntropy(z, y, 1, 3, grad);
  assert.equal(ce, 2000);
  assert.deepEqual(Array.from(grad), [1, -1, 0]);
  const bce = sigmoidCrossEntropy(Float64Array.from([-800]), Float64Array.from([1]), 1, 1, grad);
  assert.equal(bce, 800);
});

/** Whole-model gradient check through buildModel, planLoss and computeLoss, as the trainer runs them. */
function modelGradError(layers: Layer[], loss: LossKind, x: Float64Array, y: Float64Array, batch: number): { err: number; fused: boolean } {
  const plan = planLoss(loss, layers);
  const forward = () => {
    let a: FloatArray = x;
    for (const l of layers) a = l.forward(a, batch, true);
  };
  const f = () => {
    forward();
    return computeLoss(plan, layers, y, batch, null);
  };
  forward();
  let g: FloatArray = new Float64Array(batch * layers[layers.length - 1].outputSize);
  computeLoss(plan, layers, y, batch, g);
  for (let i = layers.length - (plan.fused ? 2 : 1); i >= 0; i--) g = layers[i].backward(g, batch);
  const grads = layers.flatMap((l) => l.params.map((p) => Float64Array.from(p.grad)));
  let err = 0;
  let k = 0;
  for (const l of layers) for (const p of l.params) err = Math.max(err, maxGradError(p.value, grads[k++], f));
  return { err, fused: plan.fused };
}

function oneHot(batch: number, k: number): Float64Array {
  const y = new Float64Array(batch * k);
  for (let r = 0; r < batch; r++) y[r * k + ((r * 7) % k)] = 1;
  return y;
}

const modelCases: [string, LayerSpec[], LossKind, boolean][] = [
  ['softmax layer + softmax-cross-entropy (fused)', [dense(5), act('tanh'), dense(3), act('softmax')], 'softmax-cross-entropy', true],
  ['raw outputs + softmax-cross-entropy', [dense(5), act('relu'), dense(3)], 'softmax-cross-entropy', false],
  ['sigmoid layer + binary-cross-entropy (fused)', [dense(5), act('sigmoid'), dense(3), act('sigmoid')], 'binary-cross-entropy', true],
  ['raw outputs + binary-cross-entropy', [dense(5), act('leaky-relu'), dense(3)], 'binary-cross-entropy', false],
  ['softmax layer + mse (not fused)', [dense(5), act('tanh'), dense(3), act('softmax')], 'mse', false],
];

for (const [name, specs, loss, fused] of modelCases) {
  test(`model gradient check: ${name}`, () => {
    const layers = build(specs, 4, 3, loss);
    const r = modelGradError(layers, loss, randomArray(BATCH * 4, 31, 2), oneHot(BATCH, 3), BATCH);
    assert.equal(r.fused, fused);
    assert.ok(r.err < TOL, `relative error ${r.err}`);
  });
}

test('model gradient check: every layer type stacked', () => {
  const layers = build(
    [dense(8, { init: { type: 'he', value: 0, std: 0 } }), batchnorm(), act('relu'), dropout(0.3), dense(6), layernorm(), act('tanh'), dense(9), groupnorm(3), act('relu6'), dense(3), act('softmax')],
    4,
    3,
    'softmax-cross-entropy',
  );
  const x = randomArray(BATCH * 4, 41, 2);
  (layers[3] as DropoutLayer).forward(new Float64Array(BATCH * 8).fill(1), BATCH, true);
  (layers[3] as DropoutLayer).freezeMask = true;
  const r = modelGradError(layers, 'softmax-cross-entropy', x, oneHot(BATCH, 3), BATCH);
  assert.ok(r.err < TOL, `relative error ${r.err}`);
});

test('gradient check: L1 and L2 terms, weights only, per-layer overrides', () => {
  const layers = build([dense(4, { l1: 0.3, l2: null }), act('relu'), dense(2, { l1: null, l2: 0.7 }), batchnorm()], 3, 2);
  const spec = makeSpec({ layers: [], regularization: { l1: 0.05, l2: 0.2 } });
  const withReg = buildModel({ ...spec, layers: layers.map((l) => l.spec) }, 3, 2, 'float64', new Rng(2), referenceKernels);
  const params = withReg.flatMap((l) => l.params);
  assert.deepEqual(
    params.map((p) => [p.id, p.l1, p.l2]),
    [
      ['dense_1.weight', 0.3, 0.2],
      ['dense_1.bias', 0, 0],
      ['dense_2.weight', 0.05, 0.7],
      ['dense_2.bias', 0, 0],
      ['batchnorm_1.gamma', 0, 0],
      ['batchnorm_1.beta', 0, 0],
    ],
  );
  for (const p of params) p.grad.fill(0);
  addRegularizationGradients(params);
  for (const p of params) {
    const err = maxGradError(p.value, Float64Array.from(p.grad), () => regularizationPenalty(params));
    assert.ok(err < TOL, `${p.id}: relative error ${err}`);
    if (p.role !== 'weight') assert.ok(p.grad.every((g) => g === 0));
  }
  assert.ok(regularizationPenalty(params) > 0);
});

test('maxpool passes a NaN on instead of hiding it behind a larger neighbour', () => {
  const [layer] = build([pool('maxpool', 2)], [1, 2, 2], 1);
  const out = layer.forward(Float64Array.from([1, NaN, 5, 2]), 1, true);
  assert.ok(Number.isNaN(out[0]));
  const dIn = layer.backward(Float64Array.from([1]), 1);
  assert.deepEqual(Array.from(dIn), [0, 1, 0, 0], 'the gradient goes to the NaN entry');
});
