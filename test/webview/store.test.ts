// The panel's store and its persistence, in Node: bounded history, run bookkeeping, non-finite values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeNumbers, encodeNumbers, isToWebview, replayMessages, type ProgressBatch, type ToWebview } from '../../src/shared/protocol';
import { RunHistory, SAVED_CAPACITY } from '../../src/shared/history';
import { restoreStore, serializeStore } from '../../webview/persist';
import { PanelStore } from '../../webview/store';
import { loadFixture } from './harness';

const messages = (run: number): ToWebview[] =>
  loadFixture().runs[run]!.map((m) => {
    const decoded = decodeNumbers(m);
    assert.ok(isToWebview(decoded), 'every fixture message passes the protocol check');
    return decoded;
  });

test('progress of other runs is ignored; a retrain keeps the previous run for comparison', () => {
  const store = new PanelStore();
  const run1 = messages(0);
  for (const m of run1) store.apply(m);
  assert.equal(store.current!.info.runId, 'run-1');
  assert.equal(store.current!.state, 'finished');
  assert.equal(store.current!.findings.length, 5);
  const hostile = store.current!.layers.find((l) => l.position === 2)!;
  assert.ok(Number.isNaN(hostile.latest!.gradNorm!), 'the raw latest value keeps NaN for the table');
  const steps = store.current!.loss.points.length;
  store.apply({ type: 'progress', runId: 'someone-else', batch: { steps: [{ step: 9999, epoch: 1, loss: 1, lr: 1 }], epochs: [], probes: [], findings: null } });
  assert.equal(store.current!.loss.points.length, steps);
  for (const m of messages(1)) store.apply(m);
  assert.equal(store.current!.info.runId, 'run-2');
  assert.equal(store.previous!.info.runId, 'run-1');
  assert.equal(store.current!.findings.length, 0);
});

test('saved state survives JSON (as VS Code stores it) with NaN and Infinity intact', () => {
  const store = new PanelStore();
  for (const m of messages(0)) store.apply(m);
  const saved = JSON.parse(JSON.stringify(serializeStore(store)));
  const restored = new PanelStore();
  assert.ok(restoreStore(restored, saved));
  const run = restored.current!;
  assert.equal(run.info.model.name, 'spiral (lr too high)');
  assert.equal(run.findings.length, 5);
  assert.equal(run.findings.find((f) => f.code === 'exploding-gradients')!.evidence.value, Infinity);
  assert.ok(Number.isNaN(run.layers.find((l) => l.position === 2)!.latest!.gradNorm!));
  assert.ok(run.layers[0]!.gradNorm.points.length > 50);
  assert.equal(restoreStore(new PanelStore(), { v: 999 }), false, 'state from another version is ignored');
  assert.equal(restoreStore(new PanelStore(), null), false);
});

// A long synthetic run (thinned in every list), fed to the extension's history and to a panel in batches.
function longRun(): { info: Extract<ToWebview, { type: 'run-start' }>['run']; batches: ProgressBatch[] } {
  const layer = { index: 0, name: 'dense_1', position: 0, kind: 'dense', inputSize: 2, outputSize: 4, paramCount: 12 };
  const info = { runId: 'long', modelPath: '/m.nn.json', seed: 1, startedAt: 0, model: { name: 'long', inputs: 2, outputs: 4, task: 'classification' as const, trainSamples: 10, valSamples: 2, paramCount: 12, layers: [layer], kernel: 'js', dtype: 'float32' as const } };
  const batches: ProgressBatch[] = [];
  let step = 0;
  for (let b = 0; step < 12_345; b++) {
    const batch: ProgressBatch = { steps: [], epochs: [], probes: [], findings: null, visuals: [] };
    for (let i = 0; i < 1 + ((b * 37) % 90); i++) {
      step++;
      batch.steps.push({ step, epoch: 1 + Math.floor(step / 500), loss: 1 / step, lr: 0.1 });
      if (step % 5 === 0) batch.probes.push({ step, epoch: 1, loss: 1 / step, lr: 0.1, clipping: null, layers: [{ ...layer, gradNorm: Math.sin(step), biasGradNorm: null, weightNorm: 1, updateRatio: 1e-3, histogram: null, activationMean: 0, activationStd: 1, deadRatio: null, saturationRatio: null, batchNorm: null, nonFinite: 0 }] });
      if (step % 7 === 0) batch.visuals!.push({ step, epoch: 1, boundary: null, points: null, layers: [{ position: 0, name: 'dense_1', kind: 'dense', output: null, units: null, weighted: true, weights: [step], weightQuantiles: [-step, step], gradQuantiles: [-1, 1] }] });
      if (step % 500 === 0) batch.epochs.push({ epoch: step / 500, step, loss: 1 / step, accuracy: 0.5, valLoss: 1, valAccuracy: 0.5, lr: 0.1, durationMs: 1, samplesPerSecond: 1 });
    }
    batches.push(batch);
  }
  return { info, batches };
}

function shown(store: PanelStore) {
  const run = store.current!;
  const xy = (s: { points: { x: number; y: number }[] }) => s.points.map((p) => `${p.x}:${p.y}`).join(' ');
  return {
    loss: xy(run.loss),
    valLoss: xy(run.valLoss),
    layers: run.layers.map((l) => [xy(l.gradNorm), xy(l.updateRatio), ...l.weightBands.map(xy)]),
    probes: run.probes,
    pictures: run.pictures.map((v) => v.step),
    lastStep: run.lastStep?.step,
  };
}

test('a reloaded panel shows the same points and probe count as before the reload, however it is rebuilt', () => {
  const { info, batches } = longRun();
  const extension = new RunHistory(); // as src/extension/runs.ts keeps it
  const live = new PanelStore();
  live.apply({ type: 'run-start', run: info });
  const half = batches.length >> 1;
  for (const batch of batches.slice(0, half)) {
    extension.absorb(batch);
    live.apply({ type: 'progress', runId: 'long', batch });
  }
  const before = shown(live);
  assert.equal(before.probes, Math.floor(before.lastStep! / 5), 'every probe counted once');
  assert.ok(live.current!.loss.points.length <= 4001, 'the chart holds the bounded history');
  assert.ok(live.current!.history.steps.stride > 1, 'the run is long enough to be thinned');

  const replay = replayMessages({ info, state: 'running', history: extension, end: null, failure: null, stale: false }).map((m) => decodeNumbers(JSON.parse(JSON.stringify(encodeNumbers(m)))) as ToWebview);
  const fromSaved = new PanelStore();
  assert.ok(restoreStore(fromSaved, JSON.parse(JSON.stringify(serializeStore(live)))));
  const saved = shown(fromSaved);
  assert.equal(saved.probes, before.probes, 'the saved state keeps the probe count');
  assert.equal(saved.lastStep, before.lastStep);
  const lossBefore = new Set(before.loss.split(' '));
  const lossSaved = saved.loss.split(' ');
  assert.ok(lossSaved.length <= SAVED_CAPACITY.steps + 1 && lossSaved.every((p) => lossBefore.has(p)), 'the saved state is the same history, thinned further');
  for (const m of replay) fromSaved.apply(m);
  assert.deepEqual(shown(fromSaved), before, 'then replayed by the extension: nothing counted twice');
  const fromExtension = new PanelStore();
  for (const m of replay) fromExtension.apply(m);
  assert.deepEqual(shown(fromExtension), before, 'replayed by the extension alone');

  // and all of them go on exactly as the live panel does
  for (const batch of batches.slice(half)) {
    for (const store of [live, fromSaved, fromExtension]) store.apply({ type: 'progress', runId: 'long', batch });
  }
  assert.deepEqual(shown(fromSaved), shown(live));
  assert.deepEqual(shown(fromExtension), shown(live));
  assert.equal(live.current!.probes, Math.floor(live.current!.lastStep!.step / 5));
});

test('the finished runs listed for comparison are dropped when a run of another model starts', () => {
  const store = new PanelStore();
  const [start] = messages(0) as [Extract<ToWebview, { type: 'run-start' }>];
  store.apply(start);
  store.apply({ type: 'finished-runs', modelPath: start.run.modelPath, runs: [] });
  store.apply({ ...start, run: { ...start.run, runId: 'again' } });
  assert.equal(store.finishedRuns?.modelPath, start.run.modelPath, 'kept for a new run of the same model');
  store.apply({ ...start, run: { ...start.run, runId: 'other', modelPath: '/elsewhere/other.nn.json' } });
  assert.equal(store.finishedRuns, null);
});
