// The broken-model zoo, trained for real. Each broken model must raise its code on the layer that is broken;
// its preferred fix, applied to the text and retrained from the same seed, must clear that finding and
// lower the validation loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { TrainingSession, prepareSpec } from '../../src/engine/session';
import type { SessionResult } from '../../src/engine/session-api';
import { applyFix } from '../../src/engine/fixes';
import { readDataFiles } from '../../src/cli/data-files';
import type { Finding, FindingCode } from '../../src/engine/types';

const ZOO = path.join(__dirname, '..', '..', 'examples', 'broken');

/** Each zoo model: the code it must raise and the layer it must blame (null: a whole-model finding). */
const EXPECTED: Record<string, { code: FindingCode; layer: string | null }> = {
  'batchnorm-unstable-slow-momentum': { code: 'batchnorm-unstable', layer: 'batchnorm_1' },
  'batchnorm-unstable-tiny-batch': { code: 'batchnorm-unstable', layer: 'batchnorm_1' },
  'dead-relu-high-lr': { code: 'dead-relu', layer: 'dense_2/relu' },
  'dead-relu-negative-bias': { code: 'dead-relu', layer: 'dense_1/relu' },
  'dropout-too-high-narrow': { code: 'dropout-too-high', layer: 'dropout_1' },
  'dropout-too-high-rate': { code: 'dropout-too-high', layer: 'dropout_1' },
  'exploding-gradients-large-init': { code: 'exploding-gradients', layer: 'dense_1' },
  'exploding-gradients-regression': { code: 'exploding-gradients', layer: 'dense_1' },
  'loss-diverging-sgd-lr-10': { code: 'loss-diverging', layer: null },
  'loss-diverging-sgd-momentum': { code: 'loss-diverging', layer: null },
  'loss-oscillating-adam': { code: 'loss-oscillating', layer: null },
  'loss-oscillating-rmsprop': { code: 'loss-oscillating', layer: null },
  'loss-plateau-tiny-adam': { code: 'loss-plateau', layer: null },
  'loss-plateau-tiny-sgd': { code: 'loss-plateau', layer: null },
  'missing-activation-circles': { code: 'missing-activation', layer: 'dense_1' },
  'missing-activation-linear-stack': { code: 'missing-activation', layer: 'dense_1' },
  'non-finite-lr-5': { code: 'non-finite', layer: 'dense_3' },
  'non-finite-regression-momentum': { code: 'non-finite', layer: 'dense_3' },
  'output-loss-mismatch-relu-logits': { code: 'output-loss-mismatch', layer: 'relu_1' },
  'output-loss-mismatch-relu-regression': { code: 'output-loss-mismatch', layer: 'relu_1' },
  'overfitting-noisy-moons': { code: 'overfitting', layer: null },
  'overfitting-tiny-spiral': { code: 'overfitting', layer: null },
  'poor-initialization-constant': { code: 'poor-initialization', layer: 'dense_1' },
  'poor-initialization-zeros': { code: 'poor-initialization', layer: 'dense_2' },
  'poor-initialization-conv-stack': { code: 'poor-initialization', layer: 'conv1' },
  'saturated-activation-large-init-tanh': { code: 'saturated-activation', layer: 'dense_2/tanh' },
  'saturated-activation-raw-iris': { code: 'saturated-activation', layer: 'dense_1/tanh' },
  'unnormalized-input-house-prices': { code: 'unnormalized-input', layer: null },
  'unnormalized-input-loans': { code: 'unnormalized-input', layer: null },
  'unscaled-targets-building-energy': { code: 'unscaled-targets', layer: null },
  'unscaled-targets-used-car-prices': { code: 'unscaled-targets', layer: null },
  'update-ratio-tiny-adagrad': { code: 'update-ratio', layer: 'dense_1' },
  'update-ratio-too-small': { code: 'update-ratio', layer: 'dense_1' },
  'vanishing-gradients-sigmoid-stack': { code: 'vanishing-gradients', layer: 'dense_1' },
  'vanishing-gradients-tanh-stack': { code: 'vanishing-gradients', layer: 'dense_1' },
  // the failure classes of issue 11: causes that span layers, stalls, partial preprocessing, explicit linear layers
  'poor-initialization-tiny-relu-stack': { code: 'poor-initialization', layer: 'dense_1' },
  'poor-initialization-negative-biases': { code: 'poor-initialization', layer: 'dense_1' },
  'poor-initialization-deep-relu-std1': { code: 'poor-initialization', layer: 'dense_2' },
  'loss-plateau-decayed-schedule': { code: 'loss-plateau', layer: null },
  'update-ratio-sgd-1e-4': { code: 'update-ratio', layer: 'dense_1' },
  'unnormalized-input-zero-centred': { code: 'unnormalized-input', layer: null },
  'missing-activation-explicit-linear': { code: 'missing-activation', layer: 'dense_1' },
  'overfitting-wide-net-small-data': { code: 'overfitting', layer: null },
  // convolutional networks
  'dead-relu-conv-sgd-lr-2': { code: 'dead-relu', layer: 'conv2d_1/relu' },
  'vanishing-gradients-sigmoid-conv-stack': { code: 'vanishing-gradients', layer: 's1' },
  'batchnorm-unstable-conv-1x1-batch-2': { code: 'batchnorm-unstable', layer: 'bn_deep' },
  'output-loss-mismatch-relu-logits-cnn': { code: 'output-loss-mismatch', layer: 'logits_relu' },
};

async function train(text: string, file: string): Promise<SessionResult> {
  const files = readDataFiles(prepareSpec(text, file), file);
  return new TrainingSession(text, file, files, { yieldEveryMs: 0 }, {}).run();
}

const matches = (f: Finding, want: { code: FindingCode; layer: string | null }) =>
  f.code === want.code && (f.layer?.name ?? null) === want.layer;

/** Validation loss; a run that ended in NaN/Infinity (or never validated) counts as infinitely bad. */
function valLoss(r: SessionResult): number {
  const v = r.summary.final.valLoss;
  return v !== null && Number.isFinite(v) && r.summary.status !== 'non-finite' ? v : Infinity;
}

const zooFiles = fs.readdirSync(ZOO).filter((f) => f.endsWith('.nn.json')).sort();

test('the zoo has at least two models for every finding code, and every model has an expectation', () => {
  const names = zooFiles.map((f) => f.replace('.nn.json', '')).sort();
  assert.deepEqual(names, Object.keys(EXPECTED).sort());
  const perCode = new Map<string, number>();
  for (const e of Object.values(EXPECTED)) perCode.set(e.code, (perCode.get(e.code) ?? 0) + 1);
  const codes: FindingCode[] = ['exploding-gradients', 'vanishing-gradients', 'dead-relu', 'saturated-activation', 'non-finite', 'loss-diverging', 'loss-plateau', 'loss-oscillating', 'overfitting', 'unnormalized-input', 'unscaled-targets', 'poor-initialization', 'update-ratio', 'batchnorm-unstable', 'dropout-too-high', 'missing-activation', 'output-loss-mismatch'];
  for (const c of codes) assert.ok((perCode.get(c) ?? 0) >= 2, `${c} has fewer than two zoo models`);
});

for (const file of zooFiles) {
  const name = file.replace('.nn.json', '');
  test(`zoo: ${name} raises its code and its preferred fix clears it`, async () => {
    const want = EXPECTED[name];
    const full = path.join(ZOO, file);
    const text = fs.readFileSync(full, 'utf8');
    // a header may list the cause next to the symptom it shows (exploding-gradients|poor-initialization)
    assert.match(text.split('\n')[0], new RegExp(`^// BROKEN \\(([a-z-]+\\|)*${want.code}(\\|[a-z-]+)*\\)`), 'the model says what is broken');
    const broken = await train(text, full);
    const hit = broken.findings.find((f) => matches(f, want));
    assert.ok(hit, `expected ${want.code} on ${want.layer ?? 'the model'}, got ${broken.findings.map((f) => `${f.code}@${f.layer?.name ?? f.field}`).join(', ')}`);
    const preferred = hit.fixes.filter((f) => f.preferred);
    assert.equal(preferred.length, 1, 'exactly one preferred fix');
    const fixedText = applyFix(text, preferred[0].id);
    assert.notEqual(fixedText, text);
    const fixed = await train(fixedText, full);
    const still = fixed.findings.filter((f) => matches(f, want));
    assert.deepEqual(still.map((f) => f.message), [], `${preferred[0].id} did not clear ${want.code}`);
    assert.ok(valLoss(fixed) < valLoss(broken), `${preferred[0].id}: validation loss ${valLoss(fixed)} is not below ${valLoss(broken)}`);
  });
}

// A stuck model is stuck whatever the seed: the verdict must not hang on which batches the probes saw.
for (const name of ['loss-plateau-tiny-sgd', 'update-ratio-too-small']) {
  test(`zoo: ${name} raises its code at every seed, not only at its own`, async () => {
    const want = EXPECTED[name];
    const full = path.join(ZOO, `${name}.nn.json`);
    const text = fs.readFileSync(full, 'utf8');
    for (const seed of [1, 2, 3, 4, 5]) {
      const files = readDataFiles(prepareSpec(text, full), full);
      const r = await new TrainingSession(text, full, files, { yieldEveryMs: 0, seed }, {}).run();
      assert.ok(r.findings.some((f) => matches(f, want)), `seed ${seed}: got ${r.findings.map((f) => f.code).join(', ') || 'nothing'}`);
    }
  });
}
