// The activation scale predicted before training: the He/Xavier argument layer by layer. Checked against
// the closed forms (a ReLU layer halves the second moment; He keeps the scale, std 1 on 64 inputs multiplies
// it by sqrt(32) per layer) and against what the probes observe on a real first batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { predictScales } from '../../src/engine/diagnosis/scale';
import { TrainingSession } from '../../src/engine/session';
import type { Dataset } from '../../src/engine/data/dataset';

function spec(layers: unknown[]) {
  const r = parseModel(JSON.stringify({ name: 'm', data: { source: 'spiral', preprocess: 'standardize' }, layers, loss: 'softmax-cross-entropy' }), 'm.nn.json');
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return r.spec;
}

/** Two standardised features (mean 0, std 1). */
const data = (() => {
  const n = 2000;
  const x = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = Math.sqrt(2) * Math.cos((2 * Math.PI * i) / n);
    x[2 * i + 1] = Math.sqrt(2) * Math.sin((2 * Math.PI * i) / n);
  }
  return { inputs: 2, train: { n, x } } as unknown as Dataset;
})();

const dense = (units: number, init: unknown, extra: Record<string, unknown> = {}) => ({ type: 'dense', units, init, ...extra });
const close = (a: number, b: number, rel: number, what: string) => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test('He init keeps a ReLU stack at the same scale; std 1 on 64 inputs grows it sqrt(32)x per layer', () => {
  const he = predictScales(spec([dense(64, 'he', { activation: 'relu' }), dense(64, 'he', { activation: 'relu' }), dense(64, 'he', { activation: 'relu' }), dense(3, 'xavier')]), data)!;
  const pre = he.filter((p) => p.kind === 'dense').map((p) => p.std);
  close(pre[0], Math.sqrt(2), 1e-6, 'first pre-activation: fan-in 2 x var 1 x E[x^2] 1');
  close(pre[1], pre[0], 1e-3, 'He: the second layer keeps the scale');
  close(pre[2], pre[0], 1e-3, 'He: the third layer keeps the scale');
  const big = predictScales(spec([dense(64, { type: 'small-gaussian', std: 1 }, { activation: 'relu' }), dense(64, { type: 'small-gaussian', std: 1 }, { activation: 'relu' }), dense(64, { type: 'small-gaussian', std: 1 }, { activation: 'relu' }), dense(3, 'xavier')]), data)!;
  const grow = big.filter((p) => p.kind === 'dense').map((p) => p.std);
  close(grow[2] / grow[1], Math.sqrt(32), 1e-3, 'each std-1 layer on 64 ReLU inputs');
});

test('a negative bias switches a ReLU layer off; a large one pins a sigmoid at its flat end', () => {
  const off = predictScales(spec([dense(16, 'he', { biasInit: { type: 'constant', value: -5 }, activation: 'relu' }), dense(3, 'xavier')]), data)!;
  assert.ok(off[1].activeFraction! < 0.01, `active ${off[1].activeFraction}`);
  const zeroBias = predictScales(spec([dense(16, 'he', { activation: 'relu' }), dense(3, 'xavier')]), data)!;
  close(zeroBias[1].activeFraction!, 0.5, 0.02, 'zero bias: half the ReLU inputs positive');
  const pinned = predictScales(spec([dense(16, 'xavier', { biasInit: { type: 'constant', value: 6 }, activation: 'sigmoid' }), dense(3, 'xavier')]), data)!;
  assert.ok(pinned[1].saturatedFraction! > 0.9, `saturated ${pinned[1].saturatedFraction}`);
});

test('the prediction matches the activation std the first probe observes', async () => {
  const text = JSON.stringify({
    name: 'scale', seed: 3, data: { source: 'spiral', samples: 600, classes: 3, noise: 0.2, preprocess: 'standardize' },
    layers: [dense(64, { type: 'small-gaussian', std: 0.5 }, { activation: 'relu' }), dense(64, { type: 'small-gaussian', std: 0.5 }, { activation: 'tanh' }), dense(3, 'xavier')],
    loss: 'softmax-cross-entropy', optimizer: { type: 'sgd', lr: 1e-6 }, epochs: 1, batchSize: 64,
  });
  const r = await new TrainingSession(text, 'scale.nn.json', {}, { yieldEveryMs: 0, probeEvery: 1 }, {}).run();
  const first = r.probes[0];
  for (const l of r.model.layers) {
    const observed = first.layers.find((p) => p.position === l.position)!.activationStd!;
    close(l.predictedActivationStd!, observed, 0.35, `${l.name} predicted vs observed`);
  }
});
