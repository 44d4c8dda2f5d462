// parseModel: defaults, expansion and naming of valid files; every bad-input case yields an issue at the
// right JSON path whose offset/length cover exactly the offending text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import type { ModelSpec, SpecIssue } from '../../src/engine/spec/model-spec';

const BASE = `{
  // comment
  "data": { "source": "spiral", "classes": 3 },
  "layers": [
    { "type": "dense", "units": 32, "activation": "relu", "name": "hidden1" },
    { "type": "dense", "units": 3 }
  ],
  "loss": "softmax-cross-entropy",
}`;

function ok(text: string): { spec: ModelSpec; issues: SpecIssue[] } {
  const r = parseModel(text, 'models/test.nn.json');
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return r;
}

/** The single issue at `path`; asserts its severity, the text it covers, and words of its message. */
function expectIssue(text: string, path: (string | number)[], covered: string, words: string[], severity: 'error' | 'warning' = 'error'): SpecIssue {
  const r = parseModel(text, 'm.nn.json');
  const issue = r.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(path));
  assert.ok(issue, `no issue at ${JSON.stringify(path)}; got ${r.issues.map((i) => `${JSON.stringify(i.path)} ${i.message}`).join(' | ')}`);
  assert.equal(issue.severity, severity, issue.message);
  assert.equal(text.slice(issue.offset, issue.offset + issue.length), covered, issue.message);
  for (const w of words) assert.ok(issue.message.includes(w), `"${w}" not in: ${issue.message}`);
  if (severity === 'error') assert.equal(r.ok, false);
  return issue;
}

const withLayer = (layer: string, loss = 'softmax-cross-entropy') =>
  `{ "data": { "source": "spiral" }, "layers": [ { "type": "dense", "units": 8 }, ${layer}, { "type": "dense", "units": 3 } ], "loss": "${loss}" }`;

test('defaults are filled from the field table', () => {
  const { spec, issues } = ok(BASE);
  assert.deepEqual(issues, []);
  assert.equal(spec.name, 'test');
  assert.equal(spec.seed, 42);
  assert.equal(spec.epochs, 20);
  assert.equal(spec.batchSize, 32);
  assert.deepEqual(spec.optimizer, { type: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  assert.deepEqual(spec.schedule, { type: 'constant' });
  assert.deepEqual(spec.clipping, { mode: 'none' });
  assert.deepEqual(spec.regularization, { l1: 0, l2: 0 });
  assert.equal(spec.earlyStopping, null);
  assert.deepEqual(spec.data, {
    source: 'spiral', isFile: false, target: null, task: 'classification', samples: 600, classes: 3, noise: 0.2, validationSplit: 0.2, preprocess: 'standardize', targetScaling: 'none',
  });
});

test('per-optimiser defaults match the usual frameworks', () => {
  const opt = (o: string) => ok(BASE.replace('"loss"', `"optimizer": ${o}, "loss"`)).spec.optimizer;
  assert.deepEqual(opt('"sgd"'), { type: 'sgd', lr: 0.01, momentum: 0, nesterov: false });
  assert.deepEqual(opt('{ "type": "rmsprop" }'), { type: 'rmsprop', lr: 0.001, decay: 0.9, epsilon: 1e-7 });
  assert.deepEqual(opt('{ "type": "adagrad", "lr": 0.5 }'), { type: 'adagrad', lr: 0.5, epsilon: 1e-10 });
  assert.deepEqual(opt('{ "type": "sgd", "momentum": 0.9, "nesterov": true }'), { type: 'sgd', lr: 0.01, momentum: 0.9, nesterov: true });
});

test('dense activation shorthand expands into a following layer with the same index', () => {
  const { spec } = ok(BASE);
  assert.deepEqual(
    spec.layers.map((l) => [l.kind, l.index, l.name]),
    [['dense', 0, 'hidden1'], ['relu', 0, 'hidden1/relu'], ['dense', 1, 'dense_2']],
  );
  const act = spec.layers[1];
  assert.ok(act.kind === 'relu' && act.shorthand && act.alpha === 0.01);
  assert.deepEqual(act.path, ['layers', 0, 'activation']);
});

test('default names count per kind and stay stable when other layers are named', () => {
  const text = withLayer('{ "type": "relu" }, { "type": "batchnorm" }, { "type": "relu", "name": "r" }, { "type": "dropout" }, { "type": "leaky-relu", "alpha": 0.2 }');
  const { spec } = ok(text);
  assert.deepEqual(spec.layers.map((l) => l.name), ['dense_1', 'relu_1', 'batchnorm_1', 'r', 'dropout_1', 'leaky-relu_1', 'dense_2']);
  const bn = spec.layers[2];
  assert.ok(bn.kind === 'batchnorm' && bn.momentum === 0.9 && bn.epsilon === 1e-5);
  const drop = spec.layers[4];
  assert.ok(drop.kind === 'dropout' && drop.rate === 0.5);
  const leaky = spec.layers[5];
  assert.ok(leaky.kind === 'leaky-relu' && leaky.alpha === 0.2);
});

test('dense init defaults to he before the ReLU family (through norm/dropout) and xavier otherwise', () => {
  const text = `{ "data": { "source": "spiral" }, "layers": [
    { "type": "dense", "units": 8 }, { "type": "batchnorm" }, { "type": "dropout", "rate": 0.1 }, { "type": "relu6" },
    { "type": "dense", "units": 8, "activation": "tanh" },
    { "type": "dense", "units": 8, "activation": "leaky-relu" },
    { "type": "dense", "units": 3 } ], "loss": "softmax-cross-entropy" }`;
  const dense = ok(text).spec.layers.filter((l) => l.kind === 'dense');
  assert.deepEqual(dense.map((l) => l.kind === 'dense' && l.init.type), ['he', 'xavier', 'he', 'xavier']);
  assert.ok(dense.every((l) => l.kind === 'dense' && l.biasInit.type === 'zeros' && l.useBias && l.l1 === null));
});

test('init objects, per-layer regularisation, clipping, schedule and early stopping', () => {
  const text = withLayer(
    '{ "type": "dense", "units": 4, "init": { "type": "constant", "value": 0.5 }, "biasInit": { "type": "small-gaussian" }, "l2": 0.01, "useBias": false }',
  )
    .replace('"loss"', '"clipping": { "value": 1 }, "schedule": { "type": "cosine", "minLr": 0.0001 }, "earlyStopping": { "patience": 3 }, "loss"');
  const { spec } = ok(text);
  const d = spec.layers[1];
  assert.ok(d.kind === 'dense');
  assert.deepEqual(d.init, { type: 'constant', value: 0.5, std: 0.01 });
  assert.deepEqual(d.biasInit, { type: 'small-gaussian', value: 0, std: 0.01 });
  assert.equal(d.l2, 0.01);
  assert.equal(d.l1, null);
  assert.equal(d.useBias, false);
  assert.deepEqual(spec.clipping, { mode: 'value', value: 1 });
  assert.deepEqual(spec.schedule, { type: 'cosine', minLr: 0.0001 });
  assert.deepEqual(spec.earlyStopping, { patience: 3, minDelta: 0 });
});

test('file sources: task from the loss, target defaults to "target", classes left to the loader', () => {
  const text = `{ "data": { "source": "data/train.csv" }, "layers": [ { "type": "dense", "units": 1 } ], "loss": "mse" }`;
  const { spec } = ok(text);
  assert.deepEqual(spec.data, {
    source: 'data/train.csv', isFile: true, target: 'target', task: 'regression', samples: 0, classes: 0, noise: 0, validationSplit: 0.2, preprocess: 'standardize', targetScaling: 'none',
  });
  const cls = ok(text.replace('"mse"', '"softmax-cross-entropy"').replace('"source"', '"target": "y", "source"')).spec.data;
  assert.equal(cls.task, 'classification');
  assert.equal(cls.target, 'y');
});

test('syntax errors are positioned', () => {
  const text = '{ "data": { "source": "xor" }, "layers": [ { "type": "dense" "units": 2 } ] }';
  const r = parseModel(text, 'm.nn.json');
  assert.equal(r.ok, false);
  assert.ok(r.issues[0].message.includes('syntax'), r.issues[0].message);
  assert.equal(text.slice(r.issues[0].offset, r.issues[0].offset + r.issues[0].length), '"units"');
  assert.equal(parseModel(`\ufeff${BASE}`, 'm.nn.json').ok, true, 'a byte-order mark is not a syntax error');
  const empty = parseModel('   ', 'm.nn.json');
  assert.equal(empty.ok, false);
  assert.equal(parseModel('[1, 2]', 'm.nn.json').issues[0].message, '(root): the model must be a JSON object, not array');
});

test('units < 1 and non-integers name the layer and cover the value', () => {
  const text = BASE.replace('"units": 32', '"units": 0');
  const issue = expectIssue(text, ['layers', 0, 'units'], '0', ['layers[0] (hidden1).units', 'integer >= 1', 'got 0']);
  assert.deepEqual(issue.layer, { index: 0, name: 'hidden1' });
  expectIssue(BASE.replace('"units": 3 }', '"units": 2.5 }'), ['layers', 1, 'units'], '2.5', ['layers[1] (dense_2).units', 'integer']);
});

test('wrong types are errors at the value', () => {
  expectIssue(BASE.replace('"units": 32', '"units": "32"'), ['layers', 0, 'units'], '"32"', ['must be an integer >= 1, not a string']);
  expectIssue(BASE.replace('"loss"', '"epochs": true, "loss"'), ['epochs'], 'true', ['epochs: must be an integer']);
  expectIssue(BASE.replace('"layers": [', '"layers": 5, "x": [').replace('"x"', '"xx"'), ['layers'], '5', ['must be an array']);
  expectIssue(BASE.replace('"loss"', '"optimizer": 7, "loss"'), ['optimizer'], '7', ['a name or an object']);
  expectIssue(BASE.replace('"loss"', '"clipping": { "norm": 1, "value": 2 }, "loss"'), ['clipping', 'value'], '2', ['only one of']);
  expectIssue(BASE.replace('"loss"', '"clipping": {}, "loss"'), ['clipping'], '{}', ['needs one of']);
  expectIssue(BASE.replace('"loss"', '"seed": 1e400, "loss"'), ['seed'], '1e400', ['got Infinity']);
});

test('unknown layer types and enum values suggest the closest name', () => {
  expectIssue(withLayer('{ "type": "batchnrom" }'), ['layers', 1, 'type'], '"batchnrom"', ['layers[1]', 'unknown type "batchnrom"', 'Did you mean "batchnorm"?']);
  expectIssue(BASE.replace('"softmax-cross-entropy"', '"softmax-crossentropy"'), ['loss'], '"softmax-crossentropy"', ['Did you mean "softmax-cross-entropy"?']);
  expectIssue(BASE.replace('"spiral"', '"spirals"'), ['data', 'source'], '"spirals"', ['Did you mean "spiral"?', '.csv or .json']);
  expectIssue(BASE.replace('"relu", "name"', '"rleu", "name"'), ['layers', 0, 'activation'], '"rleu"', ['Did you mean "relu"?']);
  expectIssue(BASE.replace('"loss"', '"optimizer": { "type": "adamw" }, "loss"'), ['optimizer', 'type'], '"adamw"', ['Did you mean "adam"?']);
  expectIssue(withLayer('{ "units": 3 }'), ['layers', 1, 'type'], '{ "units": 3 }', ['missing "type"']);
});

test('unknown fields are warnings with a "did you mean" and do not fail the parse', () => {
  const text = BASE.replace('"units": 32', '"unit": 32, "units": 32').replace('"loss"', '"batchsize": 8, "loss"');
  const layerIssue = expectIssue(text, ['layers', 0, 'unit'], '"unit"', ['unknown field "unit"', 'Did you mean "units"?'], 'warning');
  assert.deepEqual(layerIssue.layer, { index: 0, name: 'hidden1' });
  expectIssue(text, ['batchsize'], '"batchsize"', ['Did you mean "batchSize"?'], 'warning');
  assert.equal(parseModel(text, 'm').ok, true);
  expectIssue(withLayer('{ "type": "relu", "rate": 0.5 }'), ['layers', 1, 'rate'], '"rate"', ['for type "relu"'], 'warning');
});

test('missing required fields and duplicate fields', () => {
  const noUnits = expectIssue(BASE.replace('"units": 3 }', '"name": "out" }'), ['layers', 1, 'units'], '{ "type": "dense", "name": "out" }', ['layers[1] (out).units: missing required field "units"']);
  assert.deepEqual(noUnits.layer, { index: 1, name: 'out' });
  const noLoss = BASE.replace('"loss": "softmax-cross-entropy",', '');
  expectIssue(noLoss, ['loss'], '{', ['missing required field "loss"']);
  expectIssue(withLayer('{ "type": "groupnorm" }'), ['layers', 1, 'groups'], '{ "type": "groupnorm" }', ['missing required field "groups"']);
  expectIssue(BASE.replace('"loss"', '"seed": 1, "seed": 2, "loss"'), ['seed'], '"seed"', ['duplicate field']);
  expectIssue(BASE.replace('"loss"', '"optimizer": { "type": "adam" }, "schedule": "step", "loss"'), ['schedule'], '"step"', ['needs "every", "factor"']);
});

test('duplicate layer names are errors on the second name', () => {
  const text = withLayer('{ "type": "relu", "name": "dense_1" }');
  expectIssue(text, ['layers', 1, 'name'], '"dense_1"', ['layers[1] (dense_1).name: duplicate layer name "dense_1", already used by layers[0]']);
});

test('output size must fit the loss and the data', () => {
  expectIssue(BASE.replace('"units": 3 }', '"units": 2 }'), ['layers', 1, 'units'], '2', ['layers[1] (dense_2).units', 'softmax-cross-entropy over 3 classes needs 3 output units, got 2']);
  const bce = `{ "data": { "source": "circles" }, "layers": [ { "type": "dense", "units": 2 }, { "type": "sigmoid" } ], "loss": "binary-cross-entropy" }`;
  expectIssue(bce, ['layers', 0, 'units'], '2', ['binary-cross-entropy needs 1 output unit']);
  expectIssue(BASE.replace('"softmax-cross-entropy"', '"binary-cross-entropy"'), ['loss'], '"binary-cross-entropy"', ['needs 2 classes, the data has 3']);
  const sine = `{ "data": { "source": "sine" }, "layers": [ { "type": "dense", "units": 4 } ], "loss": "mse" }`;
  expectIssue(sine, ['layers', 0, 'units'], '4', ['mse on 1 target column needs 1 output unit, got 4']);
  ok(bce.replace('"units": 2', '"units": 1'));
  ok(`{ "data": { "source": "moons" }, "layers": [ { "type": "dense", "units": 1 } ], "loss": "mse" }`);
  expectIssue(`{ "data": { "source": "blobs", "classes": 4 }, "layers": [ { "type": "relu" } ], "loss": "mse" }`, ['loss'], '"mse"', ['needs 4 output units']);
});

test('softmax-cross-entropy (or BCE) on a regression task is an error at the loss', () => {
  const sine = `{ "data": { "source": "sine" }, "layers": [ { "type": "dense", "units": 1 } ], "loss": "softmax-cross-entropy" }`;
  expectIssue(sine, ['loss'], '"softmax-cross-entropy"', ['needs a classification task', 'regression']);
  const file = `{ "data": { "source": "d.csv", "task": "regression" }, "layers": [ { "type": "dense", "units": 1 } ], "loss": "binary-cross-entropy" }`;
  expectIssue(file, ['loss'], '"binary-cross-entropy"', ['needs a classification task']);
});

test('groups must divide the features reaching a groupnorm layer', () => {
  expectIssue(withLayer('{ "type": "groupnorm", "groups": 3 }'), ['layers', 1, 'groups'], '3', ['layers[1] (groupnorm_1).groups', '3 groups do not divide the 8 features']);
  ok(withLayer('{ "type": "groupnorm", "groups": 4 }'));
});

test('absurd sizes are refused with the memory estimate', () => {
  const huge = withLayer('{ "type": "dense", "units": 100000 }').replace('"units": 8', '"units": 100000');
  expectIssue(huge, ['layers', 1, 'units'], '100000', ['needs an estimated', 'parameters', 'above the 1.0 GiB limit']);
  expectIssue(BASE.replace('"loss"', '"batchSize": 1000000, "loss"').replace('"units": 32', '"units": 20000'), ['batchSize'], '1000000', ['activations']);
});

test('data fields that do not apply: warnings; contradictions: errors', () => {
  expectIssue(BASE.replace('"classes": 3', '"classes": 3, "target": "y"'), ['data', 'target'], '"y"', ['ignored'], 'warning');
  expectIssue('{ "data": { "source": "xor", "classes": 3 }, "layers": [ { "type": "dense", "units": 2 } ], "loss": "softmax-cross-entropy" }', ['data', 'classes'], '3', ['always has 2 classes']);
  expectIssue('{ "data": { "source": "iris", "noise": 0.1 }, "layers": [ { "type": "dense", "units": 3 } ], "loss": "softmax-cross-entropy" }', ['data', 'noise'], '0.1', ['real data'], 'warning');
  expectIssue('{ "data": { "source": "sine", "task": "classification" }, "layers": [ { "type": "dense", "units": 1 } ], "loss": "mse" }', ['data', 'task'], '"classification"', ['regression dataset']);
  expectIssue(BASE.replace('"classes": 3', '"classes": 1'), ['data', 'classes'], '1', ['integer in [2, 1000]']);
  expectIssue(BASE.replace('"classes": 3', '"validationSplit": 1'), ['data', 'validationSplit'], '1', ['number in [0, 1)']);
});

test('every issue carries a range inside the text, and messages start with their place', () => {
  const texts = [BASE.replace('"units": 32', '"units": -1'), withLayer('{ "type": 5 }'), '{', '/*', '{ "layers": [] }', '{ "data": null, "layers": [{}], "loss": 1 }'];
  for (const text of texts) {
    const r = parseModel(text, 'm');
    assert.equal(r.ok, false, text);
    for (const i of r.issues) {
      assert.ok(i.offset >= 0 && i.length >= 0 && i.offset + i.length <= text.length, `${i.message} @${i.offset}+${i.length}`);
      assert.match(i.message, /^(\(root\)|[\w$]+)(\[\d+\])?( \([^)]*\))?[\w.[\]"$-]*: /);
    }
  }
});

test('file sources: what is known before loading is checked statically', () => {
  const file = (layers: string, loss: string, data = '') => `{ "data": { "source": "d.csv"${data} }, "layers": [ ${layers} ], "loss": "${loss}" }`;
  expectIssue(file('{ "type": "dense", "units": 2 }', 'binary-cross-entropy'), ['layers', 0, 'units'], '2', ['binary-cross-entropy needs 1 output unit']);
  expectIssue(file('{ "type": "dense", "units": 3 }', 'mse', ', "task": "regression"'), ['layers', 0, 'units'], '3', ['mse on 1 target column']);
  expectIssue(file('{ "type": "dense", "units": 6 }, { "type": "groupnorm", "groups": 4 }, { "type": "dense", "units": 3 }', 'softmax-cross-entropy'), ['layers', 1, 'groups'], '4', ['6 features']);
  expectIssue(file('{ "type": "dense", "units": 30000 }, { "type": "dense", "units": 30000 }, { "type": "dense", "units": 3 }', 'softmax-cross-entropy'), ['layers', 1, 'units'], '30000', ['GiB']);
  ok(file('{ "type": "groupnorm", "groups": 4 }, { "type": "dense", "units": 7 }', 'softmax-cross-entropy'));
});

test('samples: generator defaults, real datasets capped by their size', () => {
  const samples = (data: string, units = 3) => ok(`{ "data": ${data}, "layers": [ { "type": "dense", "units": ${units} } ], "loss": "softmax-cross-entropy" }`).spec.data.samples;
  assert.equal(samples('{ "source": "blobs" }'), 600);
  assert.equal(samples('{ "source": "xor", "samples": 40 }', 2), 40);
  assert.equal(samples('{ "source": "iris" }'), 150);
  assert.equal(samples('{ "source": "iris", "samples": 1000 }'), 150);
  assert.equal(samples('{ "source": "mnist", "samples": 6000 }', 10), 6000);
  assert.equal(samples('{ "source": "mnist" }', 10), 10000);
});
