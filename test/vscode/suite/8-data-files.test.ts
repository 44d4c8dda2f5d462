import * as assert from 'node:assert/strict';
import { train, workspaceFile, writeModel } from './helpers';

describe('data files', () => {
  it('trains a model on a workspace CSV read through workspace.fs', async () => {
    const outcome = await train(workspaceFile('csv-example.nn.json'), { epochs: 3 });
    assert.equal(outcome?.kind, 'finished', JSON.stringify(outcome).slice(0, 300));
    assert.ok(outcome.kind === 'finished' && outcome.summary.epochs === 3);
  });

  it('names the missing data file instead of starting a run', async () => {
    const uri = await writeModel(
      'missing-data.nn.json',
      JSON.stringify({ name: 'missing', data: { source: 'data/nowhere.csv', target: 'y', task: 'regression' }, layers: [{ type: 'dense', units: 1 }], loss: 'mse', epochs: 1 }),
    );
    const outcome = await train(uri);
    assert.equal(outcome?.kind, 'failed');
    assert.match(outcome.kind === 'failed' ? outcome.message : '', /data\/nowhere\.csv/);
  });
});
