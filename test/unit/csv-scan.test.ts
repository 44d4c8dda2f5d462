// The CSV byte scanner (csv-scan.ts): the embedded wasm module is what scripts/build-csv-wasm.js generates
// today; its SIMD line counting and the TypeScript fallback both match a byte-by-byte reference over random
// bytes (blank-looking lines, CR, non-ASCII, long lines, any alignment, any stopping point); its row parser
// gives exactly csv-fast.ts's values or declines; and a whole read gives the same rows or the same error
// with either scanner, for any chunking and sample size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { createByteScanner, wasmScanAvailable, type ByteScanner } from '../../src/engine/data/csv-scan';
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

/** skipLines as its contract reads, one byte at a time. */
function referenceSkip(bytes: Uint8Array, start: number, from: number, end: number, k: number, maxLine: number): { stop: number; count: number } {
  let line = start;
  let count = 0;
  for (let i = from; i < end; i++) {
    if (bytes[i] !== 10) continue;
    if (i - line > maxLine) break;
    count++;
    line = i + 1;
    if (count === k) break;
    if (line < end && (bytes[line] < 33 || bytes[line] > 126)) break;
  }
  return { stop: line, count };
}

/** Line contents: mostly printable, sometimes starting with a space, tab, CR or a non-ASCII space, some long. */
const lineArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 140 }).map((s) => 'v' + s.replace(/\n/g, '')) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '\t', '\r', ' x', '\u00a0', '\u00e9t\u00e9', '\u007f', '\u00a0y') },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 400 }).map((n) => 'L'.repeat(n)) },
);

function scanners(): ByteScanner[] {
  return [createByteScanner(true), createByteScanner(false)];
}

test('skipLines (wasm and TypeScript) matches the byte-by-byte reference at any offset, end, k and line limit', () => {
  const [wasm, js] = scanners();
  fc.assert(
    fc.property(
      fc.array(lineArb, { minLength: 1, maxLength: 40 }),
      fc.boolean(),
      fc.nat({ max: 63 }),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 64, max: 300 }),
      (lines, finalLf, offset, fromPick, endPick, k, maxLine) => {
        const bytes = encode(lines.join('\n') + (finalLf ? '\n' : ''));
        const firstLf = bytes.indexOf(10);
        const from = firstLf < 0 ? fromPick % (bytes.length + 1) : fromPick % (firstLf + 1);
        const end = from + (endPick % (bytes.length - from + 1));
        const expected = referenceSkip(bytes, 0, from, end, k, maxLine);
        for (const scanner of [wasm, js]) {
          // stale bytes past `end` (line feeds among them) must not count
          const buf = scanner.buffer(offset + bytes.length + 80, 0);
          buf.fill(10);
          buf.set(bytes, offset);
          const stop = scanner.skipLines(offset, offset + from, offset + end, k, maxLine);
          assert.deepEqual({ stop: stop - offset, count: scanner.counted }, expected);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('skipLines counts every line of a long run of plain lines in one call', () => {
  for (const scanner of scanners()) {
    const text = Array.from({ length: 5000 }, (_, i) => `${i},${(i * 37) % 101}.5,c${i % 3}`).join('\n') + '\n';
    const bytes = encode(text);
    scanner.buffer(bytes.length, 0).set(bytes);
    assert.equal(scanner.skipLines(0, 0, bytes.length, 1e9, 1 << 24), bytes.length);
    assert.equal(scanner.counted, 5000);
    // stops after the k-th line feed
    const stop = scanner.skipLines(0, 0, bytes.length, 1234, 1 << 24);
    assert.equal(scanner.counted, 1234);
    assert.equal(new TextDecoder().decode(bytes.subarray(stop, stop + 5)), '1234,');
  }
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
