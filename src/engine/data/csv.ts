// A CSV data file streamed in chunks: rows are cut at line breaks (a quoted cell cannot span lines), the
// header row names the columns, and a seeded reservoir decides which rows are kept. The byte work is the
// scanner's (csv-scan.ts: WebAssembly SIMD where the runtime has it): a row the reservoir will skip is only
// counted, a whole run of them in one call, so a bad cell there goes unreported. A row that enters the
// reservoir is located (csv-kept-rows.ts) and parsed on the way only if the reservoir's schedule, drawn
// ahead, keeps it to the row count the file's size suggests; the few others that stay are read back by
// position after the scan. Plain rows are parsed straight from their bytes (by the scanner, else
// csv-fast.ts), the rest as text, into one typed array of features, so memory follows the rows kept. A
// kept row's bad cell is reported only if the row stays, the first in file order, as a full read reports
// it. Every error names the file, line and column.
import type { Rng } from '../rng';
import type { DataSpec } from '../spec/model-spec';
import type { ByteReader } from './dataset';
import { FastRowParser } from './csv-fast';
import { createByteScanner, searchable, type ByteScanner } from './csv-scan';
import { KeptRows } from './csv-kept-rows';
import { DataError, type FileLocation } from './errors';
import { classificationData, regressionData, type RawData } from './raw';
import { Reservoir } from './reservoir';
import { checkHeader, LIMITS } from './table';
import { cellNumber, classKey, classLabelsOfIds, numberError, targetColumns } from './tabular';

/** How much of the file each read asks for. */
export const CHUNK_BYTES = 1 << 20;

const SOURCE_PATH = ['data', 'source'];
const MiB = 1024 * 1024;
const NEWLINE = 10;
const CR = 13;
const TAB = 9;
const SPACE = 32;

/** Splits one CSV line into cells (RFC 4180 quoting within the line); `starts` are 0-based columns. */
export function splitCsvLine(line: string): { cells: string[]; starts: number[] } | { error: string; column: number } {
  const cells: string[] = [];
  const starts: number[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    starts.push(i);
    if (line[i] === '"') {
      const open = i;
      let cell = '';
      i++;
      for (;;) {
        const close = line.indexOf('"', i);
        if (close < 0) return { error: 'unterminated quoted cell', column: open };
        cell += line.slice(i, close);
        if (line[close + 1] === '"') {
          cell += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') return { error: 'unexpected text after a quoted cell', column: i };
      cells.push(cell);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      cells.push(line.slice(i, end).trim());
      i = end;
    }
    if (i >= line.length) return { cells, starts };
    i++; // the comma
  }
}

/** What the line scanner hands lines to. */
interface LineSink {
  /** How many of the next non-blank lines may pass unseen (rows the sample will not keep). */
  skippable(): number;
  /** `n` non-blank lines passed unseen, as `skippable` allowed. */
  passed(n: number): void;
  /** A line (without its line feed; `line` is 1-based, bytes[start] is byte `offset` of the file) the sink looks at. */
  line(bytes: Uint8Array, start: number, end: number, line: number, offset: number): void;
}

/**
 * Whether bytes[start..end) is blank: only whitespace (a line's CR included). Non-ASCII bytes are decoded,
 * so a line of Unicode spaces is blank as String.trim sees it.
 */
function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b >= 128) return new TextDecoder().decode(bytes.subarray(start, end)).trim() === '';
    if (b !== SPACE && (b < TAB || b > CR)) return false;
  }
  return true;
}

/**
 * Feeds the reader's lines to `sink`, reading `chunkBytes` at a time into the scanner's buffer. While the
 * sink can skip rows, lines are only counted, by the scanner (one call for a chunk's run of skipped rows);
 * the lines it stops before (ones that may be blank, or are too long) are looked at here one by one. A line
 * is complete before it is handed over, however the chunks cut it; one longer than the line limit is an
 * error on that line (as soon as that is known, so the buffer never holds more than one line and one chunk).
 */
function scanLines(file: string, reader: ByteReader, chunkBytes: number, scanner: ByteScanner, sink: LineSink): void {
  let buf = scanner.buffer(Math.max(2 * chunkBytes, 4096), 0);
  let len = 0;
  let line = 0;
  /** The file offset of buf[0]. */
  let base = 0;
  const maxLine = LIMITS.lineBytes;
  const tooLong = () => new DataError(`line ${line + 1} is longer than ${maxLine / MiB} MiB, the limit for one row`, SOURCE_PATH, { file, line: line + 1, column: 1 });
  for (;;) {
    if (buf.length - len < chunkBytes) buf = scanner.buffer(Math.max(2 * buf.length, len + chunkBytes), len);
    const n = reader.read(buf.subarray(len, len + chunkBytes));
    if (n === 0) break;
    const end = len + n;
    const bytes = buf.subarray(0, end);
    const view = searchable(bytes);
    // the line carried over from the last chunk has no line feed: the search starts after it
    const carried = len;
    let start = 0;
    for (;;) {
      const skip = sink.skippable();
      if (skip > 0) {
        let passed = 0;
        while (passed < skip) {
          const first = bytes[start];
          if (start < end && first > SPACE && first < 127) {
            start = scanner.skipLines(start, Math.max(start, carried), end, skip - passed, maxLine);
            passed += scanner.counted;
            line += scanner.counted;
            if (passed === skip) break;
          }
          const nl = view.indexOf(NEWLINE, Math.max(start, carried));
          if (nl < 0) break; // the chunk ended first
          if (nl - start > maxLine) throw tooLong();
          line++;
          const blank = isBlank(bytes, start, nl);
          start = nl + 1;
          if (!blank) passed++;
        }
        sink.passed(passed);
        if (passed < skip) break;
        continue;
      }
      const nl = view.indexOf(NEWLINE, Math.max(start, carried));
      if (nl < 0) break;
      if (nl - start > maxLine) throw tooLong();
      sink.line(bytes, start, nl, ++line, base + start);
      start = nl + 1;
    }
    len = end - start;
    if (len > maxLine) throw tooLong();
    // the unfinished line moves to the front, where the next chunk continues it
    if (start > 0) buf.copyWithin(0, start, end);
    base += start;
  }
  if (len > 0) sink.line(buf, 0, len, ++line, base);
}

export interface CsvOptions {
  /** Rows to keep (a seeded uniform subset); 0 keeps all. */
  samples: number;
  /** Draws the subset. */
  rng: Rng;
  /** The file's size in bytes: with the rows read so far, it tells how many rows the file holds. */
  fileBytes: number;
  chunkBytes?: number;
  /** Scan with the WebAssembly module where the runtime runs it (the default), else in TypeScript. */
  wasm?: boolean;
}

/** Reads a CSV file into features and targets, keeping at most `samples` rows in file order. */
export function readCsv(file: string, reader: ByteReader, data: DataSpec, options: CsvOptions): RawData {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  // the row count estimated from it bounds how far the reservoir draws ahead
  if (!Number.isFinite(options.fileBytes) || options.fileBytes < 0) throw new Error(`readCsv: fileBytes must be a size in bytes, not ${options.fileBytes}`);
  const scanner = createByteScanner(options.wasm ?? true);
  const sampler = new CsvSampler(file, data, new Reservoir(options.samples, options.rng), options.fileBytes, scanner);
  scanLines(file, reader, chunkBytes, scanner, sampler);
  return sampler.finish(reader, chunkBytes);
}

interface Header {
  line: number;
  columns: string[];
  starts: number[];
  target: number;
  features: number[];
}

/**
 * Parsed rows: features in one typed array, the target, and where each row's target sits. Every row is
 * kept in file order; while sampling, rows parsed on the way are appended in file order too, and the ones
 * replaced since are dropped when the room runs out and at the end.
 */
class CsvSampler implements LineSink {
  private readonly decoder = new TextDecoder();
  private header: Header | null = null;
  private fast!: FastRowParser;
  /** Sampling only: where the kept rows are, until the end of the file. */
  private readonly kept: KeptRows | null;
  /** Sampling only: rows parsed so far, the slot each was parsed for, and each slot's row (-1: not parsed). */
  private parsedRows = 0;
  private slotOfRow = new Int32Array(0);
  private rowOfSlot = new Int32Array(0);
  /** Sampling only: the error of each kept row that failed to parse, reported if it stays. */
  private readonly errors = new Map<number, DataError>();
  private rows = 0;
  private x = new Float64Array(0);
  /** Regression: the target; classification: the index of its name in `classNames`. */
  private y = new Float64Array(0);
  private lineOf = new Float64Array(0);
  private targetColumn = new Int32Array(0);
  private readonly classNames: string[] = [];
  private readonly classIds = new Map<string, number>();
  /** Whether the bytes handed over are in the scanner's buffer (until the rows are read back). */
  private scanning = true;

  constructor(
    private readonly file: string,
    private readonly data: DataSpec,
    private readonly reservoir: Reservoir,
    private readonly fileBytes: number,
    private readonly scanner: ByteScanner,
  ) {
    this.kept = reservoir.capacity > 0 ? new KeptRows(reservoir.capacity) : null;
  }

  skippable(): number {
    return this.header ? this.reservoir.skippable() : 0;
  }

  passed(n: number): void {
    this.reservoir.skip(n);
  }

  line(bytes: Uint8Array, start: number, end: number, line: number, offset: number): void {
    const lineStart = start;
    if (end > start && bytes[end - 1] === CR) end--;
    // without the byte-order mark, so cell columns match what editors show
    if (line === 1 && end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
    if (start === end) return;
    let text: string | null = null;
    // a line starting with a printable ASCII character is not blank; anything else is decoded to check
    const first = bytes[start];
    if (first <= 32 || first >= 127 || !this.header) {
      text = this.decoder.decode(bytes.subarray(start, end));
      if (text.trim() === '') return;
    }
    if (!this.header) {
      const h = (this.header = this.readHeader(text!, line));
      this.fast = new FastRowParser(h.columns.length, h.features, h.target);
      return;
    }
    const slot = this.reservoir.offer();
    if (slot < 0) return;
    // a slot taken again was checked when it was first filled
    if (slot === this.reservoir.seen - 1) this.checkRoom(slot, line);
    if (!this.kept) {
      // once the first rows tell how long a row is, room for as many as the file's size suggests (and a
      // tenth more), so the rows are not copied and their memory not touched anew at every doubling
      if (slot === this.rows && slot > 0) this.grow(Math.min(Math.ceil((1.1 * this.reservoir.seen * this.fileBytes) / (offset + (end - lineStart) + 1)), this.maxRows()));
      this.parseRow(slot, bytes, start, end, line, text);
      return;
    }
    this.kept.put(slot, offset + (start - lineStart), end - start, line);
    this.errors.delete(slot);
    if (slot >= this.rowOfSlot.length) this.rowOfSlot = grown(this.rowOfSlot, Math.min(this.reservoir.capacity, Math.max(slot + 1, 2 * this.rowOfSlot.length, 1024)), -1);
    this.rowOfSlot[slot] = -1;
    // parsed now, while its bytes are at hand, if it is likely to stay: nothing replaces it before the rows
    // the file's size suggests; the few that stay all the same are read back at the end
    const rows = Math.ceil((this.reservoir.seen * this.fileBytes) / (offset + (end - lineStart) + 1));
    if (this.reservoir.replacedAt(rows) >= rows) this.parseKept(slot, bytes, start, end, line, text, rows);
  }

  /** Appends a kept row, or notes its error; `expectedRows` sizes the first room made. */
  private parseKept(slot: number, bytes: Uint8Array, start: number, end: number, line: number, text: string | null, expectedRows: number): void {
    if (this.parsedRows === this.rows) this.makeRoom(expectedRows);
    const r = this.parsedRows;
    try {
      this.parseRow(r, bytes, start, end, line, text);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      this.errors.set(slot, err);
      return;
    }
    this.slotOfRow[r] = slot;
    this.rowOfSlot[slot] = r;
    this.parsedRows++;
  }

  /**
   * Drops the parsed rows replaced since (the others keep their order); grows the room if that frees less
   * than a quarter of it, so each row is moved a bounded number of times on average.
   */
  private makeRoom(expectedRows: number): void {
    const live = this.keepLiveRows();
    if (this.rows - live < this.rows / 4 || this.rows === 0) this.grow(Math.max(live + 1, Math.ceil(1.5 * live), Math.min(expectedRows, this.reservoir.capacity)));
  }

  /** Moves the parsed rows still in their slot to the front, in order; returns how many there are. */
  private keepLiveRows(): number {
    const inputs = this.header!.features.length;
    const { x, y, lineOf, targetColumn, slotOfRow, rowOfSlot } = this;
    let to = 0;
    for (let r = 0; r < this.parsedRows; r++) {
      const slot = slotOfRow[r];
      if (rowOfSlot[slot] !== r) continue;
      if (to < r) {
        x.copyWithin(to * inputs, r * inputs, (r + 1) * inputs);
        y[to] = y[r];
        lineOf[to] = lineOf[r];
        targetColumn[to] = targetColumn[r];
        slotOfRow[to] = slot;
        rowOfSlot[slot] = to;
      }
      to++;
    }
    this.parsedRows = to;
    return to;
  }

  /** The rows kept, parsed in file order; a sampled file's rows are read back from `reader`. */
  finish(reader: ByteReader, windowBytes: number): RawData {
    const file = this.file;
    const h = this.header;
    if (!h) throw new DataError(`${file} is empty; expected a header row`, SOURCE_PATH, { file, line: 1, column: 1 });
    const n = this.reservoir.kept;
    if (n === 0) throw new DataError(`${file} has a header but no data rows`, SOURCE_PATH, this.headerCell(0));
    if (this.kept) this.finishSample(this.kept, n, reader, windowBytes);
    const inputs = h.features.length;
    // room left over from an estimate of the row count is let go when it is large
    const x = this.rows > 1.25 * n ? this.x.slice(0, n * inputs) : this.x.subarray(0, n * inputs);
    const featureNames = h.features.map((c) => h.columns[c]);
    if (this.data.task === 'regression') return regressionData(x, this.y.slice(0, n), inputs, 1, featureNames);
    const at = (r: number): FileLocation => ({ file, line: this.lineOf[r], column: this.targetColumn[r] });
    const { labels, classNames } = classLabelsOfIds(this.y, n, this.classNames, h.columns[h.target], at, this.headerCell(h.target));
    return classificationData(x, labels, inputs, featureNames, classNames);
  }

  /**
   * The reservoir is final: the first bad row that stays is reported (in file order), the rows that stay
   * but were not parsed are read back and parsed, and the rows replaced since are dropped.
   */
  private finishSample(kept: KeptRows, n: number, reader: ByteReader, windowBytes: number): void {
    let firstBad = -1;
    for (const slot of this.errors.keys()) if (firstBad < 0 || kept.offsetOf(slot) < kept.offsetOf(firstBad)) firstBad = slot;
    if (firstBad >= 0) throw this.errors.get(firstBad)!;
    const live = this.keepLiveRows();
    if (live === n) return;
    // the others are parsed after these (in file order among themselves), then merged with them by position
    this.scanning = false;
    const unread = Int32Array.from({ length: n }, (_, slot) => slot).filter((slot) => this.rowOfSlot[slot] < 0);
    kept.readBack(reader, windowBytes, this.file, kept.inFileOrder(unread), (slot, bytes, start, end, line) => {
      this.parseKept(slot, bytes, start, end, line, null, n);
      const error = this.errors.get(slot);
      if (error) throw error;
    });
    this.mergeRuns(kept, live);
  }

  /** Puts rows [0, split) and [split, parsedRows), each in file order, in file order together. */
  private mergeRuns(kept: KeptRows, split: number): void {
    const n = this.parsedRows;
    const inputs = this.header!.features.length;
    const { x, y, lineOf, targetColumn, slotOfRow } = this;
    this.rows = 0;
    this.x = new Float64Array(0);
    this.y = new Float64Array(0);
    this.lineOf = new Float64Array(0);
    this.targetColumn = new Int32Array(0);
    this.grow(n);
    const offsetOf = (r: number) => kept.offsetOf(slotOfRow[r]);
    for (let r = 0, a = 0, b = split; r < n; r++) {
      const from = b === n || (a < split && offsetOf(a) < offsetOf(b)) ? a++ : b++;
      this.x.set(x.subarray(from * inputs, (from + 1) * inputs), r * inputs);
      this.y[r] = y[from];
      this.lineOf[r] = lineOf[from];
      this.targetColumn[r] = targetColumn[from];
    }
  }

  private headerCell(col: number): FileLocation {
    const h = this.header!;
    return { file: this.file, line: h.line, column: h.starts[col] + 1 };
  }

  private readHeader(text: string, line: number): Header {
    const file = this.file;
    const split = splitCsvLine(text);
    if ('error' in split) throw new DataError(split.error, SOURCE_PATH, { file, line, column: split.column + 1 });
    const { cells: columns, starts } = split;
    const at = (col: number): FileLocation => ({ file, line, column: starts[col] + 1 });
    if (columns.length > LIMITS.columns) throw new DataError(`${columns.length} columns, above the limit of ${LIMITS.columns}`, SOURCE_PATH, at(0));
    checkHeader(columns, at);
    return { line, columns, starts, ...targetColumns(file, columns, this.data, at) };
  }

  /** The most rows the limits let a file of this width keep. */
  private maxRows(): number {
    return Math.min(LIMITS.rows, Math.floor(LIMITS.cells / this.header!.columns.length));
  }

  /** Refuses a row that would keep more rows or cells than the limits allow. */
  private checkRoom(slot: number, line: number): void {
    const width = this.header!.columns.length;
    if (slot < LIMITS.rows && (slot + 1) * width <= LIMITS.cells) return;
    const where = { file: this.file, line, column: 1 };
    if (slot >= LIMITS.rows) throw new DataError(`more than ${LIMITS.rows} rows; set "samples" to train on a seeded random subset`, SOURCE_PATH, where);
    if ((slot + 1) * width > LIMITS.cells) {
      throw new DataError(`${slot + 1} rows × ${width} columns, above the limit of ${LIMITS.cells} cells; set "samples" to keep fewer rows`, SOURCE_PATH, where);
    }
  }

  /** Parses a row into position `r`: from its bytes when it is plain, else from its text (`text` if already decoded). */
  private parseRow(r: number, bytes: Uint8Array, start: number, end: number, line: number, text: string | null): void {
    if (r >= this.rows) this.grow(r + 1);
    const h = this.header!;
    this.lineOf[r] = line;
    if (text === null) {
      const regression = this.data.task === 'regression';
      const { scanner } = this;
      // rows read back after the scan are in another buffer
      const numbers = this.scanning ? scanner.parseRow(start, end, h.columns.length, h.target, regression, this.x, r * h.features.length) : null;
      if (numbers !== null) {
        this.keepTarget(r, regression ? numbers : this.fast.className(bytes, scanner.classFrom, scanner.classTo));
        this.targetColumn[r] = scanner.targetAt + 1;
        return;
      }
      const target = this.fast.parse(bytes, start, end, this.x, r * h.features.length, regression);
      if (target !== null) {
        this.keepTarget(r, target);
        this.targetColumn[r] = this.fast.targetStart + 1;
        return;
      }
    }
    this.parseText(r, text ?? this.decoder.decode(bytes.subarray(start, end)), line);
  }

  private parseText(r: number, text: string, line: number): void {
    const { file } = this;
    const h = this.header!;
    const where = (column: number): FileLocation => ({ file, line, column });
    const split = splitCsvLine(text);
    if ('error' in split) throw new DataError(split.error, SOURCE_PATH, where(split.column + 1));
    const { cells, starts } = split;
    const width = h.columns.length;
    if (cells.length !== width) {
      const column = cells.length > width ? starts[width] + 1 : text.length + 1;
      throw new DataError(`row has ${cells.length} cells, but the header has ${width} columns`, SOURCE_PATH, where(column));
    }
    const features = h.features;
    const inputs = features.length;
    for (let j = 0; j < inputs; j++) {
      const c = features[j];
      const v = cellNumber(cells[c]);
      if (Number.isNaN(v)) throw numberError(cells[c], h.columns[c], where(starts[c] + 1));
      this.x[r * inputs + j] = v;
    }
    const tc = h.target;
    if (this.data.task === 'regression') {
      const v = cellNumber(cells[tc]);
      if (Number.isNaN(v)) throw numberError(cells[tc], h.columns[tc], where(starts[tc] + 1));
      this.keepTarget(r, v);
    } else {
      this.keepTarget(r, classKey(cells[tc], h.columns[tc], () => where(starts[tc] + 1)));
    }
    this.targetColumn[r] = starts[tc] + 1;
  }

  private keepTarget(r: number, target: number | string): void {
    if (typeof target === 'number') {
      this.y[r] = target;
      return;
    }
    let id = this.classIds.get(target);
    if (id === undefined) {
      id = this.classNames.push(target) - 1;
      this.classIds.set(target, id);
    }
    this.y[r] = id;
  }

  /** Room for at least `needed` rows: doubling while every row is kept, as asked while sampling. */
  private grow(needed: number): void {
    const rows = this.kept ? needed : Math.max(needed, 2 * this.rows, 1024);
    const inputs = this.header!.features.length;
    this.x = grown(this.x, rows * inputs);
    this.y = grown(this.y, rows);
    this.lineOf = grown(this.lineOf, rows);
    this.targetColumn = grown(this.targetColumn, rows);
    if (this.kept) this.slotOfRow = grown(this.slotOfRow, rows);
    this.rows = rows;
  }
}

/** `a`'s values at the start of a new array of `length` (the rest `fill`, else 0). */
function grown<T extends Float64Array | Int32Array>(a: T, length: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a.subarray(0, Math.min(a.length, length)));
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
