// The CSV byte scanner (csv-scan.ts): the embedded wasm module is what scripts/build-csv-wasm.js generates
// today; a sample's scan with its SIMD selectLines finds the same lines, keys and rows as the TypeScript
// one over random bytes (blank-looking lines, CR, non-ASCII, long lines, any chunking, threshold and line
// limit), offsets past 32 bits included; its row parser gives exactly csv-fast.ts's values or declines;
// and a whole read gives the same rows or the same error with either scanner, for any chunking and sample size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { createByteScanner, csvWasmModule, wasmScanAvailable, type ByteScanner } from '../../src/engine/data/csv-scan';
import { CSV_SELECT, CSV_WASM_LAYOUT } from '../../src/engine/data/csv-scan-wasm';
import { sampleScanState, scanSampleChunks } from '../../src/engine/data/csv-sample-scan';
import { FastRowParser } from '../../src/engine/data/csv-fast';
import { readCsv } from '../../src/engine/data/csv';
import { memoryReader } from '../../src/engine/data/data-file';
import { DataError } from '../../src/engine/data/errors';
import { Rng } from '../../src/engine/rng';
import type { DataSpec } from '../../src/engine/spec/model-spec';

const require = createRequire(__filename);
const encode = (s: string) => new TextEncoder().encode(s);

test('src/engine/data/csv-scan-wasm.ts is up to date with scripts/build-csv-wasm.js', async () => {
  const { buildCsvWasmSource, OUT } = require('../../scripts/build-csv-wasm.js') as { buildCsvWasmSource(): Promise<string>; OUT: string };
  assert.equal(readFileSync(OUT, 'utf8'), await buildCsvWasmSource(), 'run: node scripts/build-csv-wasm.js');
});

test('this runtime runs the wasm scanner (so the comparisons below test it)', () => {
  assert.ok(wasmScanAvailable());
});

/** Line contents: mostly printable, sometimes starting with a space, tab, CR or a non-ASCII space, some long. */
const lineArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 140 }).map((s) => 'v' + s.replace(/\n/g, '')) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '\t', '\r', ' x', '\u00a0', '\u00e9t\u00e9', '\u007f', '\u00a0y') },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 400 }).map((n) => 'L'.repeat(n)) },
);

function scanners(): ByteScanner[] {
  return [createByteScanner(true), createByteScanner(false)];
}

/** A sample scan's findings over `bytes` (everything but the arena's layout, which depends on which thread copied first). */
function scanOf(bytes: Uint8Array, first: number, chunkBytes: number, tau: number, maxLine: number, wasm: boolean) {
  const params = { first, fileBytes: bytes.length, chunkBytes, s0: 0x9e3779b9 | 0, s1: 12345, tau, maxLine, layout: CSV_WASM_LAYOUT, codes: CSV_SELECT, parse: null };
  const s = sampleScanState(params, 4096, 1 << 20);
  scanSampleChunks(s, (into, position) => memoryReader(bytes).readAt(into, position), wasm ? csvWasmModule() : null);
  const slots = Array.from({ length: Math.min(s.taken[0], s.key.length) }, (_, i) => i).filter((i) => s.used[i]);
  const rows = slots.map((i) => ({ offset: s.offset[i], length: s.length[i], key: s.key[i], chunk: s.chunk[i], line: s.lineInChunk[i], bytes: Array.from(s.arena.subarray(s.at[i], s.at[i] + s.length[i])) }));
  return { lines: Array.from(s.lines), tooLongAt: Array.from(s.tooLongAt), rows, overflow: s.overflow[0] };
}

test('the sample scan finds the same lines, keys and rows with the wasm selectLines as in TypeScript (any chunking, threshold and line limit)', () => {
  fc.assert(
    fc.property(
      fc.array(lineArb, { minLength: 1, maxLength: 60 }),
      fc.boolean(),
      fc.nat({ max: 200 }),
      fc.constantFrom(1, 2, 7, 64, 65, 100, 1000, 1 << 16),
      fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.nat({ max: 0xffffffff })),
      fc.integer({ min: 1, max: 300 }),
      (lines, finalLf, firstPick, chunkBytes, tau, maxLine) => {
        const bytes = encode(lines.join('\n') + (finalLf ? '\n' : ''));
        // the first line after a header: a line start
        const starts = [0, ...Array.from(bytes.keys()).filter((i) => bytes[i - 1] === 10)];
        const first = starts[firstPick % starts.length];
        const wasm = scanOf(bytes, first, chunkBytes, tau, maxLine, true);
        assert.deepEqual(wasm, scanOf(bytes, first, chunkBytes, tau, maxLine, false));
        // every line after `first` is counted once, whatever the chunks (up to the first one too long)
        const total = wasm.lines.reduce((a, b) => a + b, 0);
        if (wasm.tooLongAt.every((t) => t < 0)) assert.equal(total, starts.filter((i) => i >= first && i < bytes.length).length);
      },
    ),
    { numRuns: 3000 },
  );
});

test('the sample scan keys a line by where it starts in the file, past 4 GiB too', () => {
  // the same line at offsets that differ only above 32 bits gets different keys, and each selected line's bytes are its own
  const line = encode('1,2,a\n');
  const keys = [0, 2 ** 32, 2 ** 33 + 5].map((offset) => {
    const bytes = new Uint8Array(line.length);
    bytes.set(line);
    const reader = (into: Uint8Array, position: number) => {
      const from = position - offset;
      const n = Math.max(0, Math.min(into.length, bytes.length - from));
      into.set(bytes.subarray(from, from + n));
      return n;
    };
    return [true, false].map((wasm) => {
      const s = sampleScanState({ first: offset, fileBytes: offset + bytes.length, chunkBytes: 1 << 20, s0: 1, s1: 2, tau: 0xffffffff, maxLine: 1000, layout: CSV_WASM_LAYOUT, codes: CSV_SELECT, parse: null }, 16, 64);
      scanSampleChunks(s, reader, wasm ? csvWasmModule() : null);
      assert.deepEqual(Array.from(s.used), [1, ...Array<number>(15).fill(0)]);
      assert.equal(s.offset[0], offset);
      return s.key[0];
    });
  });
  for (const [wasm, ts] of keys) assert.equal(wasm, ts);
  assert.equal(new Set(keys.map(([k]) => k)).size, 3);
});

/** Number cells written in every way the fast paths meet, with some they must decline. */
const numberCell = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^\d{0,18}$/), fc.constantFrom('', '.'), fc.stringMatching(/^\d{0,8}$/)).map((p) => p.join('')) },
  { weight: 2, arbitrary: fc.tuple(fc.stringMatching(/^-?\d{1,4}(\.\d{1,4})?$/), fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 330 })).map((p) => p.join('')) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(' ', '\t', ''), fc.stringMatching(/^\d{1,3}\.\d{1,3}$/), fc.constantFrom(' ', '\t', '')).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '.', '-', 'e5', '1e', '1e+', '"1"', 'abc', '\u00e9', '0x10', '1.2.3', '1_0', '00000000000000000001', '-0', '.5', '5.') },
);
const classCell = fc.oneof(fc.constantFrom('a', 'cat', ' b ', 'c d', '0', '12', '', '"q"', '\u00e9', 'x\ty'), fc.stringMatching(/^[a-z]{1,70}$/));

test('parseRow in wasm gives csv-fast.ts values exactly, or declines (as it must where csv-fast.ts does)', () => {
  const [wasm] = scanners();
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 6 }).chain((width) => fc.tuple(fc.constant(width), fc.nat({ max: width - 1 }), fc.boolean(), fc.array(numberCell, { minLength: width, maxLength: width }), classCell)),
      fc.constantFrom('', '\n', '7', ',', ' 5'),
      fc.boolean(),
      ([width, target, regression, cells, label], after, extraCell) => {
        const row = cells.slice();
        if (!regression) row[target] = label;
        if (extraCell) row.push('1');
        const text = row.join(',');
        const bytes = encode(text + after);
        const end = encode(text).length;
        const features = Array.from({ length: width }, (_, c) => c).filter((c) => c !== target);
        const fast = new FastRowParser(width, features, target);
        const xFast = new Float64Array(width);
        const expected = fast.parse(bytes, 0, end, xFast, 0, regression);
        const buf = wasm.buffer(bytes.length + 16, 0);
        buf.set(bytes, 3);
        const xWasm = new Float64Array(width);
        const got = wasm.parseRow(3, 3 + end, width, target, regression, xWasm, 0);
        if (got === null) {
          // declining what csv-fast.ts parses is allowed only for numbers it converts from their text
          if (expected !== null) assert.ok(row.some(needsText), `declined ${JSON.stringify(text)}`);
          return;
        }
        assert.notEqual(expected, null, `parsed ${JSON.stringify(text)}, which csv-fast.ts declines`);
        for (let j = 0; j < width - 1; j++) assert.ok(Object.is(xWasm[j], xFast[j]), `${JSON.stringify(text)}: feature ${j} ${xWasm[j]} vs ${xFast[j]}`);
        assert.equal(wasm.targetAt, fast.targetStart);
        if (regression) assert.ok(Object.is(got, expected));
        else assert.equal(fast.className(buf, wasm.classFrom, wasm.classTo), expected);
      },
    ),
    { numRuns: 4000 },
  );
});

/** A number cell csv-fast.ts converts from its text: more than 15 digits, or a power of ten past 22. */
function needsText(cell: string): boolean {
  const m = /^\s*[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(cell);
  if (!m) return false;
  const frac = m[2] ?? '';
  const scale = Number(m[3] ?? 0) - frac.length;
  return m[1].length + frac.length > 15 || Math.abs(scale) > 22;
}

test('the plain rows of a large file parse to the same values in wasm as in csv-fast.ts', () => {
  const [wasm] = scanners();
  const rng = new Rng(3);
  const fast = new FastRowParser(5, [0, 1, 2, 4], 3);
  for (let r = 0; r < 20_000; r++) {
    const cells = Array.from({ length: 5 }, () => (rng.gaussian() * 10 ** rng.int(6)).toFixed(rng.int(7)));
    cells[3] = `k${rng.int(4)}`;
    const bytes = encode(cells.join(','));
    wasm.buffer(bytes.length, 0).set(bytes);
    const a = new Float64Array(4);
    const b = new Float64Array(4);
    assert.equal(wasm.parseRow(0, bytes.length, 5, 3, false, a, 0), 0);
    assert.equal(fast.parse(bytes, 0, bytes.length, b, 0, false), cells[3]);
    assert.deepEqual(a, b);
  }
});

const CELLS = ['7', ' 7 ', '"7"', '7.0', '0.7e1', '+7', '-0.25', '123456789012345678', '1e30', 'x', ''];
const LABELS = ['a', ' a', '"a"', 'b', '"b, c"', '\u00fc', ''];
const BLANKS = ['', '  ', '\t', '\r', '\u00a0'];
const fileArb = fc.record({
  bom: fc.boolean(),
  eol: fc.constantFrom('\n', '\r\n'),
  rows: fc.array(
    fc.record({ v: fc.constantFrom(...CELLS), w: fc.double({ min: -1e4, max: 1e4, noNaN: true }).map(String), label: fc.constantFrom(...LABELS), pad: fc.nat({ max: 90 }), blankBefore: fc.option(fc.constantFrom(...BLANKS), { freq: 5 }) }),
    { minLength: 1, maxLength: 80 },
  ),
  finalEol: fc.boolean(),
});

/** The read as comparable JSON, or its error as "line:column reason". */
function readWith(text: string, samples: number, seed: number, chunkBytes: number, wasm: boolean): string {
  const bytes = encode(text);
  const data = { source: 'd.csv', target: 'label', task: 'classification' } as DataSpec;
  try {
    const d = readCsv('d.csv', memoryReader(bytes), data, { samples, rng: new Rng(seed).fork('reservoir'), fileBytes: bytes.length, chunkBytes, wasm });
    return JSON.stringify({ x: Array.from(d.x, (v) => (Object.is(v, -0) ? '-0' : v)), labels: Array.from(d.labels), classNames: d.classNames });
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return `${err.line}:${err.column} ${err.reason}`;
  }
}

test('a read gives the same rows, or the same positioned error, with the wasm and the TypeScript scanner (any chunking, any sample size)', () => {
  fc.assert(
    fc.property(fileArb, fc.integer({ min: 0, max: 90 }), fc.nat({ max: 1000 }), fc.constantFrom(1, 3, 17, 64, 100, 4096), (file, samples, seed, chunkBytes) => {
      const lines = ['id,v,w,label'];
      file.rows.forEach((row, i) => {
        if (row.blankBefore !== null) lines.push(row.blankBefore);
        lines.push(`${i},${row.v},${row.w}${' '.repeat(row.pad)},${row.label}`);
      });
      const text = (file.bom ? '\ufeff' : '') + lines.join(file.eol) + (file.finalEol ? file.eol : '');
      assert.equal(readWith(text, samples, seed, chunkBytes, true), readWith(text, samples, seed, chunkBytes, false));
    }),
    { numRuns: 1500 },
  );
});
