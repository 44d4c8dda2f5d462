// Property tests for workspace data files: random and mutated CSV and JSON never make loadDataset throw
// anything but a DataError, and every DataError about the file points at a line and column inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { DataError } from '../../src/engine/data/errors';
import type { ModelSpec } from '../../src/engine/spec/model-spec';

/** The model, or null when parseModel already refuses it (e.g. 2 outputs for binary-cross-entropy). */
function spec(source: string, loss: string, units: number, task: string): ModelSpec | null {
  const r = parseModel(JSON.stringify({ data: { source, target: 'y', task }, layers: [{ type: 'dense', units }], loss }), 'm.nn.json');
  return r.ok ? r.spec : null;
}

const settings = fc.record({
  loss: fc.constantFrom('softmax-cross-entropy', 'mse', 'binary-cross-entropy'),
  units: fc.integer({ min: 1, max: 3 }),
  task: fc.constantFrom('classification', 'regression'),
});

function checkLoad(source: string, text: string, s: { loss: string; units: number; task: string }): void {
  const model = spec(source, s.loss, s.units, s.task);
  if (!model) return;
  try {
    const d = loadDataset(model, { [source]: text });
    assert.ok(d.train.n >= 1);
    assert.ok(Array.from(d.train.x).every(Number.isFinite) && Array.from(d.val.x).every(Number.isFinite));
  } catch (err) {
    assert.ok(err instanceof DataError, `not a DataError: ${String(err)}`);
    assert.ok(err.path.length > 0, err.message);
    if (err.line !== null) {
      const lines = text.split('\n');
      assert.equal(err.file, source);
      assert.ok(err.line >= 1 && err.line <= lines.length, `${err.message} (${lines.length} lines)`);
      assert.ok(err.column! >= 1 && err.column! <= lines[err.line - 1].length + 1, `${err.message}: line is ${JSON.stringify(lines[err.line - 1])}`);
    }
  }
}

const cell = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('a', 'b', 'cat', '', ' ', '"q,uoted"', '"', 'NaN', '1e999', '-', '.', '0x1F', '1,5') },
  { weight: 1, arbitrary: fc.string({ maxLength: 5 }) },
);
const csvArb = fc
  .record({
    header: fc.oneof(fc.constant(['a', 'b', 'y']), fc.constant(['a', 'y']), fc.array(fc.constantFrom('a', 'b', 'y', 'c', ''), { minLength: 1, maxLength: 4 })),
    rows: fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { maxLength: 30 }),
    eol: fc.constantFrom('\n', '\r\n'),
  })
  .map(({ header, rows, eol }) => [header.join(','), ...rows.map((r) => r.join(','))].join(eol));

const recordArb = fc.dictionary(fc.constantFrom('a', 'b', 'y', 'c'), fc.oneof(fc.double({ noNaN: true, min: -100, max: 100 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom('x', 'z', null, true), fc.jsonValue({ maxDepth: 1 })));
const jsonArb = fc.oneof(
  { weight: 4, arbitrary: fc.array(recordArb, { maxLength: 20 }).map((a) => JSON.stringify(a, null, 1)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? '') },
);

const mutate = (text: string, at: number, len: number, s: string) => {
  const i = at % (text.length + 1);
  return text.slice(0, i) + s + text.slice(Math.min(text.length, i + len));
};

test('random CSV files load or throw a positioned DataError', { timeout: 60_000 }, () => {
  fc.assert(fc.property(csvArb, settings, (text, s) => checkLoad('d.csv', text, s)), { numRuns: 2000 });
});

test('random JSON record files load or throw a positioned DataError', { timeout: 60_000 }, () => {
  fc.assert(fc.property(jsonArb, settings, (text, s) => checkLoad('d.json', text, s)), { numRuns: 1500 });
});

test('mutated valid files load or throw a positioned DataError', { timeout: 60_000 }, () => {
  const csv = 'a,b,y\n' + Array.from({ length: 12 }, (_, i) => `${i},${(i * 7) % 5},${i % 3}`).join('\n');
  const json = JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ a: i, b: (i * 7) % 5, y: ['p', 'q'][i % 2] })), null, 2);
  const mut = fc.tuple(fc.nat(), fc.nat({ max: 6 }), fc.string({ maxLength: 4 }));
  fc.assert(fc.property(fc.array(mut, { minLength: 1, maxLength: 3 }), settings, (ms, s) => checkLoad('d.csv', ms.reduce((t, m) => mutate(t, ...m), csv), s)), { numRuns: 1500 });
  fc.assert(fc.property(fc.array(mut, { minLength: 1, maxLength: 3 }), settings, (ms, s) => checkLoad('d.json', ms.reduce((t, m) => mutate(t, ...m), json), s)), { numRuns: 1500 });
});
