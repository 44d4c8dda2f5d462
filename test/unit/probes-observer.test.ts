// Probes observe and never change training: a run probed at every step gives the bit-identical loss curve
// and weights of an unprobed run. Probe values are checked against quantities recomputed independently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';
import type { StepContext, TrainingObserver } from '../../src/engine/train/observer';
import { ProbeObserver } from '../../src/engine/probes/observer';
import type { ProbeSnapshot } from '../../src/engine/types';

function trainer(model: Record<string, unknown>, observers: TrainingObserver[] = []): Trainer {
  const parsed = parseModel(JSON.stringify({ name: 't', seed: 5, epochs: 3, batchSize: 16, ...model }), 't.nn.json');
  if (!parsed.ok) assert.fail(parsed.issues.map((i) => i.message).join('\n'));
  return new Trainer(parsed.spec, loadDataset(parsed.spec, {}), { observers, yieldEveryMs: 0 });
}

const SPIRAL = {
  data: { source: 'spiral', samples: 120, classes: 3, noise: 0.2, validationSplit: 0.25, preprocess: 'standardize' },
  layers: [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 16 },
    { type: 'batchnorm' },
    { type: 'tanh' },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax-cross-entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  clipping: { norm: 1 },
};

async function lossCurve(t: Trainer): Promise<number[]> {
  const losses: number[] = [];
  t.on((e) => {
    if (e.type === 'step') losses.push(e.metrics.loss);
  });
  await t.run();
  return losses;
}

test('a run probed at every step has the bit-identical loss curve and final weights of an unprobed run', async () => {
  const snapshots: ProbeSnapshot[] = [];
  const probed = trainer(SPIRAL, [new ProbeObserver(1, (s) => snapshots.push(s))]);
  const plain = trainer(SPIRAL);
  const a = await lossCurve(probed);
  const b = await lossCurve(plain);
  assert.ok(a.length > 10);
  assert.deepEqual(a, b);
  assert.equal(snapshots.length, a.length, 'one snapshot per step');
  probed.layers.forEach((layer, i) => {
    layer.params.forEach((p, k) => assert.deepEqual(Array.from(p.value), Array.from(plain.layers[i].params[k].value), p.id));
  });
});

/** Records, independently of the probe code, what a probe at this step should report. */
class Reference implements TrainingObserver {
  readonly rows: { step: number; gradNorm: number[]; updateRatio: number[]; count: number[] }[] = [];
  private before: number[][] = [];
  wants = (step: number) => step === 1 || step % 4 === 0;
  afterBackward(ctx: StepContext): void {
    const dense = ctx.layers.filter((l) => l.spec.kind === 'dense');
    this.before = dense.map((l) => Array.from(l.params[0].value));
    this.rows.push({
      step: ctx.step,
      gradNorm: dense.map((l) => Math.hypot(...Array.from(l.params[0].grad))),
      updateRatio: [],
      count: dense.map((l) => l.params[0].grad.length),
    });
  }
  afterUpdate(ctx: StepContext): void {
    const dense = ctx.layers.filter((l) => l.spec.kind === 'dense');
    this.rows[this.rows.length - 1].updateRatio = dense.map((l, i) => {
      const w = Array.from(l.params[0].value);
      return Math.hypot(...w.map((x, k) => x - this.before[i][k])) / Math.hypot(...this.before[i]);
    });
  }
}

test('gradient norms, update ratios and histograms match values recomputed from the live tensors', async () => {
  const snapshots: ProbeSnapshot[] = [];
  const ref = new Reference();
  await trainer(SPIRAL, [new ProbeObserver(4, (s) => snapshots.push(s)), ref]).run();
  assert.deepEqual(snapshots.map((s) => s.step), ref.rows.map((r) => r.step), 'probes on step 1 and every 4th step');
  snapshots.forEach((snap, i) => {
    const dense = snap.layers.filter((l) => l.kind === 'dense');
    dense.forEach((l, j) => {
      assert.ok(Math.abs(l.gradNorm! - ref.rows[i].gradNorm[j]) <= 1e-9 * Math.max(1, ref.rows[i].gradNorm[j]), `step ${snap.step} ${l.name} grad norm`);
      assert.ok(Math.abs(l.updateRatio! - ref.rows[i].updateRatio[j]) <= 1e-9, `step ${snap.step} ${l.name} update ratio`);
      assert.equal(l.histogram!.reduce((a, b) => a + b, 0), ref.rows[i].count[j], 'every gradient entry binned once');
    });
    const bn = snap.layers.find((l) => l.kind === 'batchnorm')!;
    assert.ok(bn.batchNorm && bn.batchNorm.varRatio > 0 && Number.isFinite(bn.batchNorm.meanShift));
    assert.equal(snap.layers.find((l) => l.kind === 'tanh')!.deadRatio, null);
    assert.ok(snap.layers.find((l) => l.kind === 'tanh')!.saturationRatio! >= 0);
  });
});

test('clipping telemetry reports the clipped fraction and the norms before and after', async () => {
  const snapshots: ProbeSnapshot[] = [];
  await trainer({ ...SPIRAL, clipping: { norm: 1e-3 } }, [new ProbeObserver(5, (s) => snapshots.push(s))]).run();
  for (const s of snapshots) {
    assert.equal(s.clipping!.mode, 'norm');
    assert.equal(s.clipping!.clippedFraction, 1, 'a tiny norm clips every step');
    assert.ok(s.clipping!.normBefore > 1e-3);
    assert.ok(Math.abs(s.clipping!.normAfter - 1e-3) < 1e-6);
  }
  const free: ProbeSnapshot[] = [];
  await trainer({ ...SPIRAL, clipping: { norm: 1e9 } }, [new ProbeObserver(5, (s) => free.push(s))]).run();
  assert.ok(free.every((s) => s.clipping!.clippedFraction === 0));
});

test('dead-unit ratio: ReLU and leaky ReLU units pushed negative by a large negative bias are all dead', async () => {
  for (const kind of ['relu', 'leaky-relu']) {
    const snapshots: ProbeSnapshot[] = [];
    const model = { ...SPIRAL, layers: [{ type: 'dense', units: 8, biasInit: { type: 'constant', value: -100 } }, { type: kind }, { type: 'dense', units: 3 }] };
    await trainer({ ...model, epochs: 1 }, [new ProbeObserver(3, (s) => snapshots.push(s))]).run();
    assert.ok(snapshots.length > 0);
    for (const s of snapshots) assert.equal(s.layers.find((l) => l.kind === kind)!.deadRatio, 1, kind);
  }
});

test('the cadence must be a positive number of steps', () => {
  assert.throws(() => new ProbeObserver(0, () => {}), /positive/);
});
