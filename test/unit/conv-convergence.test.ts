// The CNN examples converge end to end (parseModel -> loadDataset -> Trainer on the float32 path, as the
// extension runs them). The floors sit a few points under what PyTorch reaches on the same model, data and
// settings (bench/torch_cnn.py), so a broken conv kernel or pooling gradient cannot pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';

const examples = path.join(__dirname, '..', '..', 'examples');

async function trainExample(file: string, seed?: number) {
  const parsed = parseModel(fs.readFileSync(path.join(examples, file), 'utf8'), file);
  if (!parsed.ok) assert.fail(parsed.issues.map((i) => i.message).join('\n'));
  const spec = seed === undefined ? parsed.spec : { ...parsed.spec, seed };
  const trainer = new Trainer(spec, loadDataset(spec, {}), { yieldEveryMs: 0 });
  const summary = await trainer.run();
  assert.equal(summary.status, 'completed');
  return summary;
}

for (const seed of [7, 8]) {
  test(`shapes CNN (seed ${seed}): >= 92 % validation accuracy`, async () => {
    const summary = await trainExample('shapes-cnn.nn.json', seed);
    assert.ok(summary.final.valAccuracy! >= 0.92, `val accuracy ${summary.final.valAccuracy}`);
  });
}

test('MNIST CNN 5000 / 1000: >= 94 % validation accuracy', async () => {
  const summary = await trainExample('mnist-cnn.nn.json');
  assert.ok(summary.final.valAccuracy! >= 0.94, `val accuracy ${summary.final.valAccuracy}`);
});
