// Per-channel probes on image layers: dead filters, per-filter gradient norms and update ratios, output
// moments per channel, and per-channel batch-norm statistics, each checked against values recomputed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';
import { ProbeObserver } from '../../src/engine/probes/observer';
import type { ProbeSnapshot } from '../../src/engine/types';
import type { Layer } from '../../src/engine/layers/layer';

const CNN = {
  name: 'probe-cnn',
  seed: 3,
  data: { source: 'shapes', samples: 96, classes: 3, noise: 0.1, validationSplit: 0.25, preprocess: 'none' },
  layers: [
    { type: 'conv2d', filters: 4, kernel: 3, padding: 'same', name: 'conv' },
    { type: 'batchnorm', name: 'bn' },
    { type: 'relu', name: 'act' },
    { type: 'maxpool', size: 2 },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax-cross-entropy',
  epochs: 1,
  batchSize: 24,
};

/** Trains CNN with probes at every step; `prepare` may edit the built layers first. Returns the first snapshot and the layers. */
async function probeOnce(prepare: (layers: readonly Layer[]) => void = () => {}): Promise<{ snap: ProbeSnapshot; layers: readonly Layer[] }> {
  const parsed = parseModel(JSON.stringify(CNN), 'cnn.nn.json');
  if (!parsed.ok) assert.fail(parsed.issues.map((i) => i.message).join('\n'));
  const snaps: ProbeSnapshot[] = [];
  let captured: { input: Float64Array; bnInput: Float64Array; grad: Float64Array; before: Float64Array; after: Float64Array } | null = null;
  const trainer = new Trainer(parsed.spec, loadDataset(parsed.spec, {}), {
    dtype: 'float64',
    yieldEveryMs: 0,
    observers: [
      new ProbeObserver(1000, (s) => snaps.push(s)),
      {
        wants: (step) => step === 1,
        afterBackward: (ctx) => {
          const [conv, bn, act] = ctx.layers;
          captured = { input: Float64Array.from(act.lastInput!), bnInput: Float64Array.from(bn.lastInput!), grad: Float64Array.from(conv.params[0].grad), before: Float64Array.from(conv.params[0].value), after: new Float64Array(0) };
        },
        afterUpdate: (ctx) => {
          captured!.after = Float64Array.from(ctx.layers[0].params[0].value);
        },
      },
    ],
  });
  prepare(trainer.layers);
  await trainer.run();
  const snap = snaps[0];
  Object.assign(snap, { captured });
  return { snap, layers: trainer.layers };
}

test('per filter: gradient norms and update ratios of a conv layer, recomputed from its weights', async () => {
  const { snap } = await probeOnce();
  const c = (snap as unknown as { captured: { grad: Float64Array; before: Float64Array; after: Float64Array } }).captured;
  const conv = snap.layers[0];
  const ch = conv.channels!;
  assert.equal(ch.gradNorm!.length, 4);
  const K = 9;
  for (let f = 0; f < 4; f++) {
    let g = 0, d = 0, w = 0;
    for (let i = f * K; i < (f + 1) * K; i++) {
      g += c.grad[i] ** 2;
      d += (c.after[i] - c.before[i]) ** 2;
      w += c.before[i] ** 2;
    }
    assert.ok(Math.abs(ch.gradNorm![f] - Math.sqrt(g)) < 1e-12, `filter ${f} gradient norm`);
    assert.ok(Math.abs(ch.updateRatio![f]! - Math.sqrt(d / w)) < 1e-12, `filter ${f} update ratio`);
  }
  const total = Math.sqrt(ch.gradNorm!.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(total - conv.gradNorm!) < 1e-9, 'the filters make up the layer norm');
  assert.equal(ch.dead, null);
  assert.equal(snap.layers[4].channels ?? null, null, 'a dense layer reads flat features');
});

test('dead filters: a channel never positive at any sample and position, and only that one', async () => {
  const { snap } = await probeOnce((layers) => {
    // filter 2 of the conv: zero weights, then batch norm shifts it to a constant -1 before the ReLU
    const [conv, bn] = layers;
    conv.params[0].value.fill(0, 2 * 9, 3 * 9);
    bn.params[1].value[2] = -1;
  });
  const act = snap.layers[2];
  assert.deepEqual(act.channels!.dead, [0, 0, 1, 0]);
  assert.equal(act.deadRatio, 0.25);
});

test('batch norm after a conv: per-channel batch moments over N·H·W against the running statistics', async () => {
  const { snap } = await probeOnce();
  const c = (snap as unknown as { captured: { bnInput: Float64Array } }).captured;
  const bn = snap.layers[1].channels!.batchNorm!;
  const S = 16 * 16;
  const rows = c.bnInput.length / (4 * S);
  for (let ch = 0; ch < 4; ch++) {
    const values: number[] = [];
    for (let r = 0; r < rows; r++) for (let p = 0; p < S; p++) values.push(c.bnInput[(r * 4 + ch) * S + p]);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    const v = values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length;
    assert.ok(Math.abs(bn.batchMean[ch] - m) < 1e-9, `channel ${ch} mean`);
    assert.ok(Math.abs(bn.batchVar[ch] - v) < 1e-9 * Math.max(1, v), `channel ${ch} variance`);
  }
  assert.equal(bn.runningMean.length, 4);
  // one training step moved the running mean by (1 - momentum) of the batch mean from 0
  for (let ch = 0; ch < 4; ch++) assert.ok(Math.abs(bn.runningMean[ch] - 0.1 * bn.batchMean[ch]) < 1e-9);
  assert.equal(snap.layers[1].batchNorm!.runningMean.toFixed(12), (bn.runningMean.reduce((a, b) => a + b, 0) / 4).toFixed(12));
});
