// The sampled CSV path: with "samples" below the row count, the scan keys every row by where it starts
// and parses only rows whose key is small. These tests hold it to the contract (keptRows in
// data-helpers.ts) and to the plain path: the rows kept are the ones of smallest key, each equal to that
// row as a full read parses it (quotes, CRLF, blank lines, a byte-order mark, any chunk size, helper
// threads or none); a bad cell in a kept row gives the full read's positioned error; a bad cell in a row
// not kept is not looked at (the documented contract); and the subset for a seed stays the recorded one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { csvSpec as spec, keptRows } from './data-helpers';
import { readDataFile } from '../../src/engine/data/data-file';
import { loadDataset } from '../../src/engine/data/load';
import { parseModel } from '../../src/engine/spec/parse';
import { DataError } from '../../src/engine/data/errors';
import { dataFileSource } from '../../src/cli/data-files';
import type { RawData } from '../../src/engine/data/raw';

/** The error `fn` throws as "line:column reason", or null when it returns. */
function errorOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    assert.ok(err instanceof DataError, String(err));
    return `${err.line}:${err.column} ${err.reason}`;
  }
}

/** Row r of a classification read: its features and its class name. */
const rowOf = (d: RawData, r: number) => [...d.x.subarray(r * d.inputs, (r + 1) * d.inputs), d.classNames![d.labels[r]]];

const NUMBER_CELLS = ['7', ' 7 ', '"7"', '" 7"', '7.0', '0.7e1', '+7', '70e-1'];
const LABELS = ['a', ' a', '"a"', 'b', '"b, c"', '"d ""q"""', 'ü', '"ü"'];
const BLANKS = ['', '  ', '\t', '\r', '\u00a0'];

const csvFile = fc.record({
  bom: fc.boolean(),
  eol: fc.constantFrom('\n', '\r\n'),
  rows: fc.array(fc.record({ v: fc.constantFrom(...NUMBER_CELLS), label: fc.constantFrom(...LABELS), blankBefore: fc.option(fc.constantFrom(...BLANKS), { freq: 4 }) }), { minLength: 1, maxLength: 60 }),
  finalEol: fc.boolean(),
});

test('a sampled read keeps the rows of smallest key, each as the full read parses it (quotes, CRLF, blank lines, BOM, any chunk size)', () => {
  fc.assert(
    fc.property(csvFile, fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 1000 }), fc.constantFrom(1, 2, 5, 13, 64, 4096), (file, samples, seed, chunkBytes) => {
      // the first cell is the row's index, so a kept row names itself; the second varies how a number is written
      const lines = ['id,v,label'];
      file.rows.forEach((row, i) => {
        if (row.blankBefore !== null) lines.push(row.blankBefore);
        lines.push(`${i},${row.v.replace('7', String(i % 10))},${row.label}`);
      });
      const text = (file.bom ? '\ufeff' : '') + lines.join(file.eol) + (file.finalEol ? file.eol : '');
      // a whole file of one class is refused; the property is about files that load whole
      if (errorOf(() => readDataFile(spec({}, seed), text))?.includes('has only one class')) return;
      const full = readDataFile(spec({}, seed), text);
      assert.equal(full.n, file.rows.length);
      const kept = keptRows(text, samples, seed);
      const expectedClasses = new Set(kept.map((i) => rowOf(full, i)[2]));
      let sampled: RawData;
      try {
        sampled = readDataFile(spec({ samples }, seed), text, { chunkBytes });
      } catch (err) {
        // a subset with one class is refused, as a whole file with one class is
        assert.ok(err instanceof DataError && /has only one class/.test(err.reason) && expectedClasses.size === 1, String(err));
        return;
      }
      assert.deepEqual(
        Array.from({ length: sampled.n }, (_, r) => rowOf(sampled, r)),
        kept.map((i) => rowOf(full, i)),
      );
    }),
    { numRuns: 300 },
  );
});

test('a bad cell is reported where the full read reports it when its row is kept, and not looked at otherwise', () => {
  const rows = 400;
  const good = Array.from({ length: rows }, (_, i) => `${i},${(i * 37) % 101},${'abc'[i % 3]}`);
  const bad: [string, (i: number) => string][] = [
    ['non-numeric', (i) => `${i},x${i},a`],
    ['empty target', (i) => `${i},1,`],
    ['too few cells', (i) => `${i},1`],
    ['unterminated quote', (i) => `${i},"1,a`],
    // a quoted cell may not span lines: its first line is a bad row, and so is its second
    ['quoted cell over two lines', (i) => `${i},1,"a\r\nb"`],
  ];
  let keptBad = 0;
  let skippedBad = 0;
  for (const [what, badRow] of bad) {
    for (const at of [0, 17, 150, 399]) {
      const badLines = badRow(at).split('\r\n');
      const text = ['id,v,label', ...good.slice(0, at), ...badLines, ...good.slice(at + 1)].join('\r\n');
      const total = rows - 1 + badLines.length;
      // the errors of a full read of just the bad lines, on their lines in the file
      const errors = badLines.map((_, k) => errorOf(() => readDataFile(spec({}, 1), ['id,v,label', ...good.slice(0, at), badLines[k], ...good.slice(at + 1)].join('\r\n'))));
      assert.equal(errorOf(() => readDataFile(spec({}, 1), text)), errors[0], `${what}: the full read reports the first bad line`);
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const samples = 40;
        const kept = keptRows(text, samples, seed);
        assert.equal(kept.length, samples, `${total} rows`);
        // rows are checked in file order, so the first bad line kept is the one reported
        const k = badLines.findIndex((_, k) => kept.includes(at + k));
        const expected = k < 0 ? null : errors[k]!.replace(/^\d+/, String(at + k + 2));
        for (const chunkBytes of [7, undefined]) assert.equal(errorOf(() => readDataFile(spec({ samples }, seed), text, { chunkBytes })), expected, `${what} at row ${at}, seed ${seed}`);
        if (k >= 0) keptBad++;
        else skippedBad++;
      }
    }
  }
  assert.ok(keptBad > 0 && skippedBad > 0, `both cases happened: ${keptBad} kept, ${skippedBad} skipped`);
});

test('the subset for a seed stays the recorded one, and is the contract\'s', () => {
  // CRLF, a byte-order mark and blank lines (which are not rows) around 3000 numbered rows
  const lines = ['id,v,label'];
  for (let i = 0; i < 3000; i++) {
    if (i % 7 === 3) lines.push(i % 2 ? '' : '  \t');
    lines.push(`${i},${(i * 37) % 101},${'abc'[i % 3]}`);
  }
  const text = '\ufeff' + lines.join('\r\n') + '\r\n';
  // recorded: a seed keeps the same rows from one version to the next, so results stay reproducible
  const recorded: Record<number, number[]> = {
    5: [351, 461, 574, 585, 1234, 1249, 1614, 1730, 2102, 2731, 2943, 2952],
    11: [90, 381, 672, 726, 1049, 1580, 1745, 1964, 1988, 2109, 2356, 2658],
  };
  for (const [seed, ids] of Object.entries(recorded)) {
    for (const chunkBytes of [3, 100, undefined]) {
      const d = loadDataset(spec({ samples: 12, validationSplit: 0.25 }, Number(seed)), { 'd.csv': text }, { chunkBytes });
      const kept = [...Array.from({ length: d.train.n }, (_, i) => d.train.x[2 * i]), ...Array.from({ length: d.val.n }, (_, i) => d.val.x[2 * i])];
      assert.deepEqual(kept.sort((a, b) => a - b), ids, `seed ${seed}, chunk ${chunkBytes}`);
    }
    assert.deepEqual(keptRows(text, 12, Number(seed)), ids, 'the contract keeps the same');
  }
});

test('a file on disk keeps the same rows with helper threads scanning beside the caller as without', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-sample-'));
  try {
    const file = path.join(dir, 'd.csv');
    const text = ['id,v,label', ...Array.from({ length: 20000 }, (_, i) => `${i},${((i * 7919) % 1000) / 8},${'abc'[i % 3]}${i % 97 === 5 ? ' ' : ''}`)].join('\n') + '\n';
    fs.writeFileSync(file, text);
    for (const seed of [1, 2]) {
      const expected = keptRows(text, 900, seed);
      for (const chunkBytes of [999, 16384]) {
        for (const helpers of [0, 1, 2]) {
          const d = readDataFile(spec({ samples: 900 }, seed), dataFileSource('d.csv', file), { chunkBytes, helpers });
          assert.deepEqual(Array.from({ length: d.n }, (_, r) => d.x[2 * r]), expected, `seed ${seed}, chunk ${chunkBytes}, ${helpers} helpers`);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('a sampled file placed in the split\'s order as it is read (parsed by the scan or not, moved by a helper thread or not) gives the dataset of a file holding just the kept rows', () => {
  // every 7th row quoted, so the scan leaves it for CsvRows to parse into its place among the rows it parsed
  const rows = Array.from({ length: 3000 }, (_, i) => `${i},${i % 7 ? '' : '"'}${((i * 7919) % 1009) / 8}${i % 7 ? '' : '"'},${(i * 31) % 17},${i % 3}`);
  const text = ['id,v,w,label', ...rows].join('\n') + '\n';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-split-'));
  const file = path.join(dir, 'd.csv');
  fs.writeFileSync(file, text);
  try {
    checkPlacedSplit(text, rows, file);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

/** The split test above: `text` from memory, and from `file` with helper threads scanning and moving the rows. */
function checkPlacedSplit(text: string, rows: string[], file: string): void {
  for (const task of ['classification', 'regression'] as const) {
    for (const seed of [1, 2]) {
      const data = { validationSplit: 0.3, preprocess: 'standardize', ...(task === 'regression' ? { task, target: 'w' } : {}) };
      const kept = keptRows(text, 400, seed);
      const only = ['id,v,w,label', ...kept.map((i) => rows[i])].join('\n');
      const model = (fields: Record<string, unknown>) => {
        const r = parseModel(JSON.stringify({ seed, data: { source: 'd.csv', target: 'label', ...fields }, layers: [{ type: 'dense', units: task === 'regression' ? 1 : 3 }], loss: task === 'regression' ? 'mse' : 'softmax-cross-entropy' }), 'm.nn.json');
        if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
        return r.spec;
      };
      const expected = loadDataset(model(data), { 'd.csv': only });
      const sampled = loadDataset(model({ ...data, samples: 400 }), { 'd.csv': text });
      assert.deepEqual(sampled, expected, `${task}, seed ${seed}`);
      assert.equal(sampled.train.n + sampled.val.n, 400);
      for (const helpers of [1, 2]) {
        const fromDisk = loadDataset(model({ ...data, samples: 400 }), { 'd.csv': dataFileSource('d.csv', file) }, { helpers, chunkBytes: 4096 });
        assert.deepEqual(fromDisk, expected, `${task}, seed ${seed}, ${helpers} helpers`);
      }
    }
  }
}

test('rows of very different lengths come back whole', () => {
  // mostly short rows; every 9th a little longer, every 50th far longer
  const text = ['id,v,label', ...Array.from({ length: 3000 }, (_, i) => {
    const v = i % 9 === 0 ? `${i}.${'1'.repeat(i % 13)}` : String(i % 7);
    const label = i % 50 === 25 ? `"${'long, '.repeat(300)}${i % 3}"` : 'abc'[i % 3];
    return `${i},${v},${label}`;
  })].join('\n');
  const full = readDataFile(spec({}, 1), text);
  let longKept = 0;
  for (const seed of [1, 2, 3, 4]) {
    for (const samples of [30, 400]) {
      const kept = keptRows(text, samples, seed);
      const sampled = readDataFile(spec({ samples }, seed), text, { chunkBytes: 4096 });
      assert.deepEqual(Array.from({ length: sampled.n }, (_, r) => rowOf(sampled, r)), kept.map((i) => rowOf(full, i)), `seed ${seed}, samples ${samples}`);
      longKept += kept.filter((i) => i % 50 === 25).length;
    }
  }
  assert.ok(longKept > 0, 'some far longer rows were kept');
});
