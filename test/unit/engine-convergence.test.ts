// Convergence on real problems, end to end from `.nn.json` text: parseModel -> loadDataset -> Trainer.
// Fixed seeds; each threshold is the one the issue sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';

async function trainText(text: object) {
  const parsed = parseModel(JSON.stringify(text), 'model.nn.json');
  if (!parsed.ok) assert.fail(parsed.issues.map((i) => i.message).join('\n'));
  const data = loadDataset(parsed.spec, {});
  const trainer = new Trainer(parsed.spec, data, { yieldEveryMs: 0 });
  const summary = await trainer.run();
  assert.equal(summary.status, 'completed');
  return { trainer, summary, data };
}

test('xor: 100 % training and validation accuracy', async () => {
  const { trainer, summary } = await trainText({
    name: 'xor',
    seed: 3,
    data: { source: 'xor', samples: 400, noise: 0.3 },
    layers: [{ type: 'dense', units: 32, activation: 'tanh' }, { type: 'dense', units: 1 }, { type: 'sigmoid' }],
    loss: 'binary-cross-entropy',
    optimizer: { type: 'adam', lr: 0.01 },
    epochs: 100,
    batchSize: 16,
  });
  assert.equal(summary.final.valAccuracy, 1);
  assert.equal(trainer.evaluate('train').accuracy, 1);
});

test('3-class spiral: >= 95 % validation accuracy', async () => {
  const { summary } = await trainText({
    name: 'spiral',
    seed: 7,
    data: { source: 'spiral', samples: 600, classes: 3, noise: 0.2 },
    layers: [
      { type: 'dense', units: 64, init: 'he', activation: 'relu' },
      { type: 'dense', units: 64, init: 'he', activation: 'relu' },
      { type: 'dense', units: 3, init: 'xavier' },
    ],
    loss: 'softmax-cross-entropy',
    optimizer: { type: 'adam', lr: 0.01 },
    epochs: 80,
    batchSize: 32,
  });
  assert.ok(summary.final.valAccuracy! >= 0.95, `spiral val accuracy ${summary.final.valAccuracy}`);
});

test('iris: >= 93 % validation accuracy', async () => {
  const { summary, data } = await trainText({
    name: 'iris',
    seed: 1,
    data: { source: 'iris', validationSplit: 0.2, preprocess: 'standardize' },
    layers: [{ type: 'dense', units: 16, activation: 'relu', init: 'he' }, { type: 'dense', units: 3 }, { type: 'softmax' }],
    loss: 'softmax-cross-entropy',
    optimizer: { type: 'adam', lr: 0.01 },
    epochs: 60,
    batchSize: 16,
  });
  assert.equal(data.val.n, 30);
  assert.ok(summary.final.valAccuracy! >= 0.93, `iris val accuracy ${summary.final.valAccuracy}`);
});

test('MNIST 5000 / 1000: >= 93 % validation accuracy within a few epochs', async () => {
  const { summary, data, trainer } = await trainText({
    name: 'mnist',
    seed: 1,
    data: { source: 'mnist', samples: 6000, validationSplit: 1000 / 6000 },
    layers: [{ type: 'dense', units: 128, activation: 'relu', init: 'he' }, { type: 'dense', units: 10 }],
    loss: 'softmax-cross-entropy',
    optimizer: { type: 'adam', lr: 0.001 },
    epochs: 5,
    batchSize: 32,
  });
  assert.equal(data.train.n, 5000);
  assert.equal(data.val.n, 1000);
  assert.equal(trainer.summary().dtype, 'float32');
  assert.ok(summary.final.valAccuracy! >= 0.93, `MNIST val accuracy ${summary.final.valAccuracy}`);
});

test('determinism: a worker thread reproduces the main thread loss curve bit for bit', async () => {
  const { Worker } = await import('node:worker_threads');
  const model = JSON.stringify({
    name: 'spiral',
    seed: 11,
    data: { source: 'spiral', samples: 300 },
    layers: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'batchnorm' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 3 }],
    loss: 'softmax-cross-entropy',
    epochs: 5,
  });
  const parsed = parseModel(model, 'model.nn.json');
  if (!parsed.ok) assert.fail('model did not parse');
  const trainer = new Trainer(parsed.spec, loadDataset(parsed.spec, {}), { yieldEveryMs: 0 });
  const main: number[] = [];
  trainer.on((e) => e.type === 'step' && main.push(e.metrics.loss));
  await trainer.run();
  // The worker registers tsx itself so it can load the TypeScript engine, as the bundled worker would run it.
  const entry = JSON.stringify(fileURLToPath(new URL('./engine-determinism-worker.ts', import.meta.url)));
  const boot = `require('tsx/cjs/api').register(); require(${entry});`;
  const worker = new Worker(boot, { eval: true, workerData: model });
  const fromWorker = await new Promise<number[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  assert.equal(main.length, 5 * Math.ceil(240 / 32));
  assert.deepEqual(fromWorker, main);
});
