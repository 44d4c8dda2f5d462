// Workspace CSV and JSON data: header and target column, one-hot classes from names or integers, and clear
// DataErrors that name the file, line and column of ragged rows, empty cells and non-numeric values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { DataError } from '../../src/engine/data/errors';
import { LIMITS } from '../../src/engine/data/table';
import { splitCsvLine } from '../../src/engine/data/csv-rows';

function model(source: string, units: number, extra: Record<string, unknown> = {}, loss = 'softmax-cross-entropy') {
  const r = parseModel(
    JSON.stringify({ data: { source, target: 'label', validationSplit: 0, preprocess: 'none', ...extra }, layers: [{ type: 'dense', units }], loss }),
    'm.nn.json',
  );
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return r.spec;
}

function load(source: string, text: string, units = 2, extra: Record<string, unknown> = {}, loss?: string) {
  return loadDataset(model(source, units, extra, loss), { [source]: text });
}

/** Asserts a DataError at file:line:column whose message contains `words`; returns it. */
function expectDataError(fn: () => unknown, where: { line: number; column: number } | null, words: string[], path: (string | number)[] = ['data', 'source']): DataError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DataError, `not a DataError: ${String(err)}`);
    if (where) {
      assert.equal(`${err.line}:${err.column}`, `${where.line}:${where.column}`, err.message);
      assert.ok(err.message.startsWith(`${err.file}:${where.line}:${where.column}: `), err.message);
    }
    for (const w of words) assert.ok(err.message.includes(w), `"${w}" not in: ${err.message}`);
    assert.deepEqual(err.path, path);
    return err;
  }
  assert.fail('no error thrown');
}

test('CSV: header row, numeric features, string classes sorted, one per row', () => {
  const d = load('d.csv', 'a,b,label\n1,2,cat\n3,4.5e1,dog\n\n-5, .5 ,cat\r\n"7","8","bird"\n', 3);
  assert.deepEqual(d.featureNames, ['a', 'b']);
  assert.deepEqual(d.classNames, ['bird', 'cat', 'dog']);
  assert.equal(d.outputs, 3);
  assert.equal(d.train.n, 4);
  const rows = new Map<string, number>();
  for (let i = 0; i < 4; i++) rows.set(`${d.train.x[2 * i]},${d.train.x[2 * i + 1]}`, d.train.labels[i]);
  assert.deepEqual(Object.fromEntries(rows), { '1,2': 1, '3,45': 2, '-5,0.5': 1, '7,8': 0 });
});

test('integer class labels are ordered numerically; regression reads a numeric target', () => {
  const d = load('d.csv', 'x,label\n1,10\n2,2\n3,10\n4,-1\n', 3);
  assert.deepEqual(d.classNames, ['-1', '2', '10']);
  const r = load('r.csv', 'x,label\n1,0.5\n2,1.5\n', 1, { task: 'regression' }, 'mse');
  assert.equal(r.task, 'regression');
  assert.deepEqual(Array.from(r.train.targets).sort(), [0.5, 1.5]);
  assert.equal(r.classNames, null);
});

test('CSV errors name the line and column', () => {
  expectDataError(() => load('d.csv', 'a,b,label\n1,2,x\n3,4\n'), { line: 3, column: 4 }, ['d.csv:3:4', 'row has 2 cells, but the header has 3 columns']);
  expectDataError(() => load('d.csv', 'a,b,label\n1,2,x\n3,4,y,9\n'), { line: 3, column: 7 }, ['4 cells']);
  expectDataError(() => load('d.csv', 'a,b,label\n1,2,x\n3,,y\n'), { line: 3, column: 3 }, ['empty cell in column "b"']);
  expectDataError(() => load('d.csv', 'a,b,label\n1,2,x\n3,abc,y\n'), { line: 3, column: 3 }, ['non-numeric value "abc" in column "b"']);
  expectDataError(() => load('d.csv', 'a,b,label\n1,2,x\n\n\n3,NaN,y\n'), { line: 5, column: 3 }, ['non-numeric value "NaN"']);
  expectDataError(() => load('d.csv', 'a,b,label\n1,2,x\n3,4,\n'), { line: 3, column: 5 }, ['empty target']);
  expectDataError(() => load('d.csv', 'a,b,label\n1,"2,x\n'), { line: 2, column: 3 }, ['unterminated quoted cell']);
  expectDataError(() => load('d.csv', 'a,,label\n1,2,x\n'), { line: 1, column: 3 }, ['empty column name']);
  expectDataError(() => load('d.csv', 'a,a,label\n1,2,x\n'), { line: 1, column: 3 }, ['duplicate column "a"']);
  expectDataError(() => load('d.csv', 'a,b,label\n'), { line: 1, column: 1 }, ['no data rows']);
  expectDataError(() => load('d.csv', '\n\n'), { line: 1, column: 1 }, ['empty']);
  expectDataError(() => load('d.csv', 'x,y\n1,2\n'), { line: 1, column: 1 }, ['no target column "label"', 'columns: x, y'], ['data', 'target']);
  expectDataError(() => load('d.csv', 'x,labels\n1,2\n'), { line: 1, column: 1 }, ['Did you mean "labels"?'], ['data', 'target']);
  expectDataError(() => load('d.csv', 'label\nx\ny\n'), { line: 1, column: 1 }, ['no feature columns']);
  expectDataError(() => load('d.csv', 'a,label\n1,x\n2,x\n'), { line: 1, column: 3 }, ['only one class'], ['data', 'target']);
  expectDataError(() => load('r.csv', 'x,label\n1,a\n', 1, { task: 'regression' }, 'mse'), { line: 2, column: 3 }, ['non-numeric value "a" in column "label"']);
});

test('too many classes suggests regression; size limits are enforced', () => {
  const many = ['x,label', ...Array.from({ length: 1002 }, (_, i) => `${i},${i}.5`)].join('\n');
  expectDataError(() => load('d.csv', many), { line: 1002, column: 6 }, ['more than 1000 distinct values', '"task": "regression"'], ['data', 'task']);
  const huge = 'x,label\n' + '1,a\n'.repeat(LIMITS.rows + 1);
  expectDataError(() => load('d.csv', huge), { line: LIMITS.rows + 2, column: 1 }, ['more than 1000000 rows']);
  expectDataError(() => load('d.csv', 'x'.repeat(LIMITS.lineBytes + 1)), null, ['MiB', 'limit']);
});

test('a missing file is a DataError on data.source', () => {
  const spec = model('nope.csv', 2);
  expectDataError(() => loadDataset(spec, {}), null, ['"nope.csv" was not found']);
});

test('JSON records: same fields in every record, values positioned by line and column', () => {
  const ok = load('d.json', '[\n  { "a": 1, "b": 2, "label": "x" },\n  { "a": 3, "b": 4, "label": 7 }\n]', 2);
  assert.deepEqual(ok.classNames, ['7', 'x']);
  assert.deepEqual(ok.featureNames, ['a', 'b']);
  const text = '[\n  { "a": 1, "b": 2, "label": "x" },\n  { "a": 3, "b": "four", "label": "y" }\n]';
  expectDataError(() => load('d.json', text), { line: 3, column: 18 }, ['d.json:3:18', 'non-numeric value "four" in column "b"']);
  expectDataError(() => load('d.json', '[{ "a": 1, "label": "x" }, { "a": null, "label": "y" }]'), { line: 1, column: 35 }, ['empty cell in column "a"']);
  expectDataError(() => load('d.json', '[{ "a": 1, "label": "x" },\n { "label": "y" }]'), { line: 2, column: 2 }, ['record has no field "a"']);
  expectDataError(() => load('d.json', '[{ "a": 1, "label": "x" },\n { "a": 2, "c": 1, "label": "y" }]'), { line: 2, column: 12 }, ['unexpected field "c"']);
  expectDataError(() => load('d.json', '[{ "a": 1, "label": "x" },\n 5]'), { line: 2, column: 2 }, ['each record must be an object']);
  expectDataError(() => load('d.json', '{ "a": [1] }'), { line: 1, column: 1 }, ['array of records']);
  expectDataError(() => load('d.json', '[{ "a": 1, "label": "x" }\n { "a": 2 }]'), { line: 2, column: 2 }, ['JSON syntax error']);
  expectDataError(() => load('d.json', '[]'), { line: 1, column: 1 }, ['no records']);
  expectDataError(() => load('d.json', '[{ "a": [1], "label": "x" }, { "a": 2, "label": "y" }]'), { line: 1, column: 9 }, ['non-numeric value an object or array']);
});

test('the output size is checked against the classes found in the file', () => {
  const err = expectDataError(() => load('d.csv', 'a,label\n1,x\n2,y\n3,z\n', 2), null, ['layers[0] (dense_1)', 'over 3 classes needs 3 output units, got 2'], ['layers', 0, 'units']);
  assert.equal(err.file, null);
  const r = parseModel(JSON.stringify({ data: { source: 'g.csv', target: 'label' }, layers: [{ type: 'groupnorm', groups: 2 }, { type: 'dense', units: 2 }], loss: 'softmax-cross-entropy' }), 'm');
  assert.ok(r.ok);
  expectDataError(() => loadDataset(r.spec, { 'g.csv': 'a,b,c,label\n1,2,3,x\n4,5,6,y\n' }), null, ['2 groups do not divide the 3 features'], ['layers', 0, 'groups']);
});

test('a byte-order mark and CRLF line ends do not shift columns', () => {
  expectDataError(() => load('d.csv', '\ufeffa,b,label\r\n1,x,y\r\n'), { line: 2, column: 3 }, ['non-numeric value "x"']);
  expectDataError(() => load('d.csv', '\ufeffa,a,label\r\n1,2,y\r\n'), { line: 1, column: 3 }, ['duplicate column']);
});

test('splitCsvLine keeps quoted commas and escaped quotes, and reports cell starts', () => {
  assert.deepEqual(splitCsvLine('a, "b,c" ,"d""e"'), { cells: ['a', 'b,c', 'd"e'], starts: [0, 3, 10] });
  assert.deepEqual(splitCsvLine('"x" y'), { error: 'unexpected text after a quoted cell', column: 4 });
  assert.deepEqual(splitCsvLine(''), { cells: [''], starts: [0] });
});
