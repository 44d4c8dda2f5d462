// The training loop: determinism, stop/pause/resume, observers, non-finite detection naming the layer and
// stage, early stopping restoring the best weights, and every optimiser and initialiser learning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InitKind, LayerSpec, ModelSpec, OptimizerSpec } from '../../src/engine/spec/model-spec';
import type { Dataset } from '../../src/engine/data/dataset';
import type { StepContext, TrainingObserver } from '../../src/engine/train/observer';
import type { TrainerEvent, TrainerOptions } from '../../src/engine/train/trainer-api';
import { Trainer } from '../../src/engine/train/trainer';
import { act, batchnorm, blobs, classificationData, dense, dropout, init, makeSpec, regressionData } from './engine-helpers';

function blobData(seed = 1, classes = 3, n = 240): Dataset {
  const train = blobs(n, classes, seed);
  const val = blobs(n / 4, classes, seed + 100);
  return classificationData(train.x, train.y, val.x, val.y, classes);
}

function mlp(extra: Partial<ModelSpec> = {}, layers?: LayerSpec[]): ModelSpec {
  return makeSpec({
    layers: layers ?? [dense(16, { init: init('he') }), batchnorm(), act('relu'), dropout(0.1), dense(3), act('softmax')],
    epochs: 6,
    batchSize: 16,
    ...extra,
  });
}

async function train(spec: ModelSpec, data: Dataset, options: TrainerOptions = {}) {
  const trainer = new Trainer(spec, data, { yieldEveryMs: 0, ...options });
  const events: TrainerEvent[] = [];
  trainer.on((e) => events.push(e));
  const summary = await trainer.run();
  const losses = events.flatMap((e) => (e.type === 'step' ? [e.metrics.loss] : []));
  const epochs = events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : []));
  return { trainer, summary, events, losses, epochs };
}

test('same spec and seed give a bit-identical loss curve; another seed does not', async () => {
  const data = blobData();
  const a = await train(mlp(), data);
  const b = await train(mlp(), data);
  const c = await train(mlp(), data, { seed: 2 });
  assert.equal(a.losses.length, 6 * 15);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.epochs.map((e) => e.valLoss), b.epochs.map((e) => e.valLoss));
  assert.notDeepEqual(a.losses, c.losses);
  assert.equal(a.summary.status, 'completed');
  assert.equal(a.events[0].type, 'start');
  assert.equal(a.events[a.events.length - 1].type, 'end');
});

test('epoch metrics, evaluation and the model summary agree with the data', async () => {
  const spec = mlp({ epochs: 12 });
  const { trainer, summary, epochs } = await train(spec, blobData());
  const last = epochs[epochs.length - 1];
  const val = trainer.evaluate('val');
  assert.equal(val.loss, last.valLoss);
  assert.equal(val.accuracy, last.valAccuracy);
  assert.ok(last.valAccuracy! > 0.9, `val accuracy ${last.valAccuracy}`);
  assert.deepEqual(summary.final, { loss: last.loss, accuracy: last.accuracy, valLoss: last.valLoss, valAccuracy: last.valAccuracy });
  const model = trainer.summary();
  assert.equal(model.paramCount, 2 * 16 + 16 + 16 * 2 + 16 * 3 + 3);
  assert.deepEqual(model.layers.map((l) => [l.index, l.name, l.position, l.outputSize]), [
    [0, 'dense_1', 0, 16],
    [1, 'batchnorm_1', 1, 16],
    [2, 'relu_1', 2, 16],
    [3, 'dropout_1', 3, 16],
    [4, 'dense_2', 4, 3],
    [5, 'softmax_1', 5, 3],
  ]);
  assert.equal(model.dtype, 'float32');
  assert.equal(summary.steps, 12 * 15);
});

test('float64 mode keeps every buffer in double precision', () => {
  const trainer = new Trainer(mlp(), blobData(), { dtype: 'float64' });
  for (const l of trainer.layers) for (const p of l.params) assert.ok(p.value instanceof Float64Array && p.grad instanceof Float64Array);
  assert.equal(trainer.summary().dtype, 'float64');
});

test('stop between steps ends the run with status stopped', async () => {
  const trainer = new Trainer(mlp(), blobData(), { yieldEveryMs: 0 });
  trainer.on((e) => {
    if (e.type === 'step' && e.metrics.step === 5) trainer.stop();
  });
  const summary = await trainer.run();
  assert.equal(summary.status, 'stopped');
  assert.equal(summary.steps, 5);
  assert.equal(summary.epochs, 0);
});

test('pause holds training between steps until resume; stop while paused ends it', async () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const trainer = new Trainer(mlp({ epochs: 2 }), blobData(), { yieldEveryMs: 1 });
  let steps = 0;
  let reachedPause!: () => void;
  const paused = new Promise<void>((r) => (reachedPause = r));
  trainer.on((e) => {
    if (e.type !== 'step') return;
    steps = e.metrics.step;
    if (steps === 3) {
      trainer.pause();
      reachedPause();
    }
  });
  const done = trainer.run();
  await paused;
  await sleep(50);
  assert.equal(steps, 3, 'no step ran while paused');
  trainer.resume();
  const summary = await done;
  assert.equal(summary.status, 'completed');
  assert.equal(summary.steps, 30);

  const second = new Trainer(mlp(), blobData(), { yieldEveryMs: 1 });
  let reachedSecond!: () => void;
  const pausedSecond = new Promise<void>((r) => (reachedSecond = r));
  second.on((e) => {
    if (e.type === 'step' && e.metrics.step === 2) {
      second.pause();
      reachedSecond();
    }
  });
  const run2 = second.run();
  await pausedSecond;
  await sleep(10);
  second.stop();
  const s2 = await run2;
  assert.equal(s2.status, 'stopped');
  assert.equal(s2.steps, 2);
});

test('observers see wanted steps before and after the update, with clipping norms, and change nothing', async () => {
  const seen: string[] = [];
  let onSteps = 0;
  let weightBefore = 0;
  const observer: TrainingObserver = {
    wants: (step) => step % 10 === 0,
    afterBackward(ctx: StepContext) {
      seen.push(`b${ctx.step}`);
      assert.ok(ctx.gradNormBefore >= ctx.gradNormAfter);
      assert.ok(ctx.gradNormAfter <= 0.5 + 1e-6);
      assert.equal(ctx.clipped, ctx.gradNormBefore > 0.5);
      weightBefore = ctx.layers[0].params[0].value[0];
    },
    afterUpdate(ctx: StepContext) {
      seen.push(`u${ctx.step}`);
      assert.notEqual(ctx.layers[0].params[0].value[0], weightBefore);
    },
    onStep: () => void onSteps++,
  };
  const spec = mlp({ clipping: { mode: 'norm', norm: 0.5 } });
  const observed = await train(spec, blobData(), { observers: [observer] });
  const plain = await train(spec, blobData());
  assert.deepEqual(seen.slice(0, 4), ['b10', 'u10', 'b20', 'u20']);
  assert.equal(seen.length, 2 * 9);
  assert.equal(onSteps, 90);
  assert.deepEqual(observed.losses, plain.losses);
});

test('non-finite forward output is reported at the first layer that produced it, weights untouched', async () => {
  const spec = mlp({}, [dense(8), act('tanh'), dense(8, { init: init('constant', { value: 1e38 }) }), act('relu'), dense(3)]);
  const trainer = new Trainer(spec, blobData(), { yieldEveryMs: 0 });
  const events: TrainerEvent[] = [];
  trainer.on((e) => events.push(e));
  const summary = await trainer.run();
  assert.equal(summary.status, 'non-finite');
  assert.deepEqual(summary.nonFinite, { step: 1, layer: { index: 2, name: 'dense_2' }, stage: 'forward' });
  assert.deepEqual(events.find((e) => e.type === 'non-finite'), { type: 'non-finite', report: summary.nonFinite });
  assert.equal(summary.steps, 0);
  assert.ok(trainer.layers[2].params[0].value.every((v) => v === Math.fround(1e38)));
});

test('non-finite gradients are reported at the loss or the backward layer, before any update', async () => {
  // A dead ReLU feeds zeros into dense_2, whose huge weights are harmless forward but overflow dInput.
  const x = [[1], [2], [3], [4]];
  const data = regressionData(x, [[100], [100], [100], [100]], x, [[100], [100], [100], [100]]);
  const layers = [dense(4, { init: init('zeros'), biasInit: init('constant', { value: -1 }) }), act('relu'), dense(1, { init: init('constant', { value: 1e38 }) })];
  const back = await train(makeSpec({ layers, loss: 'mse', batchSize: 4, data: { ...makeSpec({ layers: [] }).data, task: 'regression' } }), data);
  assert.deepEqual(back.summary.nonFinite, { step: 1, layer: { index: 2, name: 'dense_2' }, stage: 'backward' });
  assert.ok(back.trainer.layers[2].params[0].value.every((v) => v === Math.fround(1e38)));

  // Forward, loss and its gradient are finite, but the weight gradient x·dY = 1e20 · 2e19 overflows float32.
  const overflowing = [dense(1, { init: init('constant', { value: 1e-30 }) })];
  const weightGrad = await train(makeSpec({ layers: overflowing, loss: 'mse', batchSize: 1, data: back.trainer.spec.data }), regressionData([[1e20]], [[1e19]], x, x));
  assert.deepEqual(weightGrad.summary.nonFinite, { step: 1, layer: { index: 0, name: 'dense_1' }, stage: 'backward' });
  assert.equal(weightGrad.trainer.layers[0].params[0].value[0], Math.fround(1e-30));

  // An output of 3e38 is finite in float32, but the MSE gradient 2(o - y) overflows it.
  const big = [dense(1, { init: init('constant', { value: 3e38 }) })];
  const loss = await train(makeSpec({ layers: big, loss: 'mse', batchSize: 1, data: back.trainer.spec.data }), regressionData([[1], [1]], [[0], [0]], x, x));
  assert.deepEqual(loss.summary.nonFinite, { step: 1, layer: { index: 0, name: 'dense_1' }, stage: 'loss' });
});

test('an update that overflows is undone and reported with stage update', async () => {
  const spec = mlp({ optimizer: { type: 'sgd', lr: 1e300, momentum: 0, nesterov: false } }, [dense(8), act('tanh'), dense(3)]);
  const trainer = new Trainer(spec, blobData(), { yieldEveryMs: 0 });
  const before = trainer.layers.map((l) => l.params.map((p) => Array.from(p.value)));
  let stepsSeen = 0;
  trainer.on((e) => e.type === 'step' && stepsSeen++);
  const summary = await trainer.run();
  assert.equal(summary.status, 'non-finite');
  assert.equal(summary.nonFinite!.stage, 'update');
  assert.equal(stepsSeen, summary.steps);
  assert.equal(summary.steps, 0);
  assert.deepEqual(trainer.layers.map((l) => l.params.map((p) => Array.from(p.value))), before);
});

// lr / (1 - β1) overflows float64 too, so the very first step is non-finite on both paths.
test('an Adam update that overflows is undone too, on the wasm kernel path as well as in float64', async () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const spec = mlp({ optimizer: { type: 'adam', lr: 1e308, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } }, [dense(8), act('tanh'), dense(3)]);
    const trainer = new Trainer(spec, blobData(), { yieldEveryMs: 0, dtype });
    const before = trainer.layers.map((l) => l.params.map((p) => Array.from(p.value)));
    const summary = await trainer.run();
    assert.equal(summary.status, 'non-finite', dtype);
    assert.equal(summary.nonFinite!.stage, 'update', dtype);
    assert.equal(summary.steps, 0);
    assert.deepEqual(trainer.layers.map((l) => l.params.map((p) => Array.from(p.value))), before, dtype);
  }
});

test('divergence stops at the first non-finite value and keeps the last finite weights', async () => {
  const xs = Array.from({ length: 200 }, (_, i) => [-10 + (20 * i) / 199]);
  const data = regressionData(xs, xs.map((x) => [5 * Math.sin(x[0])]), xs.slice(0, 40), xs.slice(0, 40).map((x) => [5 * Math.sin(x[0])]));
  const layers = [dense(16, { init: init('he') }), act('relu'), dense(16, { init: init('he') }), act('relu'), dense(1)];
  const spec = makeSpec({ layers, loss: 'mse', epochs: 50, optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false }, data: { ...makeSpec({ layers: [] }).data, task: 'regression' } });
  let lastUpdated: number[] = [];
  const snapshot = (ctx: StepContext) => ctx.layers.flatMap((l) => l.params.flatMap((p) => Array.from(p.value)));
  const observer: TrainingObserver = { wants: () => true, afterBackward: () => undefined, afterUpdate: (ctx) => void (lastUpdated = snapshot(ctx)) };
  const { trainer, summary } = await train(spec, data, { observers: [observer] });
  assert.equal(summary.status, 'non-finite');
  assert.ok(summary.steps > 0);
  assert.equal(summary.nonFinite!.step, summary.steps + 1);
  assert.ok(summary.nonFinite!.layer !== null);
  const now = trainer.layers.flatMap((l) => l.params.flatMap((p) => Array.from(p.value)));
  assert.ok(now.every(Number.isFinite));
  assert.deepEqual(now, lastUpdated);
});

test('early stopping restores the best epoch weights and batch-norm statistics', async () => {
  // Validation labels contradict the training labels, so validation loss rises as training succeeds.
  const t = blobs(120, 3, 4);
  const data = classificationData(t.x, t.y, t.x, t.y.map((y) => (y + 1) % 3), 3);
  const spec = mlp({ epochs: 30, earlyStopping: { patience: 3, minDelta: 0 } });
  const trainer = new Trainer(spec, data, { yieldEveryMs: 0 });
  const saved = new Map<number, number[]>();
  trainer.on((e) => {
    if (e.type === 'epoch') saved.set(e.metrics.epoch, trainer.layers.flatMap((l) => [...l.params.flatMap((p) => Array.from(p.value)), ...l.state.flatMap((s) => Array.from(s.value))]));
  });
  const epochs: number[] = [];
  trainer.on((e) => e.type === 'epoch' && epochs.push(e.metrics.valLoss!));
  const summary = await trainer.run();
  assert.equal(summary.status, 'early-stopped');
  const best = epochs.indexOf(Math.min(...epochs)) + 1;
  assert.equal(summary.restoredEpoch, best);
  assert.equal(summary.epochs, best + 3);
  assert.ok(summary.epochs < 30);
  const now = trainer.layers.flatMap((l) => [...l.params.flatMap((p) => Array.from(p.value)), ...l.state.flatMap((s) => Array.from(s.value))]);
  assert.deepEqual(now, saved.get(best));
  assert.notDeepEqual(now, saved.get(summary.epochs));
  assert.equal(trainer.evaluate('val').loss, epochs[best - 1]);
  assert.equal(summary.final.valLoss, epochs[best - 1]);
});

const OPTIMISERS: OptimizerSpec[] = [
  { type: 'sgd', lr: 0.1, momentum: 0, nesterov: false },
  { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: false },
  { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
  { type: 'adagrad', lr: 0.1, epsilon: 1e-10 },
  { type: 'rmsprop', lr: 0.01, decay: 0.9, epsilon: 1e-7 },
  { type: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
];

for (const optimizer of OPTIMISERS) {
  const label = optimizer.type === 'sgd' ? `sgd (momentum ${optimizer.momentum}, nesterov ${optimizer.nesterov})` : optimizer.type;
  test(`optimiser ${label} trains a small model: loss falls`, async () => {
    const { epochs, summary } = await train(mlp({ optimizer, epochs: 8 }, [dense(16, { init: init('he') }), act('relu'), dense(3)]), blobData(3));
    assert.equal(summary.status, 'completed');
    assert.ok(epochs[7].loss < 0.6 * epochs[0].loss, `loss ${epochs[0].loss} -> ${epochs[7].loss}`);
    assert.ok(epochs[7].valAccuracy! > 0.8);
  });
}

const INITS: InitKind[] = ['zeros', 'constant', 'small-gaussian', 'xavier', 'xavier-uniform', 'he', 'he-uniform', 'lecun'];

for (const kind of INITS) {
  test(`initialiser ${kind} trains a small model: loss falls`, async () => {
    // tanh hidden layer: even a symmetric (zeros/constant) start learns, the output layer breaking the tie.
    const layers = [dense(16, { init: init(kind, { value: 0.1 }) }), act('tanh'), dense(3, { init: init('xavier') })];
    const { epochs } = await train(mlp({ epochs: 8 }, layers), blobData(5));
    assert.ok(epochs[7].loss < 0.6 * epochs[0].loss, `loss ${epochs[0].loss} -> ${epochs[7].loss}`);
  });
}

test('binary classification with one sigmoid output and BCE; regression with MSE', async () => {
  const t = blobs(200, 2, 8);
  const v = blobs(60, 2, 9);
  const bin = await train(
    makeSpec({ layers: [dense(8, { init: init('he') }), act('relu'), dense(1), act('sigmoid')], loss: 'binary-cross-entropy', epochs: 10 }),
    classificationData(t.x, t.y, v.x, v.y, 2),
  );
  assert.equal(bin.trainer.summary().outputs, 1);
  assert.ok(bin.summary.final.valAccuracy! > 0.95, `${bin.summary.final.valAccuracy}`);
  const xs = Array.from({ length: 200 }, (_, i) => [-Math.PI + (2 * Math.PI * i) / 199]);
  const reg = await train(
    makeSpec({ layers: [dense(16, { init: init('xavier') }), act('tanh'), dense(1)], loss: 'mse', epochs: 60, data: { ...makeSpec({ layers: [] }).data, task: 'regression' } }),
    regressionData(xs, xs.map((x) => [Math.sin(x[0])]), xs.slice(0, 40), xs.slice(0, 40).map((x) => [Math.sin(x[0])])),
  );
  assert.equal(reg.summary.final.accuracy, null);
  assert.ok(reg.summary.final.valLoss! < 0.02, `sine val mse ${reg.summary.final.valLoss}`);
});

test('activation buffers are allocated once per batch size and reused on every step', async () => {
  // 240 samples in batches of 16: every step has the same batch size, so every step must see the same buffers.
  const seen = new Map<number, Set<unknown>>();
  const observer: TrainingObserver = {
    wants: () => true,
    afterBackward(ctx) {
      ctx.layers.forEach((l) => {
        const s = seen.get(l.position) ?? new Set();
        s.add(l.lastOutput);
        s.add(l.lastInput);
        seen.set(l.position, s);
      });
    },
    afterUpdate: () => undefined,
  };
  await train(mlp({ epochs: 3 }), blobData(), { observers: [observer] });
  // the first layer reads the two batch buffers in turn (the next batch is gathered while one trains)
  for (const [position, buffers] of seen) assert.equal(buffers.size, position === 0 ? 3 : 2, `layer ${position} used ${buffers.size} buffers`);
});
