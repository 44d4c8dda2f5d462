// The extension's list of finished runs per model, which the panel compares two of.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FinishedRuns, MAX_MODELS, RUNS_PER_MODEL } from '../../src/extension/finished-runs';

const ids = (runs: readonly { runId: string }[]) => runs.map((r) => r.runId);

test('keeps the newest runs of each model first, bounded, without repeating a run', () => {
  const list = new FinishedRuns<{ runId: string }>((r) => r.runId);
  for (let i = 1; i <= RUNS_PER_MODEL + 3; i++) list.add('a.nn.json', { runId: `a${i}` });
  list.add('b.nn.json', { runId: 'b1' });
  list.add('a.nn.json', { runId: `a${RUNS_PER_MODEL + 3}` });
  assert.deepEqual(ids(list.of('a.nn.json')), Array.from({ length: RUNS_PER_MODEL }, (_, i) => `a${RUNS_PER_MODEL + 3 - i}`));
  assert.deepEqual(ids(list.of('b.nn.json')), ['b1'], 'models do not mix');
  assert.deepEqual(ids(list.of('c.nn.json')), []);
});

test('forgets the model that finished a run least recently once too many models are remembered', () => {
  const list = new FinishedRuns<{ runId: string }>((r) => r.runId);
  for (let m = 0; m <= MAX_MODELS; m++) list.add(`m${m}`, { runId: `r${m}` });
  assert.deepEqual(ids(list.of('m0')), [], 'the oldest model is forgotten');
  assert.deepEqual(ids(list.of(`m${MAX_MODELS}`)), [`r${MAX_MODELS}`]);
  list.add('m1', { runId: 'again' });
  list.add('new', { runId: 'n' });
  assert.deepEqual(ids(list.of('m1')), ['again', 'r1'], 'a model that just finished a run is kept');
  assert.deepEqual(ids(list.of('m2')), [], 'the next oldest goes instead');
});
