// Sampling a CSV file: the rows kept are the `samples` rows with the smallest keys, a seeded hash of where
// each row starts in the file (bottom-k sampling: every subset of that size is equally likely, the same
// seed keeps the same rows, and no row's key depends on the rows before it). The header is read first;
// then the rest of the file is scanned once on every core (csv-sample-scan.ts), each thread copying the
// rows whose key is below a threshold chosen from the row count the first bytes suggest, so that a little
// more than `samples` rows are copied. Should that be too few (the rows later in the file are longer, or
// many lines are blank) or too many for the room made, the file is scanned again with the exact count.
// The rows kept are then parsed in file order (csv-rows.ts), so a kept row's bad cell is reported, the
// first in file order, as the full read reports it; a bad cell in a row not kept is never looked at.
import type { DataSpec } from '../spec/model-spec';
import type { ByteReader } from './dataset';
import type { CsvOptions } from './csv';
import { CsvRows, isBlank, lineTooLong, SOURCE_PATH } from './csv-rows';
import { moveParsedRows, releaseHelpers, runSampleScan, sampleScanState, ScanHelpers, type SampleScanState } from './csv-sample-scan';
import { csvWasmModule, searchable, type ByteScanner } from './csv-scan';
import { CSV_SELECT, CSV_WASM_LAYOUT } from './csv-scan-wasm';
import { DataError } from './errors';
import type { RawData } from './raw';
import { LIMITS } from './table';

const NEWLINE = 10;
const ALL_KEYS = 0xffffffff;
/** The arena's offsets are 32-bit. */
const MAX_ARENA = 2 ** 30;

/** readCsv's options, with the chunk size, scanner and helper count it settled. */
export type SampleOptions = CsvOptions & { chunkBytes: number; scanner: ByteScanner; helpers: number };

/** Reads the `samples` rows of a CSV file with the smallest keys, in file order. */
export function readSampledCsv(file: string, reader: ByteReader, data: DataSpec, o: SampleOptions): RawData {
  const helpers = o.path !== undefined && o.helpers > 0 ? new ScanHelpers(o.path, o.helpers) : null;
  try {
    return sampleRows(file, reader, data, o, helpers);
  } finally {
    helpers?.close();
  }
}

/** readSampledCsv with its helpers started: the header, then a scan (or two, should the first copy too few rows). */
function sampleRows(file: string, reader: ByteReader, data: DataSpec, o: SampleOptions, helpers: ScanHelpers | null): RawData {
  const { samples, fileBytes, scanner } = o;
  const rows = new CsvRows(file, data, fileBytes, scanner, samples);
  const head = readHeader(file, reader, rows, scanner, fileBytes, o.chunkBytes);
  const module = o.wasm === false ? null : csvWasmModule();
  const seeds = { s0: o.rng.nextUint32() | 0, s1: o.rng.nextUint32() | 0 };
  const read = (into: Uint8Array, position: number) => reader.readAt(into, position);
  const progress = (chunks: number) => reader.progress?.(Math.min(fileBytes, head.first + chunks * o.chunkBytes));
  const parse = rows.hasHeader && rows.columns.width <= CSV_WASM_LAYOUT.maxColumns ? { ...rows.columns, regression: data.task === 'regression', inputs: rows.columns.width - 1 } : null;
  let estimate = { rows: head.rowsEstimate, exact: false };
  for (let boost = 1; ; ) {
    const wanted = boost * (1.1 * samples + 6 * Math.sqrt(samples) + 64);
    // keeping half the rows or more, every row is copied: that is still room for at most twice the rows kept
    const tau = 2 * wanted >= estimate.rows ? ALL_KEYS : Math.floor((2 ** 32 * wanted) / estimate.rows);
    const expected = tau === ALL_KEYS ? estimate.rows : wanted;
    const capacity = Math.ceil(1.5 * expected + 1024);
    const bytesPerRow = (fileBytes - head.first) / Math.max(1, estimate.rows);
    const params = { first: head.first, fileBytes, chunkBytes: o.chunkBytes, ...seeds, tau, maxLine: LIMITS.lineBytes, layout: CSV_WASM_LAYOUT, codes: CSV_SELECT, parse };
    const arenaBytes = Math.min(MAX_ARENA, Math.ceil(capacity * (1.5 * bytesPerRow + 16)));
    let s = sampleScanState(params, capacity, arenaBytes);
    if (!runSampleScan(s, read, module, helpers, progress)) {
      releaseHelpers(s);
      s = sampleScanState(params, capacity, arenaBytes);
      runSampleScan(s, read, module, null, progress);
    }
    // the helpers wait after their chunks to move the rows parsed (handOver), until released
    try {
      const lineBefore = checkScan(file, s, head.line);
      const candidates = Atomics.load(s.overflow, 0) ? null : rowsInFileOrder(s);
      if (candidates && (candidates.length >= samples || tau === ALL_KEYS)) {
        const kept = smallestKeys(s, candidates, samples);
        if (o.splitOrder) rows.placeFor(o.splitOrder(kept.length));
        const moved = handOver(s, kept, lineBefore, rows, scanner);
        const raw = rows.finish();
        moved();
        return raw;
      }
      // too few rows copied, or too many for the room: again with the count of lines this scan found
      if (!candidates && estimate.exact) throw new DataError(`the ${samples} rows to keep hold more than ${MAX_ARENA / 2 ** 30} GiB of text; set "samples" lower`, ['data', 'samples'], { file, line: head.line, column: 1 });
      if (candidates && estimate.exact) boost *= 2;
      estimate = { rows: Math.max(1, lineBefore[s.chunks] - head.line), exact: true };
    } finally {
      releaseHelpers(s);
    }
  }
}

/**
 * Hands the rows kept (in file order) to `rows`: those the scan parsed, their features moved in place to
 * the rows `rows` places them at; the others' bytes, to parse. The move may still be under way on a helper
 * thread when this returns: the returned wait ends it.
 */
function handOver(s: SampleScanState, kept: Int32Array, lineBefore: Float64Array, rows: CsvRows, scanner: ByteScanner): () => void {
  const { chunk, lineInChunk, at, arena, length, offset, target, label, labelBytes, labelLength, targetColumn } = s;
  const moved = s.parse ? placeParsed(s, kept, rows) : () => {};
  for (let r = 0; r < kept.length; r++) {
    const i = kept[r];
    const line = lineBefore[chunk[i]] + lineInChunk[i] + 1;
    if (at[i] < 0) {
      rows.parsed(s.parse!.regression ? target[i] : 0, label, i * labelBytes, i * labelBytes + labelLength[i], targetColumn[i], line);
      continue;
    }
    // this row's features are parsed into the rows being moved: once they are in place
    moved();
    const bytes = scanner.buffer(length[i], 0);
    bytes.set(arena.subarray(at[i], at[i] + length[i]));
    rows.line(bytes, 0, length[i], line, offset[i]);
  }
  return moved;
}

/**
 * Gives `rows` the scan's parsed features and starts moving the rows kept, in place, to where `rows` places
 * them (the split's order, else file order): the rows not kept fill the rest in any order. A kept row the
 * scan did not parse gets its features there later. Returns the wait for the move.
 */
function placeParsed(s: SampleScanState, kept: Int32Array, rows: CsvRows): () => void {
  const inputs = s.parse!.inputs;
  const candidates = Math.min(Atomics.load(s.taken, 0), s.key.length);
  const from = s.moveFrom;
  const isKept = new Uint8Array(candidates);
  const order = rows.splitOrder;
  for (let i = 0; i < kept.length; i++) {
    const slot = kept[order === null ? i : order[i]];
    from[i] = slot;
    isKept[slot] = 1;
  }
  for (let i = 0, to = kept.length; i < candidates; i++) if (!isKept[i]) from[to++] = i;
  rows.featuresIn(s.values.subarray(0, candidates * inputs));
  return moveParsedRows(s, candidates, inputs);
}

/**
 * Reads up to and including the header row (the first line that is not blank), `window` bytes at a time
 * or more, and estimates how many lines follow it from the bytes after it in the same window: the offset
 * after the header's line feed, the header's line number, and the estimate.
 */
function readHeader(file: string, reader: ByteReader, rows: CsvRows, scanner: ByteScanner, fileBytes: number, window: number): { first: number; line: number; rowsEstimate: number } {
  const maxLine = LIMITS.lineBytes;
  let base = 0;
  let line = 0;
  let want = window;
  for (;;) {
    const asked = Math.min(want, fileBytes - base);
    const bytes = scanner.buffer(asked, 0);
    // fewer bytes than asked: the file shrank, which the scan reports if the header is found before that
    const len = readUpTo(reader, bytes.subarray(0, asked), base);
    const view = searchable(bytes.subarray(0, len));
    let start = 0;
    for (let nl = view.indexOf(NEWLINE); nl >= 0; nl = view.indexOf(NEWLINE, start)) {
      if (nl - start > maxLine) throw lineTooLong(file, line + 1);
      rows.line(bytes, start, nl, ++line, base + start);
      start = nl + 1;
      if (rows.hasHeader) {
        let lines = 0;
        for (let i = view.indexOf(NEWLINE, start); i >= 0; i = view.indexOf(NEWLINE, i + 1)) lines++;
        const sampled = len - start;
        const rest = fileBytes - base - start;
        return { first: base + start, line, rowsEstimate: sampled > 0 ? Math.max(1, Math.ceil(((lines + 1) * rest) / sampled)) : 1 };
      }
    }
    if (len < asked) throw shrank(file, line + 1);
    if (base + len >= fileBytes) {
      if (start < len) {
        if (len - start > maxLine) throw lineTooLong(file, line + 1);
        rows.line(bytes, start, len, ++line, base + start);
      }
      return { first: fileBytes, line, rowsEstimate: 1 };
    }
    if (len - start > maxLine) throw lineTooLong(file, line + 1);
    base += start;
    want = Math.max(window, 2 * (len - start) + 1);
  }
}

/** Fills `into` from file offset `position` as far as the file goes; returns how many bytes that is. */
function readUpTo(reader: ByteReader, into: Uint8Array, position: number): number {
  let at = 0;
  for (let n = 1; at < into.length && n > 0; at += n) n = reader.readAt(into.subarray(at), position + at);
  return at;
}

const shrank = (file: string, line: number) => new DataError(`${file} became shorter while it was read; load it again`, SOURCE_PATH, { file, line, column: 1 });

/**
 * Throws the scan's first error in file order (a line too long, the file shrinking); else returns, per
 * chunk, the line number before its first line (and after the last chunk, the file's last line number).
 */
function checkScan(file: string, s: SampleScanState, headerLine: number): Float64Array {
  const before = new Float64Array(s.chunks + 1);
  before[0] = headerLine;
  for (let c = 0; c < s.chunks; c++) {
    if (s.tooLongAt[c] >= 0) throw lineTooLong(file, before[c] + s.tooLongAt[c] + 1);
    before[c + 1] = before[c] + s.lines[c];
  }
  if (Atomics.load(s.shrank, 0)) throw shrank(file, before[s.chunks]);
  return before;
}

/**
 * The candidates that are rows (not blank lines), in file order: by chunk (a counting sort), and within
 * one in the order taken, since one thread scans each chunk front to back and its slots only increase.
 */
function rowsInFileOrder(s: SampleScanState): Int32Array {
  const { chunk, at, arena, length, used, chunks } = s;
  const n = Math.min(Atomics.load(s.taken, 0), s.key.length);
  const start = new Int32Array(chunks + 1);
  for (let i = 0; i < n; i++) if (used[i]) start[chunk[i] + 1]++;
  for (let c = 0; c < chunks; c++) start[c + 1] += start[c];
  const order = new Int32Array(start[chunks]);
  for (let i = 0; i < n; i++) if (used[i]) order[start[chunk[i]]++] = i;
  let rows = 0;
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    if (at[i] < 0 || !isBlank(arena, at[i], at[i] + length[i])) order[rows++] = i;
  }
  return order.subarray(0, rows);
}

/** The `k` rows of smallest key (ties: the earlier row), in file order, from `rows` in file order. */
function smallestKeys(s: SampleScanState, rows: Int32Array, k: number): Int32Array {
  if (rows.length <= k) return rows;
  const { key } = s;
  const keys = new Uint32Array(rows.length);
  for (let j = 0; j < rows.length; j++) keys[j] = key[rows[j]];
  const cut = keys.sort()[k - 1];
  let ties = k;
  for (let j = 0; j < k; j++) if (keys[j] < cut) ties--;
  const out = new Int32Array(k);
  for (let j = 0, n = 0; n < k; j++) {
    const rowKey = key[rows[j]];
    if (rowKey < cut || (rowKey === cut && ties-- > 0)) out[n++] = rows[j];
  }
  return out;
}
