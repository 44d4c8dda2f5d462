// Image models in the `.nn.json` format: the new layer fields with their defaults, shapes inferred layer by
// layer, positioned shape errors, image data (mnist as 1×28×28, CSV rows with `inputShape`, the generated
// `shapes` source).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { DataError } from '../../src/engine/data/errors';
import { inferShapes } from '../../src/engine/spec/layer-kinds';
import type { ModelSpec } from '../../src/engine/spec/model-spec';

function model(layers: object[], data: object = { source: 'mnist' }): string {
  return JSON.stringify({ data, layers, loss: 'softmax-cross-entropy' }, null, 1);
}

function ok(text: string): ModelSpec {
  const r = parseModel(text, 'm.nn.json');
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return r.spec;
}

/** The error at `path`, covering `covered`, naming the layer and the given words. */
function expectError(text: string, path: (string | number)[], covered: string, words: string[]): void {
  const r = parseModel(text, 'm.nn.json');
  assert.equal(r.ok, false, 'the model was accepted');
  const issue = r.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(path));
  assert.ok(issue, `no issue at ${JSON.stringify(path)}; got ${r.issues.map((i) => `${JSON.stringify(i.path)} ${i.message}`).join(' | ')}`);
  assert.equal(text.slice(issue.offset, issue.offset + issue.length), covered, issue.message);
  if (typeof path[1] === 'number') assert.ok(issue.message.startsWith(`layers[${path[1]}]`), issue.message);
  for (const w of words) assert.ok(issue.message.includes(w), `"${w}" not in: ${issue.message}`);
}

const conv = (extra: object = {}) => ({ type: 'conv2d', filters: 4, kernel: 3, ...extra });
const logits = { type: 'dense', units: 10 };

test('conv2d fields: a number or [kh, kw], padding modes, defaults, and He init before a ReLU', () => {
  const spec = ok(model([conv({ kernel: [3, 5], stride: 2, padding: 'same', activation: 'relu' }), { type: 'maxpool' }, logits]));
  const c = spec.layers[0];
  assert.equal(c.kind, 'conv2d');
  if (c.kind !== 'conv2d') return;
  assert.deepEqual(c.kernel, [3, 5]);
  assert.deepEqual(c.stride, [2, 2]);
  assert.equal(c.padding, 'same');
  assert.equal(c.init.type, 'he');
  assert.equal(spec.layers[1].name, 'conv2d_1/relu');
  const p = spec.layers[2];
  assert.ok(p.kind === 'maxpool' && p.size[0] === 2 && p.stride[1] === 2, 'pool stride defaults to its size');
  const d = ok(model([conv({ padding: 1 }), { type: 'avgpool', size: [2, 3], stride: 1 }, logits])).layers[0];
  assert.ok(d.kind === 'conv2d' && d.padding === 1 && d.stride[0] === 1 && d.init.type === 'xavier');
});

test('shapes flow layer to layer: conv, pools, flatten, global pooling and the implicit flatten of dense', () => {
  const spec = ok(model([conv({ filters: 8, padding: 'same' }), { type: 'maxpool', size: 2 }, conv({ filters: 16, stride: 2 }), { type: 'globalavgpool' }, logits]));
  const shapes = inferShapes(spec.layers, [1, 28, 28]).layers.map((l) => l.output);
  assert.deepEqual(shapes, [[8, 28, 28], [8, 14, 14], [16, 6, 6], [16], [10]]);
  const params = inferShapes(spec.layers, [1, 28, 28]).layers.map((l) => l.params);
  assert.deepEqual(params, [8 * 9 + 8, 0, 16 * 8 * 9 + 16, 0, 16 * 10 + 10]);
  // dense straight after the pooled image: 8·14·14 inputs, flattened channel-major
  const flat = ok(model([conv({ filters: 8, padding: 'same' }), { type: 'maxpool' }, logits]));
  assert.equal(inferShapes(flat.layers, [1, 28, 28]).layers[2].params, 8 * 14 * 14 * 10 + 10);
});

test('shape errors are positioned on the layer and field that do not fit', () => {
  expectError(model([conv({ kernel: 30 }), logits]), ['layers', 0, 'kernel'], '30', ['larger than its padded input 28×28']);
  expectError(model([conv({ kernel: 5 }), conv({ kernel: 9, stride: 3 }), { type: 'maxpool', size: 8 }, logits]), ['layers', 2, 'size'], '8', ['does not fit', '6×6']);
  expectError(model([{ type: 'dense', units: 32 }, conv(), logits]), ['layers', 1], JSON.stringify(conv(), null, 1).replace(/\n/g, '\n  '), ['image input', 'after a dense']);
  expectError(model([conv({ kernel: 2, padding: 'same' }), logits]), ['layers', 0, 'padding'], '"same"', ['odd kernel']);
  expectError(model([conv({ filters: 6 }), { type: 'groupnorm', groups: 4 }, logits]), ['layers', 1, 'groups'], '4', ['6 channels']);
  expectError(model([conv(), { type: 'maxpool' }]), ['layers', 1], '{\n   "type": "maxpool"\n  }', ['ends with an image 4×13×13', 'flatten']);
  expectError(model([{ type: 'instancenorm' }, logits], { source: 'iris' }), ['layers', 0], '{\n   "type": "instancenorm"\n  }', ['image input']);
  expectError(model([conv({ kernel: [3] }), logits]), ['layers', 0, 'kernel'], '[\n    3\n   ]', ['at least 2']);
  expectError(model([conv({ padding: true }), logits]), ['layers', 0, 'padding'], 'true', ['"valid" or "same" or a number']);
});

test('mnist is 1×28×28 for conv layers and 784 features for dense ones', () => {
  const spec = ok(model([conv(), logits], { source: 'mnist', samples: 200 }));
  assert.deepEqual(spec.data.inputShape, [1, 28, 28]);
  const data = loadDataset(spec, {});
  assert.deepEqual(data.inputShape, [1, 28, 28]);
  assert.equal(data.inputs, 784);
  ok(model([{ type: 'dense', units: 32 }, logits], { source: 'mnist' }));
});

test('CSV and JSON files take inputShape [C, H, W]; a shape that does not match the columns is a DataError on it', () => {
  const header = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'target'].join(',');
  const rows = Array.from({ length: 12 }, (_, i) => [...Array.from({ length: 8 }, (_, j) => (i * j) % 5), i % 2].join(','));
  const csv = [header, ...rows].join('\n');
  const text = (shape: number[]) =>
    JSON.stringify({ data: { source: 'img.csv', inputShape: shape }, layers: [{ type: 'conv2d', filters: 2, kernel: 2 }, { type: 'dense', units: 2 }], loss: 'softmax-cross-entropy' });
  const spec = ok(text([2, 2, 2]));
  const data = loadDataset(spec, { 'img.csv': csv });
  assert.deepEqual(data.inputShape, [2, 2, 2]);
  assert.equal(data.inputs, 8);
  const bad = ok(text([1, 3, 3]));
  assert.throws(() => loadDataset(bad, { 'img.csv': csv }), (e: unknown) => e instanceof DataError && /inputShape \[1, 3, 3\] holds 9 values.*8 feature columns/.test(e.message) && JSON.stringify(e.path) === '["data","inputShape"]');
  // a kernel larger than the declared image is caught before any file is read
  expectError(text([2, 1, 1]), ['layers', 0, 'kernel'], '2', ['larger than its padded input 1×1']);
});

test('the shapes source: seeded 1×16×16 images, balanced classes, clean strokes without noise', () => {
  const text = (data: object) => model([conv(), { type: 'dense', units: 3 }], { source: 'shapes', preprocess: 'none', ...data });
  const a = loadDataset(ok(text({ samples: 300, classes: 3, noise: 0 })), {});
  const b = loadDataset(ok(text({ samples: 300, classes: 3, noise: 0 })), {});
  assert.deepEqual(a.inputShape, [1, 16, 16]);
  assert.deepEqual(Array.from(a.train.x), Array.from(b.train.x), 'same seed, same images');
  const all = [...a.train.labels, ...a.val.labels];
  for (let k = 0; k < 3; k++) assert.equal(all.filter((l) => l === k).length, 100);
  assert.ok(Array.from(a.train.x).every((v) => v === 0 || v === 1), 'noise 0: pixels are 0 or 1');
  for (let i = 0; i < a.train.n; i++) {
    const ink = a.train.x.subarray(i * 256, (i + 1) * 256).reduce((s, v) => s + v, 0);
    assert.ok(ink >= 4 && ink <= 40, `image ${i} has ${ink} lit pixels`);
  }
  const noisy = loadDataset(ok(text({ samples: 300, classes: 3, noise: 0.3 })), {});
  assert.ok(Array.from(noisy.train.x).some((v) => v !== 0 && v !== 1));
  expectError(text({ classes: 7 }), ['data', 'classes'], '7', ['at most 6']);
});
