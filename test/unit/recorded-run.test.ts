// The recorded-run adapter: a `.nnd.jsonl` stream written by python/nn_debugger is read back with its
// non-finite numbers, its errors name the line, the ModelSpec stand-in keeps the layer order the rules
// index by position, the rules fire on a vanishing stack and stay quiet on a healthy one, and every fix
// the rules can name has PyTorch code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNumbers } from '../../src/shared/protocol';
import { parseRecordedRun, RecordedStreamError } from '../../src/engine/recorded/stream';
import { recordedSpec } from '../../src/engine/recorded/spec';
import { diagnoseRecorded } from '../../src/engine/recorded/diagnose';
import { moduleExpr, pytorchFix } from '../../src/engine/recorded/pytorch-fixes';
import { FIXES } from '../../src/engine/fixes';
import { definitionLine } from '../../src/extension/python-source';
import type { LayerProbe, ModelSummary, ProbeSnapshot } from '../../src/engine/types';

type Layer = { name: string; kind: string; units: number };

function start(layers: Layer[], optimizer = { type: 'sgd', name: 'SGD', lr: 0.1, momentum: 0.9, nesterov: false }) {
  const model: ModelSummary = {
    name: 'Net', inputs: 2, outputs: 2, task: 'classification', trainSamples: 0, valSamples: 0, paramCount: 0, kernel: 'pytorch', dtype: 'float32',
    layers: layers.map((l, position) => ({ index: position, name: l.name, position, kind: l.kind, inputSize: l.units, outputSize: l.units, paramCount: 0 })),
  };
  const run = { version: 1, framework: 'pytorch', script: '/x/train.py', every: 10, rank: 0, worldSize: 1, batchSize: 64, optimizer, layers: layers.map((l, position) => ({ position, name: l.name, kind: l.kind, module: 'M' })) };
  return { type: 'start', model, run };
}

/** A probe where each weight layer's RMS gradient is `rms(position)`. */
function probe(step: number, layers: Layer[], rms: (position: number) => number, over: (position: number) => Partial<LayerProbe> = () => ({})): ProbeSnapshot {
  return {
    step, epoch: 1, loss: 1 / step, lr: 0.1, clipping: null,
    layers: layers.map((l, position) => {
      const weighted = l.kind === 'dense' || l.kind.startsWith('conv');
      return {
        index: position, name: l.name, position, kind: l.kind,
        gradNorm: weighted ? rms(position) * 16 : null, biasGradNorm: weighted ? 0.01 : null, weightNorm: weighted ? 4 : null, updateRatio: weighted ? 1e-3 : null,
        histogram: weighted ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 256, 0, 0, 0, 0] : null,
        activationMean: 0, activationStd: 1, deadRatio: l.kind === 'relu' ? 0.05 : null, saturationRatio: l.kind === 'sigmoid' ? 0.05 : null, batchNorm: null, nonFinite: 0,
        ...over(position),
      };
    }),
  };
}

const lines = (messages: unknown[]) => messages.map((m) => JSON.stringify(encodeNumbers(m))).join('\n') + '\n';

const SIGMOID: Layer[] = [
  { name: 'fc1', kind: 'dense', units: 16 }, { name: 'act', kind: 'sigmoid', units: 16 },
  { name: 'fc2', kind: 'dense', units: 16 }, { name: 'act#2', kind: 'sigmoid', units: 16 },
  { name: 'fc3', kind: 'dense', units: 16 }, { name: 'act#3', kind: 'sigmoid', units: 16 },
  { name: 'out', kind: 'dense', units: 2 },
];

test('reads a stream back with NaN/Infinity and the first non-finite report', () => {
  const text = lines([
    start(SIGMOID),
    { type: 'probe', snapshot: probe(1, SIGMOID, () => 0.1, (p) => (p === 2 ? { activationMean: NaN, nonFinite: 3 } : {})) },
    { type: 'non-finite', report: { step: 7, layer: { index: 2, name: 'fc2' }, stage: 'forward' } },
    { type: 'non-finite', report: { step: 9, layer: { index: 0, name: 'fc1' }, stage: 'forward' } },
    { type: 'epoch', metrics: { epoch: 1, step: 10, loss: Infinity, accuracy: null, valLoss: null, valAccuracy: null, lr: 0.1, durationMs: 1, samplesPerSecond: 0 } },
  ]);
  const run = parseRecordedRun(text, 'r.nnd.jsonl');
  assert.ok(Number.isNaN(run.probes[0].layers[2].activationMean));
  assert.equal(run.epochs[0].loss, Infinity);
  assert.deepEqual(run.nonFinite, { step: 7, layer: { index: 2, name: 'fc2' }, stage: 'forward' });
  assert.equal(run.summary, null);
  const findings = diagnoseRecorded(run);
  assert.equal(findings[0].code, 'non-finite');
  assert.equal(findings[0].layer?.name, 'fc2');
});

test('errors name the file and line; a line cut off at the end of a killed run is ignored', () => {
  const good = lines([start(SIGMOID), { type: 'probe', snapshot: probe(1, SIGMOID, () => 0.1) }]);
  assert.equal(parseRecordedRun(good + '{"type":"pro', 'r.nnd.jsonl').probes.length, 1);
  assert.throws(() => parseRecordedRun(good + '{"type":"pro\n', 'r.nnd.jsonl'), (e: Error) => e instanceof RecordedStreamError && /r\.nnd\.jsonl:3: not JSON/.test(e.message));
  assert.throws(() => parseRecordedRun(good + '{"type":"weights"}\n', 'r.nnd.jsonl'), /r\.nnd\.jsonl:3: unknown message type "weights"/);
  assert.throws(() => parseRecordedRun(good + '{"type":"probe","snapshot":{"step":2}}\n', 'r.nnd.jsonl'), /r\.nnd\.jsonl:3: "probe" message has no valid "snapshot"/);
  assert.throws(() => parseRecordedRun(lines([{ type: 'probe', snapshot: probe(1, SIGMOID, () => 0.1) }]), 'r.nnd.jsonl'), /r\.nnd\.jsonl:1: "probe" before the "start"/);
  assert.throws(() => parseRecordedRun('', 'empty.nnd.jsonl'), /empty\.nnd\.jsonl: no "start" message/);
});

test('a module first run after the start comes as a second "start" that extends the model; another model is an error', () => {
  const late = [...SIGMOID, { name: 'extra', kind: 'sigmoid', units: 16 }];
  const run = parseRecordedRun(lines([start(SIGMOID), { type: 'probe', snapshot: probe(1, SIGMOID, () => 0.1) }, start(late), { type: 'probe', snapshot: probe(10, late, () => 0.1) }]), 'r.nnd.jsonl');
  assert.deepEqual(run.model.layers.map((l) => l.name), late.map((l) => l.name));
  assert.deepEqual(run.run.layers.map((l) => l.name), late.map((l) => l.name));
  assert.equal(run.probes.length, 2);
  const other = [{ name: 'other', kind: 'dense', units: 4 }, ...SIGMOID];
  assert.throws(() => parseRecordedRun(lines([start(SIGMOID), start(other)]), 'r.nnd.jsonl'), /r\.nnd\.jsonl:2: a second "start" message that does not extend/);
});

test('the spec stand-in keeps forward order, optimiser and batch size; convolutions are weight layers', () => {
  const layers: Layer[] = [{ name: 'conv1', kind: 'conv2d', units: 8 }, { name: 'bn1', kind: 'batchnorm', units: 8 }, { name: 'relu', kind: 'relu', units: 8 }, { name: 'pool', kind: 'maxpool', units: 8 }, { name: 'fc', kind: 'dense', units: 10 }];
  const spec = recordedSpec(parseRecordedRun(lines([start(layers)]), 'r'));
  assert.deepEqual(spec.layers.map((l) => [l.name, l.kind]), [['conv1', 'dense'], ['bn1', 'batchnorm'], ['relu', 'relu'], ['pool', 'linear'], ['fc', 'dense']]);
  assert.deepEqual(spec.optimizer, { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false });
  assert.equal(spec.batchSize, 64);
  // a dead ReLU after a convolution is traced back to it, by position
  const dead = (step: number) => probe(step, layers, () => 0.1, (p) => (p === 2 ? { deadRatio: 0.9 } : {}));
  const findings = diagnoseRecorded(parseRecordedRun(lines([start(layers), ...[1, 10, 20, 30, 40].map((s) => ({ type: 'probe', snapshot: dead(s) }))]), 'r'));
  const relu = findings.find((f) => f.code === 'dead-relu');
  assert.equal(relu?.layer?.name, 'relu');
  assert.ok(relu?.fixes.some((f) => f.id === 'insert-batchnorm:conv1'));
});

test('vanishing gradients are blamed on the first layer they die in; a healthy run is quiet', () => {
  const steps = [1, 10, 20, 30, 40, 50, 60];
  const vanishing = (p: number) => (p === 0 ? 1e-6 : p === 2 ? 1e-3 : 0.05);
  const run = (rms: (p: number) => number) => parseRecordedRun(lines([start(SIGMOID), ...steps.map((s) => ({ type: 'probe', snapshot: probe(s, SIGMOID, rms) }))]), 'r');
  const bad = diagnoseRecorded(run(vanishing)).filter((f) => f.severity !== 'info');
  assert.deepEqual(bad.map((f) => `${f.code}@${f.layer?.name}`), ['vanishing-gradients@fc1']);
  assert.match(pytorchFix(bad[0].fixes[0].id, SIGMOID), /self\.act = nn\.ReLU\(\)\nnn\.init\.kaiming_normal_\(model\.fc1\.weight, nonlinearity="relu"\)/);
  assert.deepEqual(diagnoseRecorded(run(() => 0.05)), []);
});

test('every fix kind the rules can name has PyTorch code', () => {
  const samples: Record<string, string> = {
    'clip-norm': 'clip-norm:5', 'clip-value': 'clip-value:1', lr: 'lr:0.001', schedule: 'schedule:step', reinit: 'reinit:fc1,fc2:he',
    'leaky-relu': 'leaky-relu:relu', 'relu-he': 'relu-he:act', 'insert-batchnorm': 'insert-batchnorm:fc1', 'insert-activation': 'insert-activation:fc1:relu',
    'remove-layer': 'remove-layer:out', dropout: 'dropout:drop:0.2', l2: 'l2:0.001', 'early-stopping': 'early-stopping', standardize: 'standardize',
    loss: 'loss:softmax-cross-entropy', 'batchnorm-momentum': 'batchnorm-momentum:bn:0.9', 'batch-size': 'batch-size:32',
    'target-scaling': 'target-scaling:standardize',
    'leaky-relu-he': 'leaky-relu-he:act', 'bias-init': 'bias-init:fc1,fc2',
  };
  for (const kind of Object.keys(FIXES)) {
    assert.ok(samples[kind], `a sample id for fix kind ${kind}`);
    const code = pytorchFix(samples[kind]);
    assert.ok(!code.startsWith(`# ${samples[kind]}`), `${kind} has PyTorch code`);
  }
  assert.equal(pytorchFix('reinit:fc1,fc2:he'), 'nn.init.kaiming_normal_(model.fc1.weight, nonlinearity="relu")\nnn.init.kaiming_normal_(model.fc2.weight, nonlinearity="relu")');
  assert.equal(pytorchFix('clip-norm:5'), 'torch.nn.utils.clip_grad_norm_(model.parameters(), 5)  # between loss.backward() and optimizer.step()');
  // PyTorch weighs the new batch by momentum; the engine weighs the running average
  assert.equal(pytorchFix('batchnorm-momentum:bn:0.9'), 'model.bn.momentum = 0.1');
  assert.equal(moduleExpr('layers.0'), 'model.layers[0]');
  assert.equal(moduleExpr('act#2'), 'model.act');
});

test('a layer name finds the Python line that defines its module', () => {
  const text = ['class Net(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.fc1 = nn.Linear(2, 8)', '        self.layers = nn.Sequential(nn.Linear(8, 8), nn.ReLU())', '        self.act: nn.Module = nn.Sigmoid()', '    def forward(self, x):', '        if self.fc1 == None: pass', '        return self.layers(self.act(self.fc1(x)))'].join('\n');
  assert.equal(definitionLine(text, 'fc1'), 3);
  assert.equal(definitionLine(text, 'layers.0'), 4);
  assert.equal(definitionLine(text, 'act#2'), 5);
  assert.equal(definitionLine(text, 'fc9'), null);
  assert.equal(definitionLine('model = nn.Sequential(\n  nn.Linear(2, 2))\n', '0'), null);
});

test('nn-debugger diagnose: findings with PyTorch code, exit 1 on an error finding, 2 with the line of a bad stream', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-recorded-'));
  const cli = (file: string, json = true) => spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'diagnose', file, ...(json ? ['--json'] : [])], { encoding: 'utf8', timeout: 60_000 });
  const nan = path.join(dir, 'nan.nnd.jsonl');
  fs.writeFileSync(nan, lines([start(SIGMOID), { type: 'probe', snapshot: probe(1, SIGMOID, () => 0.1) }, { type: 'non-finite', report: { step: 3, layer: { index: 2, name: 'fc2' }, stage: 'forward' } }]));
  const r = cli(nan);
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.findings[0].code, 'non-finite');
  assert.match(report.findings[0].fixes[1].pytorch, /^torch\.nn\.utils\.clip_grad_norm_\(model\.parameters\(\), \d+\)/);
  const bad = path.join(dir, 'bad.nnd.jsonl');
  fs.writeFileSync(bad, lines([start(SIGMOID)]) + '{"type":"probe"}\n');
  const b = cli(bad, false);
  assert.equal(b.status, 2);
  assert.match(b.stderr, /bad\.nnd\.jsonl:2: "probe" message has no valid "snapshot"/);
});
