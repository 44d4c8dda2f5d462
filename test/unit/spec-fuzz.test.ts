// Property tests: thousands of random, structured-but-wrong and mutated model texts. parseModel never
// throws or hangs, every issue carries a range inside the text and starts with its place, and whenever it
// accepts a model with a generated source, loadDataset either loads it or throws a DataError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { DataError } from '../../src/engine/data/errors';
import { BUILTIN_SOURCES } from '../../src/engine/data/sources';
import { LAYER_FIELD } from '../../src/engine/spec/fields';

const examples = (() => {
  const dir = path.join(__dirname, '..', '..', 'examples');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.nn.json')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
})();

/** Runs parseModel and checks the invariants every result must keep. */
function checkText(text: string): void {
  const t0 = performance.now();
  const r = parseModel(text, 'fuzz.nn.json');
  assert.ok(performance.now() - t0 < 1000, 'parseModel took more than a second');
  if (!r.ok) assert.ok(r.issues.some((i) => i.severity === 'error'), 'a failed parse names an error');
  for (const i of r.issues) {
    assert.ok(Number.isInteger(i.offset) && Number.isInteger(i.length), i.message);
    assert.ok(i.offset >= 0 && i.length >= 0 && i.offset + i.length <= text.length, `${i.message} @${i.offset}+${i.length} of ${text.length}`);
    assert.ok(Array.isArray(i.path) && i.message.includes(': '), i.message);
    if (i.layer) assert.ok(i.message.startsWith(`layers[${i.layer.index}] (${i.layer.name})`), i.message);
  }
  if (r.ok) {
    const src = BUILTIN_SOURCES[r.spec.data.source];
    if (src?.kind === 'generator' && r.spec.data.samples <= 5000) {
      try {
        const d = loadDataset(r.spec, {});
        assert.equal(d.train.n + d.val.n, r.spec.data.samples);
      } catch (err) {
        assert.ok(err instanceof DataError, String(err));
      }
    }
  }
}

const anyValue = fc.jsonValue({ maxDepth: 3 });
const numberish = fc.oneof(fc.integer({ min: -3, max: 70 }), fc.double({ noNaN: false }), fc.constantFrom(0, 1, 2, 3, 1e9, -1, 0.5), anyValue);
const kinds = Object.keys(LAYER_FIELD.variants);

const layerArb = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...kinds), fc.string(), anyValue),
    units: numberish,
    activation: fc.oneof(fc.constantFrom('relu', 'tanh', 'sigmoid', 'softmax', 'leaky-relu', 'linear'), fc.string()),
    name: fc.oneof(fc.constantFrom('a', 'b', 'dense_1', 'relu_1'), fc.string()),
    rate: numberish,
    groups: numberish,
    alpha: numberish,
    init: fc.oneof(fc.constantFrom('he', 'xavier', 'zeros', 'lecun', 'he-uniform'), fc.record({ type: fc.constantFrom('constant', 'small-gaussian', 'x'), value: numberish, std: numberish }, { requiredKeys: ['type'] }), anyValue),
    l2: numberish,
    filters: numberish,
    kernel: fc.oneof(numberish, fc.array(numberish, { maxLength: 3 })),
    stride: fc.oneof(numberish, fc.array(numberish, { maxLength: 3 })),
    padding: fc.oneof(fc.constantFrom('same', 'valid'), numberish),
    size: fc.oneof(numberish, fc.array(numberish, { maxLength: 3 })),
    extra: anyValue,
  },
  { requiredKeys: ['type'] },
);

const modelArb = fc.record(
  {
    name: fc.oneof(fc.string(), anyValue),
    seed: numberish,
    data: fc.oneof(
      fc.record(
        {
          source: fc.oneof(fc.constantFrom('xor', 'circles', 'moons', 'spiral', 'blobs', 'sine', 'shapes', 'iris', 'd.csv', 'x.json', 'spirl'), fc.string(), anyValue),
          samples: fc.oneof(fc.integer({ min: 1, max: 400 }), numberish),
          classes: numberish,
          noise: numberish,
          validationSplit: fc.oneof(fc.double({ min: 0, max: 1 }), numberish),
          preprocess: fc.oneof(fc.constantFrom('none', 'zero-center', 'standardize', 'min-max'), fc.string()),
          task: fc.oneof(fc.constantFrom('classification', 'regression'), anyValue),
          target: anyValue,
        },
        { requiredKeys: ['source'] },
      ),
      anyValue,
    ),
    layers: fc.oneof(fc.array(layerArb, { maxLength: 6 }), anyValue),
    loss: fc.oneof(fc.constantFrom('mse', 'binary-cross-entropy', 'softmax-cross-entropy'), anyValue),
    optimizer: fc.oneof(fc.constantFrom('adam', 'sgd', 'rmsprop', 'adagrad', 'nadam'), fc.record({ type: fc.constantFrom('adam', 'sgd', 'x'), lr: numberish, momentum: numberish }), anyValue),
    schedule: fc.oneof(fc.constantFrom('constant', 'step', 'cosine'), fc.record({ type: fc.constantFrom('step', 'exponential'), every: numberish, factor: numberish, gamma: numberish }), anyValue),
    clipping: fc.oneof(fc.record({ norm: numberish, value: numberish }), anyValue),
    regularization: fc.oneof(fc.record({ l1: numberish, l2: numberish }), anyValue),
    epochs: numberish,
    batchSize: numberish,
    earlyStopping: fc.oneof(fc.record({ patience: numberish, minDelta: numberish }), anyValue),
  },
  { requiredKeys: [] },
);

/** Mostly valid models (so the loader runs too), sometimes with one field replaced by a random value. */
const hiddenArb = fc.oneof(
  fc.record({ type: fc.constant('dense'), units: fc.integer({ min: 1, max: 16 }), activation: fc.constantFrom('relu', 'tanh', 'sigmoid') }),
  fc.record({ type: fc.constantFrom('relu', 'tanh', 'leaky-relu', 'batchnorm', 'layernorm', 'softmax') }),
  fc.record({ type: fc.constant('dropout'), rate: fc.double({ min: 0, max: 0.9, noNaN: true }) }),
  fc.record({ type: fc.constant('groupnorm'), groups: fc.integer({ min: 1, max: 4 }) }),
);
const validishArb = fc
  .record({
    model: fc.record({
      seed: fc.nat({ max: 1000 }),
      data: fc.record({
        source: fc.constantFrom('xor', 'circles', 'moons', 'spiral', 'blobs', 'sine'),
        samples: fc.integer({ min: 1, max: 300 }),
        noise: fc.double({ min: 0, max: 1, noNaN: true }),
        validationSplit: fc.double({ min: 0, max: 0.99, noNaN: true }),
        preprocess: fc.constantFrom('none', 'zero-center', 'standardize', 'min-max'),
      }),
      hidden: fc.array(hiddenArb, { maxLength: 4 }),
      loss: fc.constantFrom('mse', 'binary-cross-entropy', 'softmax-cross-entropy'),
    }),
    /** Most of the time the output width the loss needs, otherwise a random one. */
    units: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
    corrupt: fc.option(fc.tuple(fc.constantFrom('seed', 'data', 'layers', 'loss', 'epochs'), anyValue), { freq: 4 }),
  })
  .map(({ model: { hidden, ...model }, units, corrupt }) => {
    const src = model.data.source;
    const fit = model.loss === 'binary-cross-entropy' || src === 'sine' ? 1 : src === 'spiral' || src === 'blobs' ? 3 : 2;
    const full = { ...model, layers: [...hidden, { type: 'dense', units: units ?? fit }] };
    return corrupt ? { ...full, [corrupt[0]]: corrupt[1] } : full;
  });

/** A text mutation: delete, insert, replace or duplicate a slice. */
const mutation = fc.record({ at: fc.nat(), len: fc.nat({ max: 12 }), op: fc.constantFrom('delete', 'insert', 'replace', 'duplicate'), s: fc.string({ maxLength: 6 }) });

function mutate(text: string, muts: { at: number; len: number; op: string; s: string }[]): string {
  for (const m of muts) {
    const at = m.at % (text.length + 1);
    const end = Math.min(text.length, at + m.len);
    if (m.op === 'delete') text = text.slice(0, at) + text.slice(end);
    else if (m.op === 'insert') text = text.slice(0, at) + m.s + text.slice(at);
    else if (m.op === 'replace') text = text.slice(0, at) + m.s + text.slice(end);
    else text = text.slice(0, end) + text.slice(at, end) + text.slice(end);
  }
  return text;
}

test('random JSON and random strings never make parseModel throw', { timeout: 60_000 }, () => {
  fc.assert(fc.property(anyValue, (v) => checkText(JSON.stringify(v) ?? 'null')), { numRuns: 1500 });
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => checkText(s)), { numRuns: 1000 });
});

test('structured models with wrong types, names and sizes give positioned issues', { timeout: 60_000 }, () => {
  fc.assert(fc.property(modelArb, fc.boolean(), (m, pretty) => checkText(JSON.stringify(m, null, pretty ? 2 : 0))), { numRuns: 2500 });
});

test('mostly valid models parse, and those accepted load or throw a DataError', { timeout: 60_000 }, () => {
  let accepted = 0;
  fc.assert(
    fc.property(validishArb, (m) => {
      const text = JSON.stringify(m, null, 1);
      checkText(text);
      if (parseModel(text, 'm').ok) accepted++;
    }),
    { numRuns: 1500 },
  );
  assert.ok(accepted > 100, `only ${accepted} models were accepted: the loader was barely exercised`);
});

test('mutated examples give positioned issues', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(fc.constantFrom(...examples), fc.array(mutation, { minLength: 1, maxLength: 4 }), (text, muts) => checkText(mutate(text, muts))),
    { numRuns: 2500 },
  );
});
