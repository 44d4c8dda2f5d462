// What VS Code's JSON editing offers for the layers on images: hover text (descriptions) and completion
// (enums with a description per choice, and the layer snippets) for every field the conv layers, pools,
// norms and image data take; and the schema and the validator reject the same conv mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { parse } from 'jsonc-parser';
import { renderSchema } from '../../src/engine/spec/schema';
import { parseModel } from '../../src/engine/spec/parse';
import { LAYER_KIND_NAMES } from '../../src/engine/spec/layer-kinds';

const root = path.join(__dirname, '..', '..');
type Node = Record<string, unknown>;
const schema = JSON.parse(renderSchema()) as Node;
const props = (n: Node) => n.properties as Record<string, Node>;
const layerSchemas = ((props(schema).layers as Node).items as Node).oneOf as Node[];
const layerSchema = (kind: string) => layerSchemas.find((l) => (props(l).type as Node).const === kind);

/** The fields of each layer kind on images, as the issue lists them. */
const IMAGE_FIELDS: Record<string, string[]> = {
  conv2d: ['filters', 'kernel', 'stride', 'padding', 'init', 'biasInit', 'useBias', 'l1', 'l2', 'activation', 'name'],
  maxpool: ['size', 'stride', 'name'],
  avgpool: ['size', 'stride', 'name'],
  globalavgpool: ['name'],
  flatten: ['name'],
  instancenorm: ['epsilon', 'name'],
  groupnorm: ['groups', 'epsilon', 'name'],
  batchnorm: ['momentum', 'epsilon', 'name'],
  layernorm: ['epsilon', 'name'],
};

/** Every enum under `node` (alternatives included) with its path. */
function enums(node: unknown, at: string, out: { at: string; node: Node }[] = []): { at: string; node: Node }[] {
  if (Array.isArray(node)) node.forEach((n, i) => enums(n, `${at}[${i}]`, out));
  else if (node && typeof node === 'object') {
    const n = node as Node;
    if (Array.isArray(n.enum) && n.enum.length > 1) out.push({ at, node: n });
    for (const [k, v] of Object.entries(n)) if (typeof v === 'object') enums(v, `${at}.${k}`, out);
  }
  return out;
}

test('hover: every field of the layers on images is in the schema with a description', () => {
  for (const [kind, fields] of Object.entries(IMAGE_FIELDS)) {
    const l = layerSchema(kind);
    assert.ok(l, `no schema for ${kind}`);
    assert.ok(typeof l.description === 'string' && l.description.length > 10, `${kind} is described`);
    for (const f of fields) {
      const field = props(l)[f];
      assert.ok(field, `${kind}.${f} is in the schema`);
      assert.ok(typeof field.description === 'string' && field.description.length > 5, `${kind}.${f} has hover text`);
    }
  }
  const data = props(props(schema).data as Node);
  assert.ok(data.inputShape && typeof data.inputShape.description === 'string', 'data.inputShape');
  assert.ok(enums(data.source, 'source').some((e) => (e.node.enum as string[]).includes('shapes')), 'the shapes source completes');
  assert.match(data.source.description as string, /shapes \(images \[1, 16, 16\]\)/);
});

test('completion: every choice of a layer field is described (padding, init, activation shorthand, ...)', () => {
  const undocumented = enums(layerSchemas, 'layers').filter(({ node }) => !Array.isArray(node.enumDescriptions) || (node.enumDescriptions as unknown[]).length !== (node.enum as unknown[]).length);
  assert.deepEqual(undocumented.map((u) => u.at), []);
  const padding = props(layerSchema('conv2d')!).padding;
  assert.deepEqual(enums(padding, 'padding').map((e) => e.node.enum), [['valid', 'same']]);
});

/** A snippet body with each placeholder at its default (`${1:16}` -> 16, `${2|same,valid|}` -> same). */
const expand = (body: string[]) => body.join('\n').replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\d+/g, '');

test('completion: a layer snippet for every layer kind, each valid for the schema and the validator on images', () => {
  const text = fs.readFileSync(path.join(root, 'snippets', 'nn-layers.code-snippets'), 'utf8');
  const snippets = Object.values(parse(text) as Record<string, { prefix: string; body: string[] }>);
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
  ajv.addKeyword('enumDescriptions');
  const validate = ajv.compile(schema);
  const kinds = new Set<string>();
  for (const s of snippets) {
    const layer = parse(expand(s.body)) as { type: string };
    kinds.add(layer.type);
    const model = { data: { source: 'shapes', classes: 3 }, layers: [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same' }, layer, { type: 'flatten' }, { type: 'dense', units: 3 }], loss: 'softmax-cross-entropy' };
    assert.ok(validate(model), `${s.prefix}: ${JSON.stringify(validate.errors)}`);
    const r = parseModel(JSON.stringify(model), 'm.nn.json');
    assert.deepEqual(r.issues, [], s.prefix);
    assert.ok(r.ok, s.prefix);
  }
  assert.deepEqual(LAYER_KIND_NAMES.filter((k) => !kinds.has(k)), []);
});

test('schema and validator reject the same conv mistakes', () => {
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
  ajv.addKeyword('enumDescriptions');
  const validate = ajv.compile(schema);
  const conv = { type: 'conv2d', filters: 4, kernel: 3 };
  // shapes has 4 classes by default: only the mistake itself is wrong
  const model = (layers: object[], data: object = { source: 'shapes' }) => ({ data, layers: [...layers, { type: 'flatten' }, { type: 'dense', units: 4 }], loss: 'softmax-cross-entropy' });
  const mistakes = [
    model([{ type: 'conv2d', kernel: 3 }]),
    model([{ ...conv, filters: 0 }]),
    model([{ ...conv, kernel: 0 }]),
    model([{ ...conv, kernel: [3] }]),
    model([{ ...conv, kernel: [3, 3, 3] }]),
    model([{ ...conv, padding: 'full' }]),
    model([{ ...conv, padding: -1 }]),
    model([{ ...conv, stride: 0 }]),
    model([{ ...conv, activation: 'gelu' }]),
    model([conv, { type: 'maxpool', size: [2] }]),
    model([conv, { type: 'avgpool', size: 0 }]),
    model([conv, { type: 'groupnorm' }]),
    model([conv, { type: 'instancenorm', epsilon: 0 }]),
    model([conv], { source: '../data/images.csv', inputShape: [1, 28] }),
    model([conv], { source: '../data/images.csv', inputShape: [1, 28, 0] }),
  ];
  for (const m of mistakes) {
    const text = JSON.stringify(m);
    assert.equal(validate(m), false, `schema accepted ${text}`);
    const r = parseModel(text, 'm');
    assert.equal(r.ok, false, `parser accepted ${text}`);
    // the error names the conv-era field, not something else about the model
    assert.match(r.issues.map((i) => i.path.join('.')).join(' '), /^(layers\.[01]|data\.inputShape)/, text);
  }
  const good = model([conv, { type: 'maxpool', size: 2 }, { type: 'instancenorm' }]);
  assert.equal(validate(good), true, JSON.stringify(validate.errors));
  assert.equal(parseModel(JSON.stringify(good), 'm').ok, true);
});
