// The eval's judgement of one repair and of a zoo header, on hand-made runs (no training):
//   node --import tsx --test test/zoo/eval-scoring.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeader, repaired } from '../../scripts/eval-diagnosis';

type Run = Parameters<typeof repaired>[0];

const run = (metric: number | null, task: Run['task'], codes: [string, 'error' | 'warning' | 'info'][] = []): Run => ({
  metric,
  task,
  status: metric === null ? 'non-finite' : 'completed',
  ms: 1,
  findings: codes.map(([code, severity]) => ({ code, severity, layer: null, layers: [], preferredFix: null })),
});

test('a repair holds when the finding is gone and the validation metric moved the right way', () => {
  assert.equal(repaired(run(0.5, 'classification', [['dead-relu', 'warning']]), run(0.9, 'classification'), 'dead-relu'), true);
  assert.equal(repaired(run(2.0, 'regression', [['overfitting', 'warning']]), run(1.0, 'regression'), 'overfitting'), true);
  // a non-finite run is worse than any finite one
  assert.equal(repaired(run(null, 'regression', [['non-finite', 'error']]), run(50, 'regression'), 'non-finite'), true);
});

test('a repair fails when the finding stays a warning, the metric does not improve, or the run goes non-finite', () => {
  assert.equal(repaired(run(0.5, 'classification'), run(0.9, 'classification', [['dead-relu', 'warning']]), 'dead-relu'), false);
  assert.equal(repaired(run(0.9, 'classification'), run(0.9, 'classification'), 'dead-relu'), false);
  assert.equal(repaired(run(1.0, 'regression'), run(1.5, 'regression'), 'overfitting'), false);
  assert.equal(repaired(run(0.5, 'classification'), run(null, 'classification'), 'dead-relu'), false);
  // demoted to information, the finding no longer asks for a change
  assert.equal(repaired(run(0.5, 'classification'), run(0.9, 'classification', [['dead-relu', 'info']]), 'dead-relu'), true);
});

test('headers name codes and layers, a dash for the whole model, or say the model is healthy', () => {
  assert.deepEqual(parseHeader('// BROKEN (dead-relu|poor-initialization) layers: dense_1,dense_2: why', 'f'), {
    kind: 'broken',
    codes: ['dead-relu', 'poor-initialization'],
    layers: ['dense_1', 'dense_2'],
  });
  assert.deepEqual(parseHeader('// BROKEN (loss-plateau) layers: -: why', 'f').layers, []);
  assert.equal(parseHeader('// BROKEN (loss-plateau): why, layers unsaid', 'f').layers, null);
  assert.equal(parseHeader('// HEALTHY: why', 'f').kind, 'healthy');
  assert.throws(() => parseHeader('{', 'm.nn.json'), /m\.nn\.json:1: expected/);
});
