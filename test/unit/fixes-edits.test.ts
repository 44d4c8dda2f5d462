// Fixes are text edits: they change only what they must, keep comments and layout, produce a model the
// validator accepts with the intended value, and reject ids that do not fit the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits } from 'jsonc-parser';
import { applyFix, computeFixEdits, fixTitle, FixError, FIXES } from '../../src/engine/fixes';
import { parseModel } from '../../src/engine/spec/parse';
import type { ModelSpec } from '../../src/engine/spec/model-spec';

const MODEL = `{
  // a spiral classifier
  "name": "s",
  "data": { "source": "spiral", "preprocess": "none" }, // raw on purpose
  "layers": [
    { "type": "dense", "units": 8, "activation": "relu" }, // first
    { "type": "dense", "units": 8, "init": "small-gaussian" },
    { "type": "sigmoid" },
    /* the output */
    { "type": "dense", "units": 3 }
  ],
  "loss": "softmax-cross-entropy",
  "optimizer": { "type": "sgd", "lr": 5 }
}
`;

function spec(text: string): ModelSpec {
  const r = parseModel(text, 'm.nn.json');
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n') + '\n' + text);
  return r.spec;
}

/** Lines of `before` that are gone in `after` (a cheap check that nothing else was touched). */
function removedLines(before: string, after: string): string[] {
  const kept = new Set(after.split('\n'));
  return before.split('\n').filter((l) => !kept.has(l));
}

const CASES: [string, (s: ModelSpec) => void, number][] = [
  ['clip-norm:5', (s) => assert.deepEqual(s.clipping, { mode: 'norm', norm: 5 }), 1],
  ['clip-value:0.5', (s) => assert.deepEqual(s.clipping, { mode: 'value', value: 0.5 }), 1],
  ['lr:0.01', (s) => assert.equal(s.optimizer.lr, 0.01), 1],
  ['schedule:step', (s) => assert.equal(s.schedule.type, 'step'), 1],
  ['schedule:cosine', (s) => assert.equal(s.schedule.type, 'cosine'), 1],
  ['reinit:dense_2:he', (s) => assert.equal(s.layers.find((l) => l.name === 'dense_2')!.kind === 'dense' && (s.layers.find((l) => l.name === 'dense_2') as { init: { type: string } }).init.type, 'he'), 1],
  ['leaky-relu:dense_1/relu', (s) => assert.equal(s.layers[1].kind, 'leaky-relu'), 1],
  ['relu-he:*', (s) => assert.equal(s.layers.filter((l) => l.kind === 'sigmoid').length, 0), 2],
  ['relu-he:sigmoid_1', (s) => assert.equal(s.layers[3].kind, 'relu'), 2],
  ['insert-batchnorm:dense_1', (s) => assert.deepEqual(s.layers.slice(0, 3).map((l) => l.kind), ['dense', 'batchnorm', 'relu']), 1],
  ['insert-activation:dense_2:relu', (s) => assert.deepEqual(s.layers.slice(2, 4).map((l) => l.kind), ['dense', 'relu']), 0],
  ['dropout:sigmoid_1:0.2', (s) => assert.equal(s.layers.find((l) => l.kind === 'dropout')?.kind === 'dropout' && (s.layers.find((l) => l.kind === 'dropout') as { rate: number }).rate, 0.2), 0],
  ['l2:0.0001', (s) => assert.equal(s.regularization.l2, 1e-4), 1],
  ['early-stopping', (s) => assert.deepEqual(s.earlyStopping, { patience: 5, minDelta: 0 }), 1],
  ['standardize', (s) => assert.equal(s.data.preprocess, 'standardize'), 1],
  ['remove-layer:sigmoid_1', (s) => assert.equal(s.layers.some((l) => l.kind === 'sigmoid'), false), 1],
  ['batch-size:64', (s) => assert.equal(s.batchSize, 64), 1],
  ['loss:mse', (s) => assert.equal(s.loss, 'mse'), 1],
  // one cause, several layers, one edit
  ['reinit:dense_1,dense_2:xavier', (s) => assert.deepEqual(s.layers.filter((l) => l.kind === 'dense').map((l) => (l as { init: { type: string } }).init.type).slice(0, 2), ['xavier', 'xavier']), 2],
  ['insert-batchnorm:dense_1,dense_2', (s) => assert.deepEqual(s.layers.slice(0, 6).map((l) => l.kind), ['dense', 'batchnorm', 'relu', 'dense', 'batchnorm', 'sigmoid']), 1],
  ['insert-activation:dense_1,dense_2:tanh', (s) => assert.equal(s.layers.filter((l) => l.kind === 'tanh').length, 2), 0],
  ['dropout:dense_1,sigmoid_1:0.2', (s) => assert.equal(s.layers.filter((l) => l.kind === 'dropout').length, 2), 0],
  ['leaky-relu-he:*', (s) => assert.deepEqual([s.layers[3].kind, (s.layers[2] as { init: { type: string } }).init.type], ['leaky-relu', 'he']), 2],
  ['bias-init:dense_1', (s) => assert.equal((s.layers[0] as { biasInit: { type: string } }).biasInit.type, 'zeros'), 0],
];

test('bias-init removes a layer\'s bias initialiser (zero is the default), leaving the rest of the line', () => {
  const text = MODEL.replace('"units": 8, "activation": "relu" }', '"units": 8, "biasInit": { "type": "constant", "value": -3 }, "activation": "relu" }');
  const after = applyFix(text, 'bias-init:dense_1');
  assert.ok(after.includes('{ "type": "dense", "units": 8, "activation": "relu" }, // first'), after);
  assert.equal((spec(after).layers[0] as { biasInit: { type: string } }).biasInit.type, 'zeros');
});

test('an explicit linear layer after a dense layer becomes the inserted activation', () => {
  const text = MODEL.replace('{ "type": "sigmoid" }', '{ "type": "linear" }');
  const after = applyFix(text, 'insert-activation:dense_2:relu');
  assert.equal(spec(after).layers.filter((l) => l.kind === 'linear').length, 0);
  assert.deepEqual(spec(after).layers.slice(2, 5).map((l) => l.kind), ['dense', 'relu', 'dense']);
});

test('a property added to a multi-line object whose last member shares the closing brace line stays valid', () => {
  const text = '{ "name": "m",\n  "layers": [{ "type": "dense", "units": 2 }], "epochs": 5 }\n';
  const after = applyFix(text, 'early-stopping');
  assert.equal(after, '{ "name": "m",\n  "layers": [{ "type": "dense", "units": 2 }], "epochs": 5, "earlyStopping": { "patience": 5, "minDelta": 0 } }\n');
});

for (const [id, check, maxRemoved] of CASES) {
  test(`fix ${id}: valid result, intended value, comments and other lines untouched`, () => {
    const after = applyFix(MODEL, id);
    check(spec(after));
    for (const comment of ['// a spiral classifier', '// raw on purpose', '/* the output */']) assert.ok(after.includes(comment), `${comment} kept`);
    const removed = removedLines(MODEL, after);
    assert.ok(removed.length <= maxRemoved, `only ${maxRemoved} line(s) may change, changed:\n${removed.join('\n')}`);
    // the edits reproduce the same text and never overlap
    const edits = computeFixEdits(MODEL, id);
    assert.equal(applyEdits(MODEL, edits), after);
    assert.ok(fixTitle(id).length > 0);
  });
}

test('a one-line object stays on one line when a property is added', () => {
  const after = applyFix(MODEL, 'clip-norm:5');
  assert.ok(after.includes('"optimizer": { "type": "sgd", "lr": 5 },\n  "clipping": { "norm": 5 }\n}'), after);
});

test('a layer inserted after a commented line goes on its own line, leaving the comment with its layer', () => {
  const after = applyFix(MODEL, 'insert-activation:dense_1:tanh');
  assert.ok(after.includes('{ "type": "dense", "units": 8, "activation": "relu" }, // first\n    { "type": "tanh" },\n'), after);
});

test('tabs and CRLF line ends are kept', () => {
  const text = '{\r\n\t"layers": [\r\n\t\t{ "type": "dense", "units": 2 }\r\n\t],\r\n\t"loss": "mse"\r\n}\r\n';
  const after = applyFix(text, 'lr:0.1');
  assert.equal(after, '{\r\n\t"layers": [\r\n\t\t{ "type": "dense", "units": 2 }\r\n\t],\r\n\t"loss": "mse",\r\n\t"optimizer": { "lr": 0.1 }\r\n}\r\n');
  const inserted = applyFix(text, 'insert-batchnorm:dense_1');
  assert.ok(inserted.includes('\t\t{ "type": "dense", "units": 2 },\r\n\t\t{ "type": "batchnorm" }\r\n\t]'), JSON.stringify(inserted));
});

test('applying the same fix twice changes nothing the second time', () => {
  const once = applyFix(MODEL, 'lr:0.01');
  assert.deepEqual(computeFixEdits(once, 'lr:0.01'), []);
});

test('ids that do not fit are rejected with a FixError that says why', () => {
  const bad: [string, RegExp][] = [
    ['nonsense:1', /unknown fix/],
    ['lr:-1', /positive/],
    ['lr:abc', /positive/],
    ['reinit:nope:he', /no layer named "nope"/],
    ['reinit:dense_1:magic', /unknown initialiser/],
    ['leaky-relu:sigmoid_1', /not a ReLU/],
    ['insert-batchnorm:sigmoid_1', /not a dense or conv2d layer/],
    ['dropout:dense_1:1.5', /dropout rate/],
    ['constructor', /unknown fix/],
  ];
  for (const [id, why] of bad) assert.throws(() => applyFix(MODEL, id), (e: unknown) => e instanceof FixError && why.test(e.message), id);
  assert.throws(() => applyFix('[1, 2]', 'lr:0.1'), FixError);
});

test('every fix kind has a title', () => {
  for (const kind of Object.keys(FIXES)) assert.equal(typeof FIXES[kind].title(['x', '0.1']), 'string');
});

test('conv layers take the weight-layer fixes: re-initialise, batch norm before their shorthand activation', () => {
  const cnn = `{
  "name": "c",
  "data": { "source": "shapes", "classes": 4 },
  "layers": [
    { "type": "conv2d", "filters": 4, "kernel": 3, "activation": "relu", "init": "small-gaussian", "name": "c1" },
    { "type": "maxpool", "size": 2 },
    { "type": "dense", "units": 4 }
  ],
  "loss": "softmax-cross-entropy"
}`;
  const reinit = spec(applyFix(cnn, 'reinit:c1:he'));
  const conv = reinit.layers[0];
  assert.ok(conv.kind === 'conv2d' && conv.init.type === 'he', `c1 re-initialised: ${JSON.stringify(conv)}`);
  const bn = spec(applyFix(cnn, 'insert-batchnorm:c1'));
  assert.deepEqual(bn.layers.map((l) => l.kind), ['conv2d', 'batchnorm', 'relu', 'maxpool', 'dense']);
});
