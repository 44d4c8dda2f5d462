// The panel's store and its persistence, in Node: bounded history, run bookkeeping, non-finite values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeNumbers, isToWebview, type ToWebview } from '../../src/shared/protocol';
import { restoreStore, serializeStore } from '../../webview/persist';
import { Series } from '../../webview/series';
import { PanelStore } from '../../webview/store';
import { loadFixture } from './harness';

const messages = (run: number): ToWebview[] =>
  loadFixture().runs[run]!.map((m) => {
    const decoded = decodeNumbers(m);
    assert.ok(isToWebview(decoded), 'every fixture message passes the protocol check');
    return decoded;
  });

test('a series stays bounded, keeps x order, full recent resolution and non-finite markers', () => {
  const s = new Series(100);
  for (let x = 1; x <= 20_000; x++) s.push(x, x === 50 ? Infinity : x);
  assert.ok(s.points.length <= 100, `length ${s.points.length}`);
  for (let i = 1; i < s.points.length; i++) assert.ok(s.points[i]!.x > s.points[i - 1]!.x);
  assert.equal(s.last!.x, 20_000);
  // The newest points are still one step apart; the oldest are far apart.
  assert.equal(s.points[s.points.length - 1]!.x - s.points[s.points.length - 2]!.x, 1);
  assert.ok(s.points[1]!.x - s.points[0]!.x > 100);
  assert.ok(s.points.some((p) => Number.isNaN(p.y)), 'the Infinity at step 50 survived thinning as a gap marker');
  const same = s.points;
  s.push(20_001, 1);
  assert.equal(s.points, same, 'thinning mutates in place, so charts keep their data reference');
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
