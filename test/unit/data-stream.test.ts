// Streamed CSV files: the same rows, values and errors however the file is cut into chunks (a row, a quoted
// cell, a CRLF or the byte-order mark split across reads), a seeded sample that keeps the same uniform
// subset for the same seed at any chunk size, a full read's room sized from the file's size whether its rows
// get shorter or longer, the limits that remain (longest line, rows/cells kept, JSON size), and files read
// from disk by path with progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { readDataFile } from '../../src/engine/data/data-file';
import { DataError } from '../../src/engine/data/errors';
import { LIMITS } from '../../src/engine/data/table';
import { keptRows } from './data-helpers';
import { dataFileSource } from '../../src/cli/data-files';
import { FastRowParser } from '../../src/engine/data/csv-fast';
import { cellNumber } from '../../src/engine/data/tabular';
import fc from 'fast-check';
import type { DataFileSource } from '../../src/engine/data/dataset';

function spec(source: string, data: Record<string, unknown> = {}, units = 3, seed = 5) {
  const r = parseModel(
    JSON.stringify({ seed, data: { source, target: 'label', validationSplit: 0.25, preprocess: 'none', ...data }, layers: [{ type: 'dense', units }], loss: 'softmax-cross-entropy' }),
    'm.nn.json',
  );
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return r.spec;
}

const CHUNKS = [1, 2, 3, 5, 7, 16, 61, 4096, undefined];

/** The error thrown by `fn` (which must throw a DataError) as "line:column reason". */
function errorAt(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DataError, String(err));
    return `${err.line}:${err.column} ${err.reason}`;
  }
  assert.fail('no error thrown');
}

/** Rows whose first feature is their row number, so a kept row names itself. */
function numbered(rows: number, eol = '\n'): string {
  return ['id,v,label', ...Array.from({ length: rows }, (_, i) => `${i},${(i * 37) % 101},${['a', 'b', 'c'][i % 3]}`)].join(eol) + eol;
}

const ids = (d: ReturnType<typeof loadDataset>) => [...Array.from({ length: d.train.n }, (_, i) => d.train.x[2 * i]), ...Array.from({ length: d.val.n }, (_, i) => d.val.x[2 * i])];

test('every chunk size gives the same rows: quoted cells, CRLF, a byte-order mark, blank lines, non-ASCII', () => {
  const text = '\ufeffa,"b, quoted",label\r\n1," 2 ",x\r\n\r\n  \r\n"3","4e1","ünï, ""q"""\r\n-5,.5,x\r\n\t\r\n6,7,"ünï, ""q"""';
  const expected = loadDataset(spec('d.csv', { validationSplit: 0 }, 2), { 'd.csv': text });
  assert.deepEqual(expected.featureNames, ['a', 'b, quoted']);
  assert.deepEqual(expected.classNames, ['x', 'ünï, "q"']);
  assert.deepEqual([...expected.train.x].sort((p, q) => p - q), [-5, 0.5, 1, 2, 3, 6, 7, 40]);
  for (const chunkBytes of CHUNKS) assert.deepEqual(loadDataset(spec('d.csv', { validationSplit: 0 }, 2), { 'd.csv': text }, { chunkBytes }), expected, `chunk ${chunkBytes}`);
});

test('errors keep their line and column whatever the chunk size', () => {
  const good = numbered(40, '\r\n');
  const cases: [string, string][] = [
    [good + '41,"5,a\r\n', '42:4 unterminated quoted cell'],
    [good + '41,5\r\n', '42:5 row has 2 cells, but the header has 3 columns'],
    [good.replace('17,', '17,"x" y,'), '19:8 unexpected text after a quoted cell'],
    [good + '\r\n\r\n41,ab c,a\r\n', '44:4 non-numeric value "ab c" in column "v"'],
    ['\ufeffid,id,label\r\n1,2,a\r\n', '1:4 duplicate column "id" in the header row'],
    [good + '41,5,\r\n', '42:6 empty target in column "label"'],
  ];
  for (const [text, where] of cases) {
    for (const chunkBytes of CHUNKS) assert.equal(errorAt(() => loadDataset(spec('d.csv'), { 'd.csv': text }, { chunkBytes })), where, `chunk ${chunkBytes}`);
  }
});

test('samples keeps a seeded subset in file order: the same for every chunk size, another for another seed', () => {
  const text = numbered(3000);
  const load = (seed: number, chunkBytes?: number) => loadDataset(spec('d.csv', { samples: 250 }, 3, seed), { 'd.csv': text }, { chunkBytes });
  const a = load(5);
  assert.equal(a.train.n + a.val.n, 250);
  for (const chunkBytes of [1, 7, 100, 65536]) assert.deepEqual(load(5, chunkBytes), a, `chunk ${chunkBytes}`);
  const kept = ids(a).sort((p, q) => p - q);
  assert.equal(new Set(kept).size, 250, 'distinct rows');
  assert.ok(kept.every((id) => Number.isInteger(id) && id >= 0 && id < 3000));
  assert.ok(kept.at(-1)! > 2500 && kept[0] < 500, 'drawn from the whole file, not its start');
  const b = ids(load(6)).sort((p, q) => p - q);
  assert.notDeepEqual(b, kept);
  // features travel with their labels: row i has class i mod 3
  for (const split of [a.train, a.val]) for (let i = 0; i < split.n; i++) assert.equal(split.labels[i], split.x[2 * i] % 3);
  // samples at or above the row count keep every row
  assert.deepEqual(ids(loadDataset(spec('d.csv', { samples: 3000 }), { 'd.csv': text })).sort((p, q) => p - q), Array.from({ length: 3000 }, (_, i) => i));
});

test('sampled wide rows: each kept row equals that row read in full', () => {
  // rows of ~250 bytes, thousands of them: far more than one chunk
  const cols = Array.from({ length: 30 }, (_, j) => `f${j}`);
  const row = (i: number) => [i, ...cols.slice(1).map((_, j) => ((i * 7919 + j * 104729) % 100003) / 7)].map((v) => v.toFixed(3)).join(',') + `,${['a', 'b', 'c'][i % 3]}`;
  const text = [[...cols, 'label'].join(','), ...Array.from({ length: 20000 }, (_, i) => row(i))].join('\n');
  const full = loadDataset(spec('w.csv', { validationSplit: 0 }), { 'w.csv': text });
  const byId = new Map(Array.from({ length: full.train.n }, (_, i) => [full.train.x[30 * i], Array.from(full.train.x.subarray(30 * i, 30 * i + 30))]));
  for (const chunkBytes of [777, undefined]) {
    const d = loadDataset(spec('w.csv', { samples: 500, validationSplit: 0 }), { 'w.csv': text }, { chunkBytes });
    assert.equal(d.train.n, 500);
    for (let i = 0; i < d.train.n; i++) {
      const got = Array.from(d.train.x.subarray(30 * i, 30 * i + 30));
      assert.deepEqual(got, byId.get(got[0]), `row ${got[0]}`);
      assert.equal(d.train.labels[i], got[0] % 3);
    }
  }
});

test('the sample keeps every row with the same probability, early or late in a long file, rows of one length or of many', () => {
  // short file: every position; long file: tenths. Rows of one length put the keyed offsets in an
  // arithmetic progression, the pattern a weak hash would show most.
  const cases = [
    { n: 30, k: 6, seeds: 4000, buckets: 30, row: (i: number) => `${i % 10},a` },
    { n: 5000, k: 10, seeds: 1500, buckets: 10, row: (i: number) => `${i % 10},a` },
    { n: 5000, k: 10, seeds: 1500, buckets: 10, row: (i: number) => `${i},${'x'.repeat(i % 7)}` },
  ];
  for (const { n, k, seeds, buckets, row } of cases) {
    const text = ['v,label', ...Array.from({ length: n }, (_, i) => row(i))].join('\n') + '\n';
    const hits = new Float64Array(buckets);
    for (let seed = 0; seed < seeds; seed++) {
      const kept = keptRows(text, k, seed);
      assert.equal(new Set(kept).size, k);
      for (const i of kept) hits[Math.floor((i * buckets) / n)]++;
    }
    const p = (k / n) * (n / buckets); // expected kept rows per bucket per run
    const sigma = Math.sqrt(seeds * p * (1 - p / k)); // binomial-sized spread of a bucket's total
    for (let b = 0; b < buckets; b++) assert.ok(Math.abs(hits[b] - seeds * p) < 5 * sigma, `n ${n} bucket ${b}: ${hits[b]} vs ${seeds * p} ± ${sigma.toFixed(1)}`);
  }
});

/** Runs `fn` with some limits lowered, so a test file can cross them. */
function withLimits(lower: Partial<typeof LIMITS>, fn: () => void): void {
  const saved = { ...LIMITS };
  Object.assign(LIMITS, lower);
  try {
    fn();
  } finally {
    Object.assign(LIMITS, saved);
  }
}

test('a full read keeps every row when the rows after the first thousand are shorter or longer than those (the room estimated from the file size is too small or too large)', () => {
  const n = 5000;
  for (const [early, late] of [[60, 0], [0, 60]]) {
    const lines = ['id,v,label', ...Array.from({ length: n }, (_, i) => `${i},${' '.repeat(i < 1100 ? early : late)}${i / 4},c${i % 3}`)];
    const raw = readDataFile(spec('d.csv'), lines.join('\n'), { chunkBytes: 4096 });
    assert.equal(raw.n, n);
    assert.deepEqual(Array.from(raw.x), Array.from({ length: n }, (_, i) => [i, i / 4]).flat());
    assert.deepEqual(Array.from(raw.labels), Array.from({ length: n }, (_, i) => i % 3));
    // what an estimate left over is not held
    assert.ok(raw.x.buffer.byteLength <= 1.25 * raw.x.byteLength, `${raw.x.buffer.byteLength} bytes held for ${raw.x.byteLength}`);
  }
});

test('limits: the longest line, the rows and cells kept; a sampled file may have any number of rows', () => {
  withLimits({ lineBytes: 64, rows: 50, cells: 120 }, () => {
    const text = numbered(200);
    for (const chunkBytes of [3, 1000]) {
      assert.match(errorAt(() => loadDataset(spec('d.csv', { samples: 40 }), { 'd.csv': text + 'x'.repeat(65) + '\n1,2,a\n' }, { chunkBytes })), /^202:1 line 202 is longer than .* MiB, the limit for one row/);
      assert.match(errorAt(() => loadDataset(spec('d.csv'), { 'd.csv': text }, { chunkBytes })), /^42:1 41 rows × 3 columns, above the limit of 120 cells/);
    }
    assert.equal(loadDataset(spec('d.csv', { samples: 40 }), { 'd.csv': text }).train.n, 30);
    withLimits({ cells: 1e9 }, () => {
      assert.match(errorAt(() => loadDataset(spec('d.csv'), { 'd.csv': text })), /^52:1 more than 50 rows; set "samples"/);
      assert.match(errorAt(() => loadDataset(spec('d.csv', { samples: 60 }), { 'd.csv': text })), /^\d+:1 more than 50 rows/);
    });
  });
});

test('a JSON file over its size limit is refused at 1:1 before it is read; a CSV file of any size is not', () => {
  const unreadable: DataFileSource = {
    size: LIMITS.jsonBytes + 1,
    open: () => assert.fail('the file was opened'),
  };
  const r = parseModel(JSON.stringify({ data: { source: 'big.json', target: 'label' }, layers: [{ type: 'dense', units: 2 }], loss: 'softmax-cross-entropy' }), 'm');
  assert.ok(r.ok);
  const err = errorAt(() => loadDataset(r.spec, { 'big.json': unreadable }));
  assert.match(err, /^1:1 big\.json has 64 MiB of data, above the 64 MiB limit for a JSON array/);
  // a CSV source reports a size but is read in chunks: the size alone refuses nothing
  const text = new TextEncoder().encode(numbered(30));
  let at = 0;
  const csv: DataFileSource = {
    size: 2 ** 40,
    open: () => ({
      read(into) {
        const n = Math.min(into.length, text.length - at);
        into.set(text.subarray(at, at + n));
        at += n;
        return n;
      },
      readAt: () => assert.fail('a file read whole is not read back'),
      close() {},
    }),
  };
  assert.equal(loadDataset(spec('d.csv'), { 'd.csv': csv }).train.n + loadDataset(spec('d.csv'), { 'd.csv': (at = 0, csv) }).val.n, 30);
});

test('a file on disk is streamed by path with progress to its size, closed after an error, and a missing one is named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-stream-'));
  const file = path.join(dir, 'd.csv');
  fs.writeFileSync(file, numbered(5000));
  const seen: number[] = [];
  const source = dataFileSource('d.csv', file, (bytes, total) => {
    assert.equal(total, fs.statSync(file).size);
    seen.push(bytes);
  });
  const d = loadDataset(spec('d.csv', { samples: 100 }), { 'd.csv': source }, { chunkBytes: 4096 });
  assert.equal(d.train.n + d.val.n, 100);
  assert.equal(seen.at(-1), source.size);
  assert.ok(seen.length > source.size / 4096, 'one report per read');
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  // the same rows as the text of the file gives
  assert.deepEqual(d, loadDataset(spec('d.csv', { samples: 100 }), { 'd.csv': fs.readFileSync(file, 'utf8') }));

  // descriptors open on the file, once none is for long: a helper thread of the sampled load above that
  // started as the last chunk was claimed may still open it, find nothing to scan and close it (its thread
  // has descriptors of its own, so all of this process's are not counted)
  const real = fs.realpathSync(file);
  const openOnFile = () => {
    let open = 0;
    for (let waited = 0; waited <= 2000; waited += 20) {
      open = fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === real;
        } catch {
          return false; // closed while listed
        }
      }).length;
      if (open === 0) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
    return open;
  };
  assert.equal(openOnFile(), 0);
  fs.appendFileSync(file, '1,2\n');
  for (let i = 0; i < 5; i++) assert.match(errorAt(() => loadDataset(spec('d.csv'), { 'd.csv': dataFileSource('d.csv', file) })), /^5002:4 row has 2 cells/);
  assert.equal(openOnFile(), 0, 'no file left open');

  // a JSON array on disk is read whole through the same source
  const json = path.join(dir, 'd.json');
  fs.writeFileSync(json, JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ id: i, v: i % 7, label: ['a', 'b', 'c'][i % 3] }))));
  assert.deepEqual(loadDataset(spec('d.json'), { 'd.json': dataFileSource('d.json', json) }), loadDataset(spec('d.json'), { 'd.json': fs.readFileSync(json, 'utf8') }));

  assert.throws(() => dataFileSource('nope.csv', path.join(dir, 'nope.csv')), (e: unknown) => e instanceof DataError && /cannot read data file nope\.csv \(ENOENT\)/.test(e.message));
  assert.throws(() => dataFileSource('dir.csv', dir), (e: unknown) => e instanceof DataError && /cannot read data file dir\.csv/.test(e.message));
  fs.rmSync(dir, { recursive: true });
});

test('the byte-level row parser gives exactly the text path\'s numbers, or declines', () => {
  const parser = new FastRowParser(2, [0], 1);
  const bytesOf = (s: string) => new TextEncoder().encode(s);
  const x = new Float64Array(1);
  const check = (cell: string, mustParse: boolean) => {
    const row = bytesOf(`${cell},a`);
    const target = parser.parse(row, 0, row.length, x, 0, false);
    const expected = cellNumber(cell);
    if (target === null) {
      assert.ok(!mustParse, `declined ${JSON.stringify(cell)}`);
      return;
    }
    assert.equal(target, 'a');
    assert.ok(Object.is(x[0], expected), `${JSON.stringify(cell)}: ${x[0]} vs ${expected}`);
  };
  const double = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 });
  fc.assert(fc.property(double, fc.integer({ min: 0, max: 10 }), (v, k) => {
    check(v.toFixed(k), Math.abs(v) < 1e4);
    check(v.toExponential(k), false);
    check(v.toPrecision(k + 1), false);
    check(String(v), false);
  }), { numRuns: 3000 });
  const digits = fc.stringMatching(/^[+-]?0*[0-9]{0,20}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?$/);
  fc.assert(fc.property(digits, fc.constantFrom('', ' ', '\t'), (cell, pad) => check(pad + cell + pad, false)), { numRuns: 3000 });
  for (const cell of ['', ' ', '.', '-', '+.5', '1.', '-0', '0x1F', '1e', '1e+', '1.5.3', '1 2', 'NaN', 'Infinity', '1e999', '"1"', 'é', '9007199254740993', '0.1e-22', '123456789012345678e-30']) check(cell, false);
  check('-0.0', true);
  check('  12.5 ', true);
});
