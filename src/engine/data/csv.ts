// A CSV data file streamed in chunks: rows are cut at line breaks (a quoted cell cannot span lines), the
// header row names the columns, and a seeded reservoir decides which rows are kept. A row the reservoir
// will skip is only counted: its line break is found (memchr) and nothing else is done with it, so a
// bad cell there goes unreported. A row that enters the reservoir is only located; after the scan the
// survivors are read back by position and parsed (csv-kept-rows.ts), plain rows straight from their bytes
// (csv-fast.ts), the rest as text, into one typed array of features, so memory follows the rows kept.
// Every error names the file, line and column.
import type { Rng } from '../rng';
import type { DataSpec } from '../spec/model-spec';
import type { ByteReader } from './dataset';
import { FastRowParser } from './csv-fast';
import { KeptRows } from './csv-kept-rows';
import { DataError, type FileLocation } from './errors';
import { classificationData, regressionData, type RawData } from './raw';
import { Reservoir } from './reservoir';
import { checkHeader, LIMITS } from './table';
import { cellNumber, classKey, classLabels, numberError, targetColumns } from './tabular';

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

/**
 * A view of `bytes` whose indexOf is Node's Buffer search (memchr, several times faster than the typed-array
 * one over a large file) when the runtime has Buffer; the bytes themselves otherwise.
 */
const searchable: (bytes: Uint8Array) => Uint8Array =
  typeof Buffer === 'function' ? (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : (bytes) => bytes;

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
 * Feeds the reader's lines to `sink`, reading `chunkBytes` at a time into one reused buffer. While the sink
 * can skip rows, lines are only found (a memchr per line) and counted: no decoding, no copying, no call per
 * line. A line is complete before it is handed over, however the chunks cut it; one longer than the line
 * limit is an error on that line (as soon as that is known, so the buffer never holds more than one line
 * and one chunk).
 */
function scanLines(file: string, reader: ByteReader, chunkBytes: number, sink: LineSink): void {
  let buf = new Uint8Array(Math.max(2 * chunkBytes, 4096));
  let len = 0;
  let line = 0;
  /** The file offset of buf[0]. */
  let base = 0;
  const maxLine = LIMITS.lineBytes;
  const tooLong = () => new DataError(`line ${line + 1} is longer than ${maxLine / MiB} MiB, the limit for one row`, SOURCE_PATH, { file, line: line + 1, column: 1 });
  for (;;) {
    if (buf.length - len < chunkBytes) {
      const bigger = new Uint8Array(Math.max(2 * buf.length, len + chunkBytes));
      bigger.set(buf.subarray(0, len));
      buf = bigger;
    }
    const n = reader.read(buf.subarray(len, len + chunkBytes));
    if (n === 0) break;
    const bytes = buf.subarray(0, len + n);
    const view = searchable(bytes);
    // the line carried over from the last chunk has no line feed: the search starts after it
    const carried = len;
    let start = 0;
    for (;;) {
      const skip = sink.skippable();
      if (skip > 0) {
        let passed = 0;
        for (let nl = view.indexOf(NEWLINE, Math.max(start, carried)); nl >= 0; nl = view.indexOf(NEWLINE, start)) {
          if (nl - start > maxLine) throw tooLong();
          line++;
          // a line starting with a printable ASCII character is not blank
          const first = bytes[start];
          const blank = (first <= SPACE || first >= 127) && isBlank(bytes, start, nl);
          start = nl + 1;
          if (!blank && ++passed === skip) break;
        }
        sink.passed(passed);
        if (passed < skip) break; // the chunk ended first
        continue;
      }
      const nl = view.indexOf(NEWLINE, Math.max(start, carried));
      if (nl < 0) break;
      if (nl - start > maxLine) throw tooLong();
      sink.line(bytes, start, nl, ++line, base + start);
      start = nl + 1;
    }
    len += n - start;
    if (len > maxLine) throw tooLong();
    // the unfinished line moves to the front, where the next chunk continues it
    if (start > 0) buf.copyWithin(0, start, start + len);
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
}

/** Reads a CSV file into features and targets, keeping at most `samples` rows in file order. */
export function readCsv(file: string, reader: ByteReader, data: DataSpec, options: CsvOptions): RawData {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const sampler = new CsvSampler(file, data, new Reservoir(options.samples, options.rng), options.fileBytes);
  scanLines(file, reader, chunkBytes, sampler);
  return sampler.finish(reader, chunkBytes);
}

interface Header {
  line: number;
  columns: string[];
  starts: number[];
  target: number;
  features: number[];
}

/** What is known of a kept row's cells while sampling. */
const enum Parsed {
  /** To be read back and parsed at the end. */
  No,
  Yes,
  /** Parsing it failed: the error is reported if the row stays. */
  Bad,
}

/**
 * Parsed rows in file order: features in one typed array, the target, and where each row's target sits.
 * While sampling, rows sit in their reservoir slot's place; they are put in file order at the end.
 */
class CsvSampler implements LineSink {
  private readonly decoder = new TextDecoder();
  private header: Header | null = null;
  private fast!: FastRowParser;
  /** Sampling only: where the kept rows are, until the end of the file, and whether each is parsed. */
  private readonly kept: KeptRows | null;
  private parsed = new Uint8Array(0);
  private readonly errors = new Map<number, DataError>();
  private rows = 0;
  private x = new Float64Array(0);
  /** Regression: the target; classification: the index of its name in `classNames`. */
  private y = new Float64Array(0);
  private lineOf = new Float64Array(0);
  private targetColumn = new Int32Array(0);
  private readonly classNames: string[] = [];
  private readonly classIds = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly data: DataSpec,
    private readonly reservoir: Reservoir,
    private readonly fileBytes: number,
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
    this.checkRoom(slot, line);
    if (!this.kept) {
      this.parseRow(slot, bytes, start, end, line, text);
      return;
    }
    this.kept.put(slot, offset + (start - lineStart), end - start, line);
    this.errors.delete(slot);
    // the rows the file holds, as its size and the rows so far suggest
    const rows = Math.ceil((this.reservoir.seen * this.fileBytes) / (offset + (end - lineStart) + 1));
    // room for the slots the file will fill, at once
    if (slot >= this.rows) this.grow(Math.max(slot + 1, Math.min(rows, this.reservoir.capacity)));
    // parsed now, while its bytes are at hand, if it is likely to stay: nothing replaces it before that
    // many rows; the few that stay all the same are read back at the end
    if (this.reservoir.replacedAt(rows) < rows) {
      this.parsed[slot] = Parsed.No;
      return;
    }
    this.parsed[slot] = Parsed.Yes;
    try {
      this.parseRow(slot, bytes, start, end, line, text);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      this.parsed[slot] = Parsed.Bad;
      this.errors.set(slot, err);
    }
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
    const x = this.x.subarray(0, n * inputs);
    const featureNames = h.features.map((c) => h.columns[c]);
    if (this.data.task === 'regression') return regressionData(x, this.y.slice(0, n), inputs, 1, featureNames);
    const keys = Array.from(this.y.subarray(0, n), (id) => this.classNames[id]);
    const at = (r: number): FileLocation => ({ file, line: this.lineOf[r], column: this.targetColumn[r] });
    const { labels, classNames } = classLabels(keys, h.columns[h.target], at, this.headerCell(h.target));
    return classificationData(x, labels, inputs, featureNames, classNames);
  }

  /**
   * The reservoir is final: the kept rows not parsed yet are read back and parsed, the first bad row in
   * file order is reported, and the rows move from their slots to file order.
   */
  private finishSample(kept: KeptRows, n: number, reader: ByteReader, windowBytes: number): void {
    const order = kept.fileOrder(n);
    kept.readBack(reader, windowBytes, this.file, order, (slot) => this.parsed[slot] === Parsed.No, (slot, bytes, start, end, line) => {
      if (bytes) this.parseRow(slot, bytes, start, end, line, null);
      else if (this.parsed[slot] === Parsed.Bad) throw this.errors.get(slot)!;
    });
    this.toFileOrder(order);
  }

  /** Moves row `order[r]` to place r, for every r, in place (following each cycle of the permutation). */
  private toFileOrder(order: Int32Array): void {
    const inputs = this.header!.features.length;
    const { x, y, lineOf, targetColumn } = this;
    const row = new Float64Array(inputs);
    const done = new Uint8Array(order.length);
    for (let start = 0; start < order.length; start++) {
      if (done[start] || order[start] === start) continue;
      // place `start`'s row is saved; each place then takes the row it wants, until the cycle closes
      row.set(x.subarray(start * inputs, (start + 1) * inputs));
      const [ys, ls, ts] = [y[start], lineOf[start], targetColumn[start]];
      let to = start;
      for (let from = order[to]; from !== start; to = from, from = order[to]) {
        x.copyWithin(to * inputs, from * inputs, (from + 1) * inputs);
        y[to] = y[from];
        lineOf[to] = lineOf[from];
        targetColumn[to] = targetColumn[from];
        done[to] = 1;
      }
      x.set(row, to * inputs);
      y[to] = ys;
      lineOf[to] = ls;
      targetColumn[to] = ts;
      done[to] = 1;
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
      const target = this.fast.parse(bytes, start, end, this.x, r * h.features.length, this.data.task === 'regression');
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

  /** Room for at least `needed` rows (or reservoir slots), doubling up to the reservoir's capacity. */
  private grow(needed: number): void {
    const rows = Math.max(needed, Math.min(Math.max(2 * this.rows, 1024), this.kept ? this.reservoir.capacity : Infinity));
    const inputs = this.header!.features.length;
    const resize = <T extends Float64Array | Int32Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.x = resize(this.x, new Float64Array(rows * inputs));
    this.y = resize(this.y, new Float64Array(rows));
    this.lineOf = resize(this.lineOf, new Float64Array(rows));
    this.targetColumn = resize(this.targetColumn, new Int32Array(rows));
    if (this.kept) this.parsed = resize(this.parsed, new Uint8Array(rows));
    this.rows = rows;
  }
}
