// Export to PyTorch, the TypeScript side: the CLI's arguments and its refusal to replace files, the files'
// contents (data and initial weights exactly as the engine holds them), and Python names for layers.
// Whether the scripts train as the engine does is python/tests/test_export.py's job (npm run test:python).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs, UsageError } from '../../src/cli/args';
import { attributeNames, pyFloat } from '../../src/engine/export/python-text';
import { exportToPyTorch } from '../../src/engine/export/pytorch';
import { prepareSpec } from '../../src/engine/session';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';

const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

const MODEL = JSON.stringify({
  name: 'tiny',
  seed: 5,
  data: { source: 'blobs', samples: 60, classes: 3, validationSplit: 0.25 },
  layers: [{ type: 'dense', units: 4, activation: 'relu', name: 'hidden' }, { type: 'batchnorm' }, { type: 'dense', units: 3 }, { type: 'softmax' }],
  loss: 'softmax-cross-entropy',
  optimizer: { type: 'adam', lr: 0.01 },
});

test('export arguments: --to pytorch is required, --out and --no-same-init are read', () => {
  assert.throws(() => parseArgs(['export', 'm.nn.json']), (e: unknown) => e instanceof UsageError && /--to pytorch/.test(e.message));
  assert.throws(() => parseArgs(['export', 'm.nn.json', '--to', 'onnx']), /unknown target "onnx"/);
  assert.deepEqual(parseArgs(['export', 'm.nn.json', '--to', 'pytorch', '--out', 'x.py', '--no-same-init']), {
    name: 'export', model: 'm.nn.json', to: 'pytorch', out: 'x.py', sameInit: false, force: false,
  });
});

test('the CLI writes the script beside the model and never replaces a file without --force', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-export-'));
  const model = path.join(dir, 'tiny.nn.json');
  fs.writeFileSync(model, MODEL);
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'export', model, '--to', 'pytorch', ...args], { cwd: ROOT, encoding: 'utf8' });
  const first = cli();
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['tiny.data.f64', 'tiny.init.f64', 'tiny.nn.json', 'tiny.py']);
  fs.writeFileSync(path.join(dir, 'tiny.py'), '# mine');
  const again = cli();
  assert.equal(again.status, 2);
  assert.match(again.stderr, /tiny\.py, .*already exist; pass --force/);
  assert.equal(fs.readFileSync(path.join(dir, 'tiny.py'), 'utf8'), '# mine');
  assert.equal(cli('--force').status, 0);
  assert.match(fs.readFileSync(path.join(dir, 'tiny.py'), 'utf8'), /class Model\(nn\.Module\)/);
  const badOut = cli('--out', path.join(dir, 'other.txt'));
  assert.equal(badOut.status, 2);
  assert.match(badOut.stderr, /must end with \.py/);
});

test("the files hold the engine's split data and its initial weights, transposed to PyTorch's layout", () => {
  const spec = prepareSpec(MODEL, 'tiny.nn.json');
  const dataset = loadDataset(spec, {});
  const out = exportToPyTorch({ spec, dataset, modelFile: 'tiny.nn.json', stem: 'tiny', sameInit: true });
  const [data, init] = out.files.map((f) => new Float64Array(f.bytes.buffer.slice(f.bytes.byteOffset, f.bytes.byteOffset + f.bytes.byteLength)));
  const { train, val } = dataset;
  assert.deepEqual([...data], [...train.x, ...train.labels, ...val.x, ...val.labels]);
  const layers = new Trainer(spec, dataset, { dtype: 'float64' }).layers;
  const [w, b] = layers[0].params.map((p) => p.value);
  // hidden.weight is [out × in] in PyTorch: entry (o, i) is the engine's (i, o).
  const inputs = dataset.inputs;
  for (let o = 0; o < 4; o++) for (let i = 0; i < inputs; i++) assert.equal(init[o * inputs + i], w[i * 4 + o]);
  assert.deepEqual([...init.subarray(4 * inputs, 4 * inputs + 4)], [...b]);
  assert.match(out.script, /INIT_LAYOUT = \[\("hidden\.weight", \(4, 2\)\), \("hidden\.bias", \(4,\)\), \("batchnorm_1\.weight"/);
  // The final softmax is part of nn.CrossEntropyLoss: no module for it.
  assert.doesNotMatch(out.script, /nn\.Softmax/);
  assert.match(out.script, /BatchNorm1dAnyBatch\(4, eps=0\.00001, momentum=1 - 0\.9\)/);
  assert.equal(exportToPyTorch({ spec, dataset, modelFile: 'tiny.nn.json', stem: 'tiny', sameInit: false }).files.length, 1);
});

test('layer names become distinct Python attributes', () => {
  assert.deepEqual(attributeNames(['dense_1', 'dense_1/relu', 'dense_1_relu', 'class', 'training', '2nd']), ['dense_1', 'dense_1_relu', 'dense_1_relu_2', 'class_', 'training_', 'layer_2nd']);
  assert.deepEqual([pyFloat(5), pyFloat(0.01), pyFloat(1e-8), pyFloat(1e21)], ['5.0', '0.01', '1e-8', '1e+21']);
});

const CNN = JSON.stringify({
  name: 'cnn',
  seed: 3,
  data: { source: 'shapes', samples: 40, classes: 4, validationSplit: 0.25 },
  layers: [
    { type: 'conv2d', filters: 3, kernel: [3, 5], stride: [1, 2], padding: 'same', name: 'conv' },
    { type: 'batchnorm' },
    { type: 'maxpool', size: 2 },
    { type: 'dense', units: 4, name: 'logits' },
  ],
  loss: 'softmax-cross-entropy',
  optimizer: 'adam',
});

test("a CNN's files: images as the engine's channel-major rows, conv weights in PyTorch's [F, C, kh, kw] order", () => {
  const spec = prepareSpec(CNN, 'cnn.nn.json');
  const dataset = loadDataset(spec, {});
  const out = exportToPyTorch({ spec, dataset, modelFile: 'cnn.nn.json', stem: 'cnn', sameInit: true });
  const [data, init] = out.files.map((f) => new Float64Array(f.bytes.buffer.slice(f.bytes.byteOffset, f.bytes.byteOffset + f.bytes.byteLength)));
  assert.deepEqual([...data.subarray(0, dataset.train.x.length)], [...dataset.train.x]);
  assert.match(out.script, /INPUT_SHAPE = \(1, 16, 16\)/);
  const layers = new Trainer(spec, dataset, { dtype: 'float64' }).layers;
  // The engine's conv weight is [filters × C·kh·kw] with C, then kernel row, then column: PyTorch's order, flat.
  const [w, b] = layers[0].params.map((p) => p.value);
  assert.deepEqual([...init.subarray(0, 3 * 1 * 3 * 5)], [...w]);
  assert.deepEqual([...init.subarray(45, 48)], [...b]);
  assert.match(out.script, /INIT_LAYOUT = \[\("conv\.weight", \(3, 1, 3, 5\)\), \("conv\.bias", \(3,\)\), \("batchnorm_1\.weight", \(3,\)\)/);
  // "same" (odd kernels) pads (k - 1) / 2 on both sides of each axis, as padding= does.
  assert.match(out.script, /nn\.Conv2d\(1, 3, kernel_size=\(3, 5\), stride=\(1, 2\), padding=\(1, 2\)\)/);
  assert.match(out.script, /BatchNorm2dAnyBatch\(3, eps=0\.00001, momentum=1 - 0\.9\)/);
  assert.doesNotMatch(out.script, /class BatchNorm1dAnyBatch/);
  // The dense layer after the pooled image flattens it (C·H·W, channel-major) on the way in.
  assert.match(out.script, /nn\.Linear\(96, 4\)/);
  assert.match(out.script, /x = self\.logits\(x\.flatten\(1\)\)/);
});
