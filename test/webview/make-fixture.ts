// Writes fixtures/broken-run.json: the message stream the extension sends the panel for two runs of one
// model, first a broken run (learning rate too high: a dying ReLU layer, saturating tanh, gradients that
// explode to Infinity and then NaN), then the retrain after the clip-norm fix, healthy. Synthetic but
// shaped exactly like the protocol (ToWebview messages, encoded with encodeNumbers as on the wire).
// Layer names include hostile markup on purpose. Run: node --import tsx test/webview/make-fixture.ts
import { writeFileSync } from 'fs';
import { join } from 'path';
import { encodeNumbers, type RunInfo, type ToWebview } from '../../src/shared/protocol';
import { CONCEPTS } from '../../src/engine/diagnosis/concepts';
import type { Finding, LayerProbe, ModelLayerSummary, ProbeSnapshot } from '../../src/engine/types';

export const HOSTILE_SCRIPT_NAME = '</script><script>window.__pwned = 1</script>';
export const HOSTILE_IMG_NAME = '<img src=x onerror="window.__pwned = 2">';

const STEPS = 600;
const STEPS_PER_EPOCH = 30;
const PROBE_EVERY = 5;
const BATCH_STEPS = 15;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const layers: ModelLayerSummary[] = [
  { index: 0, name: 'dense_1', position: 0, kind: 'dense', inputSize: 2, outputSize: 32, paramCount: 96 },
  { index: 0, name: 'dense_1', position: 1, kind: 'relu', inputSize: 32, outputSize: 32, paramCount: 0 },
  { index: 1, name: HOSTILE_SCRIPT_NAME, position: 2, kind: 'dense', inputSize: 32, outputSize: 32, paramCount: 1056 },
  { index: 2, name: 'bn_1', position: 3, kind: 'batchnorm', inputSize: 32, outputSize: 32, paramCount: 64 },
  { index: 3, name: 'tanh_1', position: 4, kind: 'tanh', inputSize: 32, outputSize: 32, paramCount: 0 },
  { index: 4, name: HOSTILE_IMG_NAME, position: 5, kind: 'dense', inputSize: 32, outputSize: 3, paramCount: 99 },
];

function runInfo(runId: string): RunInfo {
  return {
    runId,
    modelPath: '/workspace/examples/broken/spiral-lr-too-high.nn.json',
    seed: 42,
    startedAt: 1_780_000_000_000,
    model: { name: 'spiral (lr too high)', inputs: 2, outputs: 3, task: 'classification', trainSamples: 900, valSamples: 300, paramCount: 1315, layers, kernel: 'wasm-simd', dtype: 'float32' },
  };
}

function histogram(r: () => number, centre: number): number[] {
  return Array.from({ length: 14 }, (_, k) => Math.round(400 * Math.exp(-((k - centre) ** 2) / 3) + 10 * r()));
}

function probeLayer(l: ModelLayerSummary, fields: Partial<LayerProbe>): LayerProbe {
  return { index: l.index, name: l.name, position: l.position, kind: l.kind, gradNorm: null, biasGradNorm: null, weightNorm: null, updateRatio: null, histogram: null, activationMean: null, activationStd: null, deadRatio: null, saturationRatio: null, batchNorm: null, nonFinite: 0, ...fields };
}

/** One run. `broken` grows the middle layer's gradient until it overflows at step 540. */
function simulate(runId: string, broken: boolean): ToWebview[] {
  const r = rng(broken ? 1 : 2);
  const out: ToWebview[] = [{ type: 'run-start', run: runInfo(runId) }, { type: 'run-state', runId, state: 'running' }];
  let steps: ToWebview & { type: 'progress' } = { type: 'progress', runId, batch: { steps: [], epochs: [], probes: [], findings: null } };
  const flush = () => {
    out.push(steps);
    steps = { type: 'progress', runId, batch: { steps: [], epochs: [], probes: [], findings: null } };
  };
  let lastLoss = 0;
  for (let step = 1; step <= STEPS; step++) {
    const t = step / STEPS;
    const noise = 0.05 * (r() - 0.5);
    const loss = broken ? (step < 540 ? 1.1 - 0.5 * t + 2 * Math.max(0, t - 0.6) ** 2 + noise : NaN) : 1.1 * Math.exp(-3 * t) + 0.05 + noise / 2;
    lastLoss = loss;
    const epoch = Math.ceil(step / STEPS_PER_EPOCH);
    steps.batch.steps.push({ step, epoch, loss, lr: broken ? 0.5 : 0.5 });
    if (step % PROBE_EVERY === 0) {
      const g = (base: number) => base * (1 + 0.2 * (r() - 0.5));
      const explode = broken ? Math.exp(12 * Math.max(0, t - 0.5)) : 1;
      const midNorm = broken && step >= 540 ? (step >= 560 ? NaN : Infinity) : g(0.8) * explode;
      const probe: ProbeSnapshot = {
        step,
        epoch,
        loss,
        lr: 0.5,
        clipping: broken ? null : { mode: 'norm', clippedFraction: 0.2 * r(), normBefore: g(6), normAfter: 5 },
        layers: [
          probeLayer(layers[0]!, { gradNorm: g(broken ? 0.05 * (1 - 0.9 * t) : 0.6), weightNorm: 4, updateRatio: g(broken ? 2e-3 * (1 - 0.9 * t) : 1e-3), histogram: histogram(r, broken ? 5 : 8) }),
          probeLayer(layers[1]!, { deadRatio: broken ? Math.min(0.85, 0.1 + 1.2 * t) : 0.08 + 0.02 * r(), activationMean: 0.3 }),
          probeLayer(layers[2]!, { gradNorm: midNorm, weightNorm: 6, updateRatio: broken ? g(1e-2) * explode : g(8e-4), histogram: histogram(r, broken ? 11 : 8), nonFinite: broken && step >= 540 ? 1056 : 0 }),
          probeLayer(layers[3]!, {
            gradNorm: g(0.3),
            updateRatio: g(5e-4),
            batchNorm: { meanShift: 0.1, varRatio: 1, batchMean: 0.2 * Math.sin(step / 40) + 0.1 * r(), runningMean: 0.2 * Math.sin(step / 40 - 0.5), batchVar: 1 + 0.3 * Math.cos(step / 50) + 0.1 * r(), runningVar: 1 + 0.3 * Math.cos(step / 50 - 0.5), gammaMean: 1 + 0.2 * t, gammaMinAbs: 0.5, betaMean: 0.05 * t },
          }),
          probeLayer(layers[4]!, { saturationRatio: broken ? Math.min(0.9, 0.2 + t) : 0.1 + 0.05 * r() }),
          probeLayer(layers[5]!, { gradNorm: g(1.5), weightNorm: 3, updateRatio: g(1.2e-3), histogram: histogram(r, 9) }),
        ],
      };
      steps.batch.probes.push(probe);
    }
    if (step % STEPS_PER_EPOCH === 0) {
      const acc = broken ? Math.min(0.62, 0.4 + 0.5 * t) : Math.min(0.97, 0.4 + 0.9 * t);
      steps.batch.epochs.push({ epoch, step, loss, accuracy: acc, valLoss: broken ? loss * 1.1 : loss * 1.05, valAccuracy: acc - 0.03, lr: 0.5, durationMs: 120, samplesPerSecond: 7500 + Math.round(500 * r()) });
      steps.batch.findings = broken ? findingsAt(step) : [];
    }
    if (step % BATCH_STEPS === 0) flush();
  }
  const final = broken ? findingsAt(STEPS) : [];
  out.push({ type: 'run-state', runId, state: 'finished' });
  out.push({
    type: 'run-end',
    runId,
    findings: final,
    summary: {
      status: broken ? 'non-finite' : 'completed',
      epochs: STEPS / STEPS_PER_EPOCH,
      steps: STEPS,
      durationMs: 2400,
      samplesPerSecond: 7800,
      final: { loss: lastLoss, accuracy: broken ? null : 0.96, valLoss: broken ? NaN : 0.09, valAccuracy: broken ? null : 0.94 },
      nonFinite: broken ? { step: 540, layer: { index: 1, name: HOSTILE_SCRIPT_NAME }, stage: 'backward' } : null,
      restoredEpoch: null,
    },
  });
  return out;
}

/** The broken run's findings as the diagnosis would report them after the epoch ending at `step`. */
function findingsAt(step: number): Finding[] {
  const found: Omit<Finding, 'layers' | 'concept'>[] = [];
  if (step >= 240) {
    found.push({
      code: 'dead-relu',
      severity: 'warning',
      layer: { index: 0, name: 'dense_1' },
      field: null,
      message: 'Most ReLU units of dense_1 output zero for every sample: they no longer learn.',
      evidence: { metric: 'dead unit share', value: Math.min(0.85, 0.1 + 1.2 * (step / STEPS)), threshold: 0.5, comparison: '>', fromStep: 240, toStep: step, details: { units: 32 } },
      fixes: [
        { id: 'reinit:dense_1:he', title: 'Re-initialise dense_1 with He', preferred: false },
        { id: 'activation:dense_1:leaky-relu', title: 'Switch dense_1 to leaky ReLU', preferred: true },
      ],
    });
    found.push({
      code: 'saturated-activation',
      severity: 'warning',
      layer: { index: 3, name: 'tanh_1' },
      field: null,
      message: 'tanh_1 outputs sit at ±1 for most samples, where its gradient is almost zero.',
      evidence: { metric: 'saturated output share', value: Math.min(0.9, 0.2 + step / STEPS), threshold: 0.5, comparison: '>', fromStep: 240, toStep: step, details: {} },
      fixes: [{ id: 'add-batchnorm:3', title: 'Add batch norm before tanh_1', preferred: true }],
    });
  }
  if (step >= 420) {
    found.push({
      code: 'exploding-gradients',
      severity: 'error',
      layer: { index: 1, name: HOSTILE_SCRIPT_NAME },
      field: null,
      message: `The gradient of ${HOSTILE_SCRIPT_NAME} grows without bound.`,
      evidence: { metric: 'gradient L2 norm', value: step >= 540 ? Infinity : 1500, threshold: 1000, comparison: '>', fromStep: 420, toStep: step, details: { growthPerCheck: 1.9, layerName: HOSTILE_IMG_NAME } },
      fixes: [
        { id: 'lr:0.05', title: 'Lower the learning rate to 0.05', preferred: false },
        { id: 'clip-norm:5', title: 'Clip gradients at norm 5', preferred: true },
      ],
    });
  }
  if (step >= 540) {
    found.push({
      code: 'non-finite',
      severity: 'error',
      layer: { index: 1, name: HOSTILE_SCRIPT_NAME },
      field: null,
      message: 'NaN appeared in the backward pass.',
      evidence: { metric: 'loss', value: NaN, threshold: 0, comparison: '=', fromStep: 540, toStep: null, details: {} },
      fixes: [{ id: 'clip-norm:5', title: 'Clip gradients at norm 5', preferred: true }],
    });
    found.push({
      code: 'overfitting',
      severity: 'info',
      layer: null,
      field: 'training',
      message: 'Validation loss rises while training loss falls.',
      evidence: { metric: 'validation/train loss gap', value: 0.12, threshold: 0.1, comparison: '>', fromStep: 480, toStep: step, details: {} },
      fixes: [{ id: 'early-stopping:5', title: 'Stop early (patience 5)', preferred: true }],
    });
  }
  return found.map((f) => ({ ...f, layers: f.layer ? [{ layer: f.layer, value: f.evidence.value }] : [], concept: CONCEPTS[f.code] }));
}

export function makeFixture(): { source: string; runs: unknown[][] } {
  return {
    source: 'synthetic: test/webview/make-fixture.ts',
    runs: [simulate('run-1', true), simulate('run-2', false)].map((run) => run.map((m) => encodeNumbers(m) as unknown)),
  };
}

if (process.argv[1] && /make-fixture\.ts$/.test(process.argv[1])) {
  const file = join(__dirname, 'fixtures', 'broken-run.json');
  writeFileSync(file, JSON.stringify(makeFixture()));
  console.log(`wrote ${file}`);
}
