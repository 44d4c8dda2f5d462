// Rules on synthetic probe and epoch histories: they fire on sustained conditions, stay quiet on a single
// noisy probe, honour threshold overrides, blame the right layer, and always rank exactly one preferred fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { diagnose, ruleThresholds } from '../../src/engine/diagnosis';
import type { RuleContext } from '../../src/engine/diagnosis';
import type { Dataset } from '../../src/engine/data/dataset';
import type { EpochMetrics, Finding, LayerProbe, ProbeSnapshot, RunSummary } from '../../src/engine/types';
import { applyFix } from '../../src/engine/fixes';
import { loadDataset } from '../../src/engine/data/load';

const TEXT = JSON.stringify({
  name: 'm',
  data: { source: 'spiral', preprocess: 'standardize' },
  layers: [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dense', units: 16, activation: 'tanh' },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax-cross-entropy',
  optimizer: { type: 'adam', lr: 0.01 },
}, null, 2);

function specOf(text: string) {
  const r = parseModel(text, 'm.nn.json');
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return r.spec;
}
const SPEC = specOf(TEXT);

/** A snapshot with healthy defaults; `over` replaces fields per layer position. */
function snap(step: number, loss: number, over: Record<number, Partial<LayerProbe> | undefined> = {}): ProbeSnapshot {
  const layers: LayerProbe[] = SPEC.layers.map((l, position) => ({
    index: l.index, name: l.name, position, kind: l.kind,
    gradNorm: l.kind === 'dense' ? 0.1 : null, biasGradNorm: l.kind === 'dense' ? 0.01 : null, weightNorm: l.kind === 'dense' ? 4 : null,
    updateRatio: l.kind === 'dense' ? 1e-3 : null, histogram: l.kind === 'dense' ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 256, 0, 0, 0, 0] : null,
    activationMean: 0, activationStd: 1, deadRatio: l.kind === 'relu' ? 0.05 : null, saturationRatio: l.kind === 'tanh' ? 0.05 : null,
    batchNorm: null, nonFinite: 0, ...over[position],
  }));
  return { step, epoch: 1, loss, lr: 0.01, layers, clipping: null };
}

function ctx(probes: ProbeSnapshot[], epochs: EpochMetrics[] = [], summary: RunSummary | null = null, text = TEXT, dataset: Dataset | null = null): RuleContext {
  return { spec: text === TEXT ? SPEC : specOf(text), dataset, probes, epochs, summary };
}

type Over = Record<number, Partial<LayerProbe> | undefined>;
const falling = (n: number, over: (i: number) => Over = () => ({})) =>
  Array.from({ length: n }, (_, i) => snap(1 + i * 10, 1.1 * Math.exp(-i / 3) + 0.05, over(i)));

const codes = (fs: Finding[]) => fs.map((f) => `${f.code}@${f.layer?.name ?? f.field}`);

function wellFormed(findings: Finding[], text = TEXT): void {
  for (const f of findings) {
    assert.equal(f.fixes.filter((x) => x.preferred).length, 1, `${f.code}: exactly one preferred fix`);
    assert.ok(f.message.length > 10 && Number.isFinite(f.evidence.threshold));
    for (const fix of f.fixes) assert.doesNotThrow(() => applyFix(text, fix.id), `${f.code}: fix ${fix.id} applies`);
  }
}

test('a healthy history raises nothing', () => {
  assert.deepEqual(codes(diagnose(ctx(falling(12)))), []);
});

test('dead-relu fires when most of the window is dead, not on one dead probe', () => {
  const sustained = diagnose(ctx(falling(12, (i) => (i >= 6 ? { 1: { deadRatio: 0.8 } } : {}))));
  assert.deepEqual(codes(sustained), ['dead-relu@dense_1/relu']);
  assert.equal(sustained[0].evidence.comparison, '>=');
  assert.equal(sustained[0].evidence.fromStep, 71);
  assert.equal(sustained[0].fixes[0].id, 'leaky-relu:dense_1/relu');
  wellFormed(sustained);
  const blip = diagnose(ctx(falling(12, (i) => (i === 10 ? { 1: { deadRatio: 0.95 } } : {}))));
  assert.deepEqual(codes(blip), []);
  const overridden = diagnose(ctx(falling(12, (i) => (i >= 6 ? { 1: { deadRatio: 0.8 } } : {}))), { 'dead-relu': { deadRatio: 0.9 } });
  assert.deepEqual(codes(overridden), []);
});

test('saturated-activation fires on a sustained hidden tanh', () => {
  const f = diagnose(ctx(falling(12, (i) => (i >= 4 ? { 3: { saturationRatio: 0.7 } } : {}))));
  assert.deepEqual(codes(f), ['saturated-activation@dense_2/tanh']);
  wellFormed(f);
});

test('vanishing-gradients blames the earliest layer whose RMS gradient is a tiny fraction of the largest', () => {
  const f = diagnose(ctx(falling(12, () => ({ 0: { gradNorm: 1e-7 }, 2: { gradNorm: 1e-6 } }))));
  assert.deepEqual(codes(f), ['vanishing-gradients@dense_1']);
  wellFormed(f);
  assert.deepEqual(codes(diagnose(ctx(falling(12, (i) => (i === 11 ? { 0: { gradNorm: 1e-7 } } : {}))))), [], 'one small probe is noise');
});

test('vanishing-gradients in a ReLU stack offers He init only to layers that do not have it already', () => {
  const relu = (init: string) => JSON.stringify({ ...JSON.parse(TEXT), layers: [
    { type: 'dense', units: 16, activation: 'relu', init }, { type: 'dense', units: 16, activation: 'relu', init: 'he' }, { type: 'dense', units: 3, init: 'he' },
  ] }, null, 2);
  const starved = falling(12, () => ({ 0: { gradNorm: 1e-7 }, 2: { gradNorm: 1e-6 } }));
  const fixesFor = (text: string) => diagnose(ctx(starved, [], null, text), {}, ['runtime']).find((x) => x.code === 'vanishing-gradients')?.fixes.map((x) => x.id) ?? [];
  assert.deepEqual(fixesFor(relu('lecun')), ['reinit:dense_1,dense_2,dense_3:he', 'insert-batchnorm:dense_1,dense_2']);
  assert.deepEqual(fixesFor(relu('he')), ['insert-batchnorm:dense_1,dense_2'], 'a re-draw from the same seed would change nothing');
});

test('vanishing-gradients before a batch norm over a batch of one follows from it: that norm passes no gradient back', () => {
  const withBn = (batchSize: number, momentum: number) => JSON.stringify({ ...JSON.parse(TEXT), batchSize, layers: [
    { type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 16, activation: 'tanh' }, { type: 'batchnorm', name: 'bn', momentum }, { type: 'dense', units: 3 },
  ] }, null, 2);
  const starved = falling(12, () => ({ 0: { gradNorm: 1e-7 }, 2: { gradNorm: 1e-6 } }));
  const tiny = withBn(1, 0.9);
  const f = diagnose(ctx(starved, [], null, tiny));
  const vanishing = f.find((x) => x.code === 'vanishing-gradients');
  assert.ok(vanishing && vanishing.severity === 'info' && vanishing.explainedBy === 'batchnorm-unstable', codes(f).join(', '));
  assert.equal(vanishing.fixes[0].id, 'batch-size:32');
  wellFormed(f, tiny);
  // running averages that lag do not block the gradient: the vanishing stays a finding of its own
  const slow = withBn(32, 0.9999);
  const lagging = diagnose(ctx(starved, [], null, slow, loadDataset(specOf(slow), {})));
  assert.ok(lagging.some((x) => x.code === 'batchnorm-unstable' && x.severity === 'warning'), codes(lagging).join(', '));
  const own = lagging.find((x) => x.code === 'vanishing-gradients');
  assert.ok(own && own.severity === 'warning' && !own.explainedBy, codes(lagging).join(', '));
});

test('exploding-gradients fires when gradients dwarf the weights for most of the window', () => {
  const f = diagnose(ctx(falling(12, () => ({ 0: { gradNorm: 40 }, 2: { gradNorm: 30 }, 4: { gradNorm: 30 } }))));
  assert.deepEqual(codes(f), ['exploding-gradients@dense_1']);
  assert.equal(f[0].fixes[0].id.startsWith('clip-norm:'), true, 'he/xavier init: clipping first');
  wellFormed(f);
});

test('update-ratio: too large fires; too small fires only while the loss is stuck', () => {
  assert.deepEqual(codes(diagnose(ctx(falling(12, () => ({ 2: { updateRatio: 0.5 } }))))), ['update-ratio@dense_2']);
  const tiny = { 0: { updateRatio: 1e-5 }, 2: { updateRatio: 1e-5 }, 4: { updateRatio: 1e-5 } };
  assert.deepEqual(codes(diagnose(ctx(falling(12, () => tiny)))), [], 'tiny steps on a loss that has come down are fine');
  const oneLayer = Array.from({ length: 12 }, (_, i) => snap(1 + i * 10, 1.1 + (i % 2) * 0.01, { 0: { updateRatio: 1e-8 } }));
  assert.ok(!codes(diagnose(ctx(oneLayer))).includes('update-ratio@dense_1'), 'one slow layer among healthy ones is not a learning rate problem');
  const stuck = Array.from({ length: 12 }, (_, i) => snap(1 + i * 10, 1.1 + (i % 2) * 0.01, tiny));
  const f = diagnose(ctx(stuck));
  assert.deepEqual(codes(f), ['update-ratio@dense_1', 'loss-plateau@optimizer']);
  assert.deepEqual(f[0].layers.map((a) => a.layer.name), ['dense_1', 'dense_2', 'dense_3'], 'every crawling layer is named');
  assert.equal(f[0].fixes[0].id, 'lr:0.1', 'raise towards the usual rate');
  // the stuck loss is the tiny steps' symptom: information that points at them, not a second warning
  assert.deepEqual(f.map((x) => x.severity), ['warning', 'info']);
  assert.match(f[1].message, /It follows from update-ratio on dense_1, dense_2, dense_3: fix that first\.$/);
  assert.equal(f[1].fixes[0].id, f[0].fixes[0].id, 'the symptom is fixed through its cause');
  wellFormed(f);
});

test('loss-plateau with nothing to explain it is a warning of its own', () => {
  const stuck = Array.from({ length: 12 }, (_, i) => snap(1 + i * 10, 1.1 + (i % 2) * 0.01));
  const f = diagnose(ctx(stuck));
  assert.deepEqual(codes(f), ['loss-plateau@optimizer']);
  assert.equal(f[0].severity, 'warning');
  wellFormed(f);
});

test('loss-diverging: a climb far above the best smoothed loss is an error; a single spike is not', () => {
  const climb = Array.from({ length: 12 }, (_, i) => snap(1 + i * 10, i < 4 ? 1 - i * 0.1 : 0.7 + (i - 4) * 0.5));
  const f = diagnose(ctx(climb));
  assert.equal(f[0].code, 'loss-diverging');
  assert.equal(f[0].severity, 'error');
  wellFormed(f);
  const spike = falling(12).map((s, i) => (i === 11 ? { ...s, loss: 5 } : s));
  assert.deepEqual(codes(diagnose(ctx(spike))), []);
});

function epochs(train: number[], val: number[]): EpochMetrics[] {
  return train.map((loss, i) => ({ epoch: i + 1, step: (i + 1) * 10, loss, accuracy: null, valLoss: val[i], valAccuracy: null, lr: 0.01, durationMs: 1, samplesPerSecond: 1 }));
}

test('a loss that jumps above the untrained loss: judged on a smaller jump when the run never learnt, and it explains only what came after it', () => {
  const probes = Array.from({ length: 8 }, (_, i) => snap(1 + i * 10, i === 0 ? 1 : 1.4));
  // blew up in the first epoch, then sat at chance level: the steps overshoot
  const stuck = diagnose(ctx(probes, epochs([2.5, 1.4, 1.4, 1.4, 1.4, 1.4], [1.4, 1.4, 1.4, 1.4, 1.4, 1.4])));
  assert.ok(stuck.some((f) => f.code === 'loss-diverging' && f.severity === 'error' && /^lr:/.test(f.fixes[0].id)), codes(stuck).join(', '));
  // the same first epoch in a run that learns is a noisy first batch, not an overshoot
  const learning = diagnose(ctx(probes, epochs([2.5, 0.8, 0.5, 0.3, 0.2, 0.1], [0.9, 0.6, 0.4, 0.3, 0.2, 0.15])));
  assert.deepEqual(codes(learning).filter((c) => c.startsWith('loss-')), []);
  // a model memorising its training set since epoch 8 that spikes at epoch 25: both are reported
  const train = Array.from({ length: 30 }, (_, i) => (i === 24 ? 2 : 0.5 * Math.exp(-i / 4)));
  const val = Array.from({ length: 30 }, (_, i) => (i < 8 ? 0.6 - i * 0.05 : 0.25 + (i - 8) * 0.05));
  const late = diagnose(ctx(probes, epochs(train, val)));
  assert.ok(late.some((f) => f.code === 'loss-oscillating' && f.severity === 'warning'), codes(late).join(', '));
  const over = late.find((f) => f.code === 'overfitting');
  assert.ok(over && over.severity === 'warning', 'the late spike did not make it memorise');
});

test('a loss that climbs from its best but ends below the untrained loss is swinging, not diverging', () => {
  const probes = Array.from({ length: 8 }, (_, i) => snap(1 + i * 10, i === 0 ? 1 : 0.5));
  const swings = [0.6, 0.3, 0.1, 0.05, 0.6, 0.1, 0.05, 0.5, 0.4, 0.45];
  const f = diagnose(ctx(probes, epochs(swings, swings)));
  assert.ok(!f.some((x) => x.code === 'loss-diverging'), codes(f).join(', '));
  // the same climb ending above where it started has diverged
  const up = [...swings.slice(0, 7), 1.5, 1.8, 2.2];
  assert.ok(diagnose(ctx(probes, epochs(up, up))).some((x) => x.code === 'loss-diverging' && x.severity === 'error'));
});

test('overfitting: a sustained validation climb while training falls; bouncing small losses do not count', () => {
  const train = Array.from({ length: 20 }, (_, i) => 1 / (i + 1));
  const val = train.map((l, i) => (i < 8 ? l + 0.05 : 0.2 + (i - 8) * 0.1));
  const f = diagnose(ctx(falling(12), epochs(train, val)));
  assert.deepEqual(codes(f), ['overfitting@epochs']);
  assert.equal(f[0].fixes[0].id, 'early-stopping');
  wellFormed(f);
  const bouncing = train.map((_, i) => (i < 5 ? 0.5 / (i + 1) : 0.03 + (i % 3) * 0.02));
  assert.deepEqual(codes(diagnose(ctx(falling(12), epochs(train, bouncing)))), []);
  const restored = diagnose(ctx(falling(12), epochs(train, val), { status: 'early-stopped', restoredEpoch: 8 } as RunSummary));
  assert.deepEqual(codes(restored), [], 'early stopping already restored the best weights');
});

test('loss-oscillating: a validation loss thrown above the untrained loss in one epoch, which batch norm hides from training', () => {
  const bnText = JSON.stringify({ ...JSON.parse(TEXT), layers: [{ type: 'dense', units: 16 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dense', units: 3 }] }, null, 2);
  const probes = Array.from({ length: 8 }, (_, i) => snap(1 + i * 10, i === 0 ? 1.4 : 0.5));
  const train = [1.3, 0.5, 0.36, 0.35, 0.31, 0.3];
  const f = diagnose(ctx(probes, epochs(train, [0.88, 0.34, 1.7, 0.41, 0.24, 1.5]), null, bnText));
  const osc = f.find((x) => x.code === 'loss-oscillating');
  assert.ok(osc && osc.severity === 'warning' && osc.field === 'optimizer', codes(f).join(', '));
  assert.match(osc.message, /batch norm/);
  assert.equal(osc.evidence.toStep, 60, "the largest jump: 0.24 to 1.5");
  assert.match(osc.fixes[0].id, /^lr:/);
  wellFormed(f, bnText);
  // memorising: the validation loss climbs past the untrained loss epoch by epoch, never in one jump
  const gradual = [0.9, 0.5, 0.35, 0.45, 0.6, 0.8, 1.05, 1.35, 1.6, 1.9];
  const memorising = diagnose(ctx(probes, epochs(gradual.map((_, i) => 1.2 * Math.exp(-i)), gradual), null, bnText));
  assert.ok(!memorising.some((x) => x.code === 'loss-oscillating'), codes(memorising).join(', '));
  // a doubling that stays below the untrained loss is within what a small validation set does
  const noisy = diagnose(ctx(probes, epochs(train, [0.88, 0.34, 0.8, 0.3, 0.24, 0.6]), null, bnText));
  assert.ok(!noisy.some((x) => x.code === 'loss-oscillating'), codes(noisy).join(', '));
  // an early jump in a run that settles far below it and ends well is information
  const settled = diagnose(ctx(probes, epochs([1.3, 0.5, 0.45, 0.3, 0.2, 0.1, 0.08, 0.06], [0.6, 0.3, 1.5, 0.2, 0.1, 0.05, 0.04, 0.03]), null, bnText));
  assert.ok(settled.some((x) => x.code === 'loss-oscillating' && x.severity === 'info'), codes(settled).join(', '));
  // a run that never learnt has no best to be thrown from
  const stuck = diagnose(ctx(probes, epochs([1.4, 1.4, 1.4, 1.4, 1.4, 1.4], [1.3, 1.3, 3, 1.3, 1.3, 1.3]), null, bnText));
  assert.ok(!stuck.some((x) => x.code === 'loss-oscillating' && /validation loss jumped/.test(x.message)), codes(stuck).join(', '));
});

test('loss-oscillating: repeated large rises without net progress', () => {
  const train = [1.2, 0.8, 0.6, 0.9, 0.55, 0.85, 0.6, 0.9, 0.58, 0.88, 0.6, 0.9];
  const f = diagnose(ctx(falling(3), epochs(train, train)));
  assert.ok(codes(f).includes('loss-oscillating@optimizer'), codes(f).join());
  wellFormed(f);
  const smooth = train.map((_, i) => 1.2 * Math.exp(-i / 4));
  assert.deepEqual(codes(diagnose(ctx(falling(3), epochs(smooth, smooth)))), []);
});

test('loss-oscillating: swings that still lower the median count when the loss keeps leaving its best', () => {
  // the second half's median is lower (progress by medians), but the last epochs are far above the best
  const swinging = [2.6, 1.0, 0.8, 0.8, 0.8, 0.64, 0.42, 0.66, 0.67, 0.24, 0.16, 0.32, 0.36, 0.72, 0.61];
  const f = diagnose(ctx(falling(3), epochs(swinging, swinging)));
  assert.ok(codes(f).includes('loss-oscillating@optimizer'), codes(f).join());
  wellFormed(f);
  // the same early swings, then settled at the best: converging, not oscillating
  const settled = [...swinging.slice(0, 12), 0.17, 0.16, 0.16];
  assert.ok(!codes(diagnose(ctx(falling(3), epochs(settled, settled)))).includes('loss-oscillating@optimizer'));
});

test('non-finite: the trainer report names the first bad layer and stage', () => {
  const summary = { status: 'non-finite', nonFinite: { step: 7, layer: { index: 2, name: 'dense_3' }, stage: 'forward' }, restoredEpoch: null } as RunSummary;
  const f = diagnose(ctx(falling(1), [], summary));
  assert.deepEqual(codes(f), ['non-finite@dense_3']);
  assert.equal(f[0].severity, 'error');
  assert.equal(f[0].evidence.fromStep, 7);
  wellFormed(f);
});

test('exploding-gradients: growth from a vanished start while the loss falls is recovery, the same growth on a stuck loss is not', () => {
  // the first layer's gradient grows a millionfold but stays far below its weights (no ratio alarm)
  const grow = (i: number): Over => ({ 0: { gradNorm: 1e-8 * 1e6 ** (i / 11) } });
  const waking = falling(12, grow);
  assert.ok(!codes(diagnose(ctx(waking))).some((c) => c.startsWith('exploding-gradients')), 'a stack escaping its plateau');
  const stuck = Array.from({ length: 12 }, (_, i) => snap(1 + i * 10, 1.1 + (i % 2) * 0.01, grow(i)));
  assert.ok(codes(diagnose(ctx(stuck))).includes('exploding-gradients@dense_1'));
});

test('update-ratio judges the typical hidden layer: one crawling hidden layer is not averaged away by a fast output layer', () => {
  const text = JSON.stringify({ data: { source: 'spiral', preprocess: 'standardize' }, layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 3 }], loss: 'softmax-cross-entropy', optimizer: { type: 'sgd', lr: 1e-4 } }, null, 2);
  const spec = specOf(text);
  const probe = (step: number, hidden: number): ProbeSnapshot => ({
    step, epoch: 1, loss: 1.1 + (step % 20 === 1 ? 0.01 : 0), lr: 1e-4, clipping: null,
    layers: spec.layers.map((l, position) => ({
      index: l.index, name: l.name, position, kind: l.kind,
      gradNorm: l.kind === 'dense' ? 0.1 : null, biasGradNorm: null, weightNorm: l.kind === 'dense' ? 4 : null,
      updateRatio: l.kind === 'dense' ? (position === 0 ? hidden : 2e-4) : null, histogram: null,
      activationMean: 0, activationStd: 1, deadRatio: l.kind === 'relu' ? 0.05 : null, saturationRatio: null, batchNorm: null, nonFinite: 0,
    })),
  });
  const run = (hidden: number) => diagnose(ctx(Array.from({ length: 12 }, (_, i) => probe(1 + i * 10, hidden)), [], null, text));
  const slow = run(8e-6).find((f) => f.code === 'update-ratio');
  assert.ok(slow && slow.severity === 'warning');
  assert.deepEqual(slow.layers.map((a) => a.layer.name), ['dense_1']);
  assert.ok(!run(1e-3).some((f) => f.code === 'update-ratio'), 'a hidden layer at the usual pace');
});

test('saturated units under a learning rate far above the usual one are fixed through the learning rate first', () => {
  const pinned = Array.from({ length: 12 }, (_, i) => snap(1 + i * 10, 1.1 + (i % 2) * 0.01, { 3: { saturationRatio: 0.9 } }));
  const fixOf = (lr: number) => {
    const text = TEXT.replace('"lr": 0.01', `"lr": ${lr}`);
    return diagnose(ctx(pinned, [], null, text)).find((f) => f.code === 'saturated-activation')?.fixes[0].id;
  };
  assert.equal(fixOf(0.3), 'lr:0.005');
  assert.equal(fixOf(0.01), 'reinit:dense_2:xavier', 'at a usual learning rate the layer is re-initialised');
});

test('dropout-too-high judges how often a step keeps too few units, not their mean', () => {
  const withDropout = (units: number, rate: number) => JSON.stringify({
    data: { source: 'spiral', preprocess: 'standardize' },
    layers: [{ type: 'dense', units, activation: 'relu' }, { type: 'dropout', rate }, { type: 'dense', units, activation: 'relu' }, { type: 'dropout', rate }, { type: 'dense', units: 3 }],
    loss: 'softmax-cross-entropy',
  }, null, 2);
  const flagged = (units: number, rate: number) => diagnose(ctx([], [], null, withDropout(units, rate)), {}, ['static']).filter((f) => f.code === 'dropout-too-high');
  // 0.5 on 8 units keeps 4 on average, and fewer than 4 in over a third of the steps
  const narrow = flagged(8, 0.5);
  assert.equal(narrow.length, 1);
  assert.deepEqual(narrow[0].layers.map((a) => a.layer.name), ['dropout_1', 'dropout_2'], 'one finding for both layers');
  assert.equal(narrow[0].fixes[0].id, 'dropout:dropout_1,dropout_2:0.2');
  wellFormed(narrow, withDropout(8, 0.5));
  // the same rate on wide layers, or a light rate on narrow ones, is ordinary regularisation
  assert.deepEqual(flagged(16, 0.5), []);
  assert.deepEqual(flagged(8, 0.2), []);
});

test('static rules: symmetric init, missing activation, output/loss mismatch, dropout, tiny batch-norm batches', () => {
  const text = JSON.stringify({
    data: { source: 'spiral', preprocess: 'standardize' },
    layers: [
      { type: 'dense', units: 16, init: 'zeros' },
      { type: 'dense', units: 4, activation: 'relu' },
      { type: 'dropout', rate: 0.5 },
      { type: 'dense', units: 16 },
      { type: 'batchnorm' },
      { type: 'relu' },
      { type: 'dense', units: 3 },
      { type: 'relu' },
    ],
    loss: 'softmax-cross-entropy',
    batchSize: 4,
  }, null, 2);
  const f = diagnose(ctx([], [], null, text), {}, ['static']);
  assert.deepEqual(codes(f).sort(), ['batchnorm-unstable@batchnorm_1', 'dropout-too-high@dropout_1', 'missing-activation@dense_1', 'output-loss-mismatch@relu_2', 'poor-initialization@dense_1'].sort());
  wellFormed(f, text);
});

/** A dataset whose training features (as the network receives them) are the given columns. */
function datasetOf(columns: number[][], names: string[]): Dataset {
  const n = columns[0].length;
  const x = new Float64Array(n * columns.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < columns.length; j++) x[i * columns.length + j] = columns[j][i];
  return { inputs: columns.length, featureNames: names, train: { n, x } } as unknown as Dataset;
}
const wave = (n: number, scale: number, offset = 0) => Array.from({ length: n }, (_, i) => offset + scale * Math.sin(i * 1.3));

test('unnormalized-input judges the features the network receives, whatever the preprocess', () => {
  // zero-centred but unscaled: std ~1000 next to ~0.001 passes a "preprocess is none" check
  const centred = datasetOf([wave(200, 1500), wave(200, 0.001), wave(200, 1)], ['balance', 'ratio', 'score']);
  const zeroCenter = TEXT.replace('"standardize"', '"zero-center"');
  const f = diagnose(ctx([], [], null, zeroCenter, centred), {}, ['static']);
  assert.deepEqual(codes(f), ['unnormalized-input@data']);
  assert.match(f[0].message, /balance/);
  assert.equal(f[0].fixes[0].id, 'standardize');
  const spread = datasetOf([wave(200, 3), wave(200, 0.001)], ['a', 'b']);
  assert.deepEqual(codes(diagnose(ctx([], [], null, zeroCenter, spread), {}, ['static'])), ['unnormalized-input@data'], 'a feature drowned by one 1000x larger');
  const standardised = datasetOf([wave(200, 1.4), wave(200, 1.4, 0.1)], ['a', 'b']);
  assert.deepEqual(codes(diagnose(ctx([], [], null, TEXT, standardised), {}, ['static'])), []);
  // pixels in [0, 1]: border pixels barely vary, but nothing is drowned
  const pixels = datasetOf([wave(200, 0.45, 0.5), wave(200, 0.003, 0.003)], ['p0', 'p1']);
  assert.deepEqual(codes(diagnose(ctx([], [], null, zeroCenter, pixels), {}, ['static'])), []);
});

test('every rule exposes named numeric thresholds', () => {
  const t = ruleThresholds();
  assert.ok(Object.keys(t).length >= 16);
  for (const [code, values] of Object.entries(t)) for (const v of Object.values(values)) assert.equal(typeof v, 'number', code);
});

test('batchnorm-unstable (static): running averages that keep their starting values through a short run', () => {
  const withBn = (momentum: number, epochs: number) => JSON.stringify({
    name: 'bn', data: { source: 'circles', preprocess: 'standardize' },
    layers: [{ type: 'dense', units: 16 }, { type: 'batchnorm', momentum }, { type: 'relu' }, { type: 'dense', units: 2 }],
    loss: 'softmax-cross-entropy', epochs, batchSize: 32,
  });
  const data = datasetOf([wave(320, 1), wave(320, 1, 0.2)], ['a', 'b']);
  // 5 epochs of 10 steps: 0.999^50 = 0.95 of the start remains
  const slow = diagnose(ctx([], [], null, withBn(0.999, 5), data), {}, ['static']);
  assert.deepEqual(codes(slow), ['batchnorm-unstable@batchnorm_1']);
  assert.equal(slow[0].fixes[0].id.startsWith('batchnorm-momentum:batchnorm_1:'), true);
  wellFormed(slow, withBn(0.999, 5));
  // the same momentum over a long run, or the usual 0.9 over a short one, forgets its start
  assert.deepEqual(codes(diagnose(ctx([], [], null, withBn(0.999, 300), data), {}, ['static'])), []);
  assert.deepEqual(codes(diagnose(ctx([], [], null, withBn(0.9, 5), data), {}, ['static'])), []);
});

test('batchnorm-unstable (runtime): running averages that never caught up with small features are fixed by a momentum that forgets the start', () => {
  const text = (epochs: number) => JSON.stringify({
    name: 'bn', data: { source: 'circles', preprocess: 'standardize' },
    layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'batchnorm' }, { type: 'dense', units: 2 }],
    loss: 'softmax-cross-entropy', optimizer: { type: 'sgd', lr: 0.01 }, epochs, batchSize: 32,
  }, null, 2);
  const spec = specOf(text(2));
  // each channel's batch variance is 0.01 while the running variance is still mostly its starting 1
  const probe = (step: number, batchVar: number): ProbeSnapshot => ({
    step, epoch: 1, loss: 0.6, lr: 0.01, clipping: null,
    layers: spec.layers.map((l, position) => ({
      index: l.index, name: l.name, position, kind: l.kind,
      gradNorm: l.kind === 'dense' ? 0.1 : null, biasGradNorm: null, weightNorm: l.kind === 'dense' ? 4 : null, updateRatio: l.kind === 'dense' ? 1e-3 : null, histogram: null,
      activationMean: 0, activationStd: 1, deadRatio: l.kind === 'relu' ? 0.05 : null, saturationRatio: null, nonFinite: 0,
      batchNorm: l.kind === 'batchnorm' ? { meanShift: 0.1, varRatio: batchVar / 0.13, batchMean: 0, batchVar, runningMean: 0, runningVar: 0.13, gammaMean: 1, gammaMinAbs: 1, betaMean: 0 } : null,
    })),
  });
  const data = datasetOf([wave(320, 1), wave(320, 1, 0.2)], ['a', 'b']);
  const fixesOf = (epochs: number, batchVar: number) =>
    diagnose(ctx(Array.from({ length: 6 }, (_, i) => probe(1 + i * 3, batchVar)), [], null, text(epochs), data), {}, ['runtime']).find((f) => f.code === 'batchnorm-unstable')?.fixes.map((x) => x.id);
  // 2 epochs of 10 steps at momentum 0.9 leave 0.12 of the start, twelve times the variance measured
  assert.deepEqual(fixesOf(2, 0.01), ['batchnorm-momentum:batchnorm_1:0.7', 'lr:0.001']);
  // a long run has forgotten its start: the statistics disagree because the steps are too big
  assert.deepEqual(fixesOf(50, 0.01), ['lr:0.001']);
  // no variance within the batch (one value per channel) says nothing about the averages lagging
  assert.deepEqual(fixesOf(2, 0), ['lr:0.001']);
  wellFormed(diagnose(ctx(Array.from({ length: 6 }, (_, i) => probe(1 + i * 3, 0.01)), [], null, text(2), data)), text(2));
});
