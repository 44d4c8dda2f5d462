// The evaluation zoo is only as good as its expectations: every model must be valid with loadable data,
// state what is wrong in its first line with finding codes the diagnosis knows, and name layers the model
// has. Static checks only (no training), so this runs in a second:
//   node --import tsx --test test/zoo/zoo-files.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseHeader } from '../../scripts/eval-diagnosis';
import { checkModel, prepareSpec } from '../../src/engine/session';
import { readDataFiles } from '../../src/cli/data-files';
import { ruleThresholds } from '../../src/engine/diagnosis';

const ZOO = __dirname;
/** The rules' codes, and `unscaled-targets`, which the repair branch adds with target scaling. */
const KNOWN_CODES = new Set([...Object.keys(ruleThresholds()), 'unscaled-targets']);

const list = (dir: string) => fs.readdirSync(path.join(ZOO, dir)).filter((f) => f.endsWith('.nn.json')).sort().map((f) => path.join(ZOO, dir, f));
const broken = list('broken');
const healthy = list('healthy');

test('the zoo holds at least 60 broken and 25 healthy models, and none is a copy of an example', () => {
  assert.ok(broken.length >= 60, `${broken.length} broken models`);
  assert.ok(healthy.length >= 25, `${healthy.length} healthy models`);
  const exampleDir = path.join(ZOO, '..', '..', 'examples', 'broken');
  const bodies = new Set(fs.readdirSync(exampleDir).filter((f) => f.endsWith('.nn.json')).map((f) => body(fs.readFileSync(path.join(exampleDir, f), 'utf8'))));
  for (const f of broken) assert.ok(!bodies.has(body(fs.readFileSync(f, 'utf8'))), `${f} copies an example`);
});

/** The model without its comments, name and seed: what it trains. */
function body(text: string): string {
  return text.replace(/^\s*\/\/.*$/gm, '').replace(/"(name|seed)":[^,\n]*,?/g, '').replace(/\s+/g, '');
}

test('every broken model expects known codes and names layers it has; every code is covered', () => {
  const covered = new Set<string>();
  for (const f of broken) {
    const text = fs.readFileSync(f, 'utf8');
    const h = parseHeader(text.split('\n')[0], f);
    assert.equal(h.kind, 'broken', f);
    assert.notEqual(h.layers, null, `${f}: the header names no layers (use "-" for a whole-model finding)`);
    for (const c of h.codes) assert.ok(KNOWN_CODES.has(c), `${f}: unknown code ${c}`);
    covered.add(h.codes[0]);
    const names = new Set(prepareSpec(text, f).layers.map((l) => l.name));
    for (const l of h.layers!) assert.ok(names.has(l), `${f}: no layer named ${l} (layers: ${[...names].join(', ')})`);
  }
  for (const c of KNOWN_CODES) assert.ok(covered.has(c), `no broken model expects ${c}`);
});

test('every healthy model says why it is healthy', () => {
  for (const f of healthy) assert.match(fs.readFileSync(f, 'utf8').split('\n')[0], /^\/\/ HEALTHY: \S/, f);
});

test('every zoo model is valid and its data loads', () => {
  for (const f of [...broken, ...healthy]) {
    const text = fs.readFileSync(f, 'utf8');
    assert.doesNotThrow(() => checkModel(text, f, readDataFiles(prepareSpec(text, f), f)), f);
  }
});
