// The repair loop on real runs: a fix that cures its finding is kept, one that does not is rejected and
// the finding's next fix is tried, the rounds limit holds, the result is the kept fixes applied in order,
// and cancelling keeps what was kept so far.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { prepareSpec } from '../../src/engine/session';
import { repairModel, type RepairEvent, type RepairResult } from '../../src/engine/repair';
import { applyFix } from '../../src/engine/fixes';
import { readDataFiles } from '../../src/cli/data-files';
import type { DataFiles } from '../../src/engine/data/dataset';

const BROKEN = path.join(__dirname, '..', '..', 'examples', 'broken');

function example(name: string): { text: string; file: string; files: DataFiles } {
  const file = path.join(BROKEN, `${name}.nn.json`);
  const text = fs.readFileSync(file, 'utf8');
  return { text, file, files: readDataFiles(prepareSpec(text, file), file) };
}

/** The result text must be exactly the kept fixes applied to the original, in order; each kept one improved. */
function assertConsistent(original: string, r: RepairResult): void {
  let text = original;
  for (const a of r.attempts.filter((x) => x.kept)) {
    text = applyFix(text, a.fixId);
    assert.ok(a.after !== null && (r.metric === 'accuracy' ? a.after >= a.before : a.after < a.before), `${a.fixId} was kept without improving`);
  }
  assert.equal(r.text, text);
  r.attempts.forEach((a, i) => assert.equal(a.round, i + 1));
}

test('repair keeps a fix that clears its finding and improves validation accuracy', async () => {
  const { text, file, files } = example('missing-activation-circles');
  const events: RepairEvent[] = [];
  const r = await repairModel(text, file, files, { onRound: (e) => events.push(e) });
  assert.equal(r.metric, 'accuracy');
  const first = r.attempts[0];
  assert.equal(first.code, 'missing-activation');
  assert.equal(first.kept, true, first.why);
  assert.ok(r.final > r.initial, `accuracy ${r.initial} -> ${r.final}`);
  assert.ok(!r.findings.some((f) => f.code === 'missing-activation' && f.severity !== 'info'));
  assertConsistent(text, r);
  assert.deepEqual(events.slice(0, 3).map((e) => e.type), ['baseline', 'try', 'result']);
  assert.equal(r.cancelled, false);
});

test('repair rejects a fix that leaves its finding, then tries the same finding\'s next fix', async () => {
  // a threshold no fix offered can get under: both fixes must be tried and both rejected
  const text = JSON.stringify({
    seed: 4,
    data: { source: 'circles', samples: 300, noise: 0.1 },
    layers: [{ type: 'dense', units: 32, activation: 'relu', name: 'hidden' }, { type: 'dropout', rate: 0.5, name: 'drop' }, { type: 'dense', units: 2 }],
    loss: 'softmax-cross-entropy',
    optimizer: { type: 'adam', lr: 0.02 },
    epochs: 10,
  }, null, 2);
  const r = await repairModel(text, 'drop.nn.json', {}, { rounds: 2, thresholds: { 'dropout-too-high': { maxRate: 0.01 } } });
  assert.equal(r.attempts.length, 2);
  for (const a of r.attempts) {
    assert.equal(a.code, 'dropout-too-high');
    assert.equal(a.kept, false);
    assert.match(a.why, /still there/);
    assert.notEqual(a.after, null);
  }
  assert.notEqual(r.attempts[0].fixId, r.attempts[1].fixId);
  assert.equal(r.text, text, 'nothing kept, nothing changed');
  assert.equal(r.final, r.initial);
});

test('repair stops at the rounds limit and never counts the first training as a round', async () => {
  const { text, file, files } = example('unscaled-targets-used-car-prices');
  const none = await repairModel(text, file, files, { rounds: 0 });
  assert.deepEqual(none.attempts, []);
  assert.equal(none.text, text);
  assert.equal(none.metric, 'loss');
  const one = await repairModel(text, file, files, { rounds: 1 });
  assert.equal(one.attempts.length, 1);
  assertConsistent(text, one);
  const four = await repairModel(text, file, files, { rounds: 4 });
  assert.ok(four.attempts.length <= 4 && four.attempts.length >= 1);
  assertConsistent(text, four);
  // the same seed, the same path: the loop is deterministic
  assert.deepEqual((await repairModel(text, file, files, { rounds: 1 })).attempts, one.attempts);
});

test('cancelling stops the training under way and returns the text with the edits kept so far', async () => {
  const { text, file, files } = example('missing-activation-circles');
  const abort = new AbortController();
  const r = await repairModel(text, file, files, { signal: abort.signal, onRound: (e) => { if (e.type === 'try') abort.abort(); } });
  assert.equal(r.cancelled, true);
  assert.equal(r.attempts.length, 1);
  assert.equal(r.attempts[0].kept, false);
  assert.equal(r.attempts[0].why, 'cancelled');
  assert.equal(r.text, text);
});
