// The failure classes of issue 11, each at two seeds other than the file's: the broken model must raise
// its problem loudly (or as information that names a loud cause), and models built to tempt each rule
// into a false alarm (deep tanh nets that train well, batch size 8, a gentle schedule, leaky ReLU) must
// stay quiet. The verdict must not hang on the seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { TrainingSession, prepareSpec } from '../../src/engine/session';
import type { SessionResult } from '../../src/engine/session-api';
import { readDataFiles } from '../../src/cli/data-files';
import type { Finding, FindingCode } from '../../src/engine/types';

const ZOO = path.join(__dirname, '..', '..', 'examples', 'broken');

async function train(text: string, file: string, seed: number): Promise<SessionResult> {
  const files = readDataFiles(prepareSpec(text, file), file);
  return new TrainingSession(text, file, files, { yieldEveryMs: 0, seed }, {}).run();
}

const loud = (fs: Finding[]) => fs.filter((f) => f.severity !== 'info');

/** The problem is reported: loudly, or as information whose cause is reported loudly. */
function reported(findings: Finding[], code: FindingCode): boolean {
  return findings.some((f) => f.code === code && (f.severity !== 'info' || (!!f.explainedBy && loud(findings).some((c) => c.code === f.explainedBy))));
}

const CLASSES: { cls: string; file: string; code: FindingCode; layers?: number }[] = [
  { cls: '1 one cause names every layer', file: 'poor-initialization-tiny-relu-stack', code: 'poor-initialization', layers: 3 },
  { cls: '2 dead ReLUs from their biases', file: 'poor-initialization-negative-biases', code: 'dead-relu' },
  { cls: '3 a schedule that decays to nothing', file: 'loss-plateau-decayed-schedule', code: 'loss-plateau' },
  { cls: '3 plain SGD at 1e-4', file: 'update-ratio-sgd-1e-4', code: 'update-ratio' },
  { cls: '4 zero-centred but unscaled inputs', file: 'unnormalized-input-zero-centred', code: 'unnormalized-input' },
  { cls: '5 explicit linear layers', file: 'missing-activation-explicit-linear', code: 'missing-activation', layers: 2 },
  { cls: '6 a predictable explosion', file: 'poor-initialization-deep-relu-std1', code: 'poor-initialization', layers: 5 },
  { cls: '7 the generalisation gap', file: 'overfitting-wide-net-small-data', code: 'overfitting' },
];

for (const c of CLASSES) {
  test(`class ${c.cls}: ${c.file} reports ${c.code} at seeds 1 and 2`, async () => {
    const full = path.join(ZOO, `${c.file}.nn.json`);
    const text = fs.readFileSync(full, 'utf8');
    for (const seed of [1, 2]) {
      const r = await train(text, full, seed);
      assert.ok(reported(r.findings, c.code), `seed ${seed}: got ${r.findings.map((f) => `${f.severity}:${f.code}`).join(', ') || 'nothing'}`);
      const hit = r.findings.find((f) => f.code === c.code)!;
      if (c.layers) assert.equal(hit.layers.length, c.layers, `seed ${seed}: one finding for every affected layer`);
      assert.equal(hit.fixes.filter((f) => f.preferred).length, 1);
    }
  });
}

test('class 2: dead units that follow from the initial biases get the bias fix, not leaky ReLU', async () => {
  const full = path.join(ZOO, 'poor-initialization-negative-biases.nn.json');
  const r = await train(fs.readFileSync(full, 'utf8'), full, 1);
  const dead = r.findings.find((f) => f.code === 'dead-relu');
  assert.ok(dead, 'the dead units are still shown');
  assert.equal(dead.severity, 'info');
  assert.equal(dead.explainedBy, 'poor-initialization');
  assert.match(dead.fixes.find((f) => f.preferred)!.id, /^bias-init:dense_1,dense_2$/);
});

const model = (layers: unknown[], rest: Record<string, unknown>, data: Record<string, unknown> = { source: 'circles', samples: 400, noise: 0.1, validationSplit: 0.2, preprocess: 'standardize' }) =>
  JSON.stringify({ name: 'tempting', seed: 1, data, layers, loss: 'softmax-cross-entropy', epochs: 30, batchSize: 32, ...rest }, null, 2);
const stack = (n: number, units: number, activation: string, init: string) => Array.from({ length: n }, () => ({ type: 'dense', units, activation, init }));

const TEMPTING: Record<string, string> = {
  // class 9: tanh units do saturate in a deep he-uniform net, but it reaches ~100 %
  'deep tanh with he-uniform init': model([...stack(6, 32, 'tanh', 'he-uniform'), { type: 'dense', units: 2 }], { optimizer: { type: 'adam', lr: 0.003 } }),
  // class 10: single batches of 8 are noisy while the epoch loss falls steadily
  'batch size 8 with momentum': model([...stack(2, 32, 'relu', 'he'), { type: 'dense', units: 2 }], { optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 }, batchSize: 8 }, { source: 'moons', samples: 400, noise: 0.1, validationSplit: 0.2, preprocess: 'standardize' }),
  // class 3: a schedule that decays gently is not a stall
  'exponential schedule 0.95 with dropout': model([{ type: 'dense', units: 64, activation: 'relu', init: 'he' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 3 }], { optimizer: { type: 'adam', lr: 0.01 }, schedule: { type: 'exponential', gamma: 0.95 }, epochs: 40 }, { source: 'spiral', samples: 600, classes: 3, noise: 0.2, validationSplit: 0.2, preprocess: 'standardize' }),
  // class 2: leaky units on their negative slope still learn
  'leaky ReLU': model([...stack(2, 32, 'leaky-relu', 'he'), { type: 'dense', units: 2 }], { optimizer: { type: 'adam', lr: 0.01 }, batchSize: 16 }),
  // class 10: a brisk learning rate on small batches swings the loss, but never back above the untrained loss
  'Adam at 0.01 on batches of 8': model([...stack(2, 64, 'relu', 'he'), { type: 'dense', units: 3 }], { optimizer: { type: 'adam', lr: 0.01 }, batchSize: 8, epochs: 20 }, { source: 'spiral', samples: 450, classes: 3, noise: 0.15, validationSplit: 0.25, preprocess: 'standardize' }),
  // class 6: a shallow sigmoid net with Xavier init is predicted at the right scale
  'shallow sigmoid with Xavier init': model([{ type: 'dense', units: 16, activation: 'sigmoid', init: 'xavier' }, { type: 'dense', units: 3, init: 'xavier' }], { optimizer: { type: 'adam', lr: 0.01 } }, { source: 'blobs', samples: 300, classes: 3, noise: 0.5, validationSplit: 0.2, preprocess: 'standardize' }),
};

for (const [name, text] of Object.entries(TEMPTING)) {
  test(`tempting healthy model stays quiet at seeds 1-3: ${name}`, async () => {
    for (const seed of [1, 2, 3]) {
      const r = await train(text, path.join(ZOO, 'tempting.nn.json'), seed);
      assert.deepEqual(loud(r.findings).map((f) => `${f.code}@${f.layer?.name ?? f.field}: ${f.message}`), [], `seed ${seed}`);
    }
  });
}

const TEST_ZOO = path.join(__dirname, '..', 'zoo', 'broken');

// The learning rate behind a loss that jumps back above the untrained network's: Adam at 1 kills most ReLU
// units in its first epoch and the loss then lies flat, so the end of the curve looks calm; the jump names
// the cause. The dead units stay a warning too, with the same fix: they are evidence of the same overshoot.
test('class 10: a loss that jumps above the untrained loss is the learning rate, even when ReLUs die with it', async () => {
  const full = path.join(TEST_ZOO, 'diverging-adam-lr-one-spiral.nn.json');
  const text = fs.readFileSync(full, 'utf8');
  for (const seed of [1, 4]) {
    const r = await train(text, full, seed);
    const lr = loud(r.findings).find((f) => f.code === 'loss-diverging' || f.code === 'loss-oscillating');
    assert.ok(lr, `seed ${seed}: got ${r.findings.map((f) => `${f.severity}:${f.code}`).join(', ')}`);
    assert.match(lr.fixes[0].id, /^lr:/);
    for (const dead of r.findings.filter((f) => f.code === 'dead-relu')) assert.equal(dead.fixes[0].id, lr.fixes[0].id, 'the dead units are fixed through the learning rate');
  }
});

test('class 2: ReLUs killed by the first steps of a learning rate of 4 stay a dead-relu warning whose fix is the learning rate', async () => {
  const full = path.join(TEST_ZOO, 'dead-relu-sgd-lr-four-moons.nn.json');
  const text = fs.readFileSync(full, 'utf8');
  for (const seed of [2, 5]) {
    const r = await train(text, full, seed);
    const dead = loud(r.findings).find((f) => f.code === 'dead-relu');
    assert.ok(dead, `seed ${seed}: got ${r.findings.map((f) => `${f.severity}:${f.code}`).join(', ')}`);
    assert.equal(dead.fixes[0].id, 'lr:0.05');
  }
});

// A regression that learnt its rows' noise: the training error goes to almost nothing while the validation
// error stays several times higher, though it no longer rises. A well-fitted regression on the same kind of
// data keeps the two close and stays quiet.
test('class 7: a regression whose validation error stays several times its training error is overfitting', async () => {
  const full = path.join(TEST_ZOO, 'overfitting-grades-70-rows.nn.json');
  const text = fs.readFileSync(full, 'utf8');
  // seeds whose 70-row sample gives that curve (at others the validation error climbs, and early stopping is the fix)
  for (const seed of [5, 6]) {
    const r = await train(text, full, seed);
    const over = loud(r.findings).find((f) => f.code === 'overfitting');
    assert.ok(over, `seed ${seed}: got ${r.findings.map((f) => `${f.severity}:${f.code}`).join(', ') || 'nothing'}`);
    assert.match(over.fixes[0].id, /^l2:/);
  }
  const healthy = path.join(__dirname, '..', 'zoo', 'healthy', 'grades-regression-relu.nn.json');
  for (const seed of [1, 2]) {
    const r = await train(fs.readFileSync(healthy, 'utf8'), healthy, seed);
    assert.deepEqual(loud(r.findings).map((f) => f.code), [], `healthy regression, seed ${seed}`);
  }
});
