// A CSV data file streamed in chunks: rows are cut at line breaks (a quoted cell cannot span lines), the
// header row names the columns, and a seeded reservoir decides which rows are kept. Only kept rows are
// decoded and parsed, into one typed array of features, so memory follows the rows kept and a skipped row
// costs little more than finding its line break. Every error names the file, line and column.
import type { Rng } from '../rng';
import type { DataSpec } from '../spec/model-spec';
import type { ByteReader } from './dataset';
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
 * Calls `onLine(bytes, start, end, line)` for every line of the reader's bytes (without its line feed;
 * `line` is 1-based), reading `chunkBytes` at a time. A line is complete before it is handed over, however
 * the chunks cut it; one longer than the line limit is an error on that line (as soon as that is known, so
 * the buffer never holds more than one line and one chunk).
 */
export function forEachLine(file: string, reader: ByteReader, chunkBytes: number, onLine: (bytes: Uint8Array, start: number, end: number, line: number) => void): void {
  let buf = new Uint8Array(Math.max(2 * chunkBytes, 4096));
  let len = 0;
  let line = 0;
  const checkLength = (pending: number) => {
    if (pending > LIMITS.lineBytes) {
      throw new DataError(`line ${line + 1} is longer than ${LIMITS.lineBytes / MiB} MiB, the limit for one row`, SOURCE_PATH, { file, line: line + 1, column: 1 });
    }
  };
  for (;;) {
    if (buf.length - len < chunkBytes) {
      const bigger = new Uint8Array(Math.max(2 * buf.length, len + chunkBytes));
      bigger.set(buf.subarray(0, len));
      buf = bigger;
    }
    const n = reader.read(buf.subarray(len, len + chunkBytes));
    if (n === 0) break;
    const view = buf.subarray(0, len + n);
    let start = 0;
    for (let nl = view.indexOf(NEWLINE, len); nl >= 0; nl = view.indexOf(NEWLINE, start)) {
      checkLength(nl - start);
      onLine(view, start, nl, ++line);
      start = nl + 1;
    }
    len += n - start;
    checkLength(len);
    // the unfinished line moves to the front, where the next chunk continues it
    if (start > 0) buf.copyWithin(0, start, start + len);
  }
  if (len > 0) onLine(buf, 0, len, ++line);
}

export interface CsvOptions {
  /** Rows to keep (a seeded uniform subset); 0 keeps all. */
  samples: number;
  /** Draws the subset. */
  rng: Rng;
  chunkBytes?: number;
}

/** Reads a CSV file into features and targets, keeping at most `samples` rows in file order. */
export function readCsv(file: string, reader: ByteReader, data: DataSpec, options: CsvOptions): RawData {
  const sampler = new CsvSampler(file, data, new Reservoir(options.samples, options.rng));
  forEachLine(file, reader, options.chunkBytes ?? CHUNK_BYTES, (bytes, start, end, line) => sampler.line(bytes, start, end, line));
  return sampler.finish();
}

interface Header {
  line: number;
  columns: string[];
  starts: number[];
  target: number;
  features: number[];
}

/** The rows kept so far, slot by slot, with where each came from. */
class CsvSampler {
  private readonly decoder = new TextDecoder();
  private header: Header | null = null;
  private slots = 0;
  private x = new Float64Array(0);
  /** Regression: the target; classification: the index of its name in `classNames`. */
  private y = new Float64Array(0);
  private lineOf = new Float64Array(0);
  private rowOf = new Float64Array(0);
  private targetColumn = new Int32Array(0);
  private readonly classNames: string[] = [];
  private readonly classIds = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly data: DataSpec,
    private readonly reservoir: Reservoir,
  ) {}

  line(bytes: Uint8Array, start: number, end: number, line: number): void {
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
      this.header = this.readHeader(text!, line);
      return;
    }
    const slot = this.reservoir.offer();
    if (slot >= 0) this.keep(slot, text ?? this.decoder.decode(bytes.subarray(start, end)), line);
  }

  finish(): RawData {
    const file = this.file;
    const h = this.header;
    if (!h) throw new DataError(`${file} is empty; expected a header row`, SOURCE_PATH, { file, line: 1, column: 1 });
    const n = this.reservoir.kept;
    if (n === 0) throw new DataError(`${file} has a header but no data rows`, SOURCE_PATH, this.headerCell(0));
    const inputs = h.features.length;
    // slots were filled in reservoir order; the data is handed on in file order
    const order = Int32Array.from({ length: n }, (_, i) => i);
    if (this.reservoir.seen > n) order.sort((a, b) => this.rowOf[a] - this.rowOf[b]);
    const x = new Float64Array(n * inputs);
    order.forEach((slot, i) => x.set(this.x.subarray(slot * inputs, (slot + 1) * inputs), i * inputs));
    const featureNames = h.features.map((c) => h.columns[c]);
    if (this.data.task === 'regression') return regressionData(x, Float64Array.from(order, (slot) => this.y[slot]), inputs, 1, featureNames);
    const keys = Array.from(order, (slot) => this.classNames[this.y[slot]]);
    const at = (r: number): FileLocation => ({ file, line: this.lineOf[order[r]], column: this.targetColumn[order[r]] });
    const { labels, classNames } = classLabels(keys, h.columns[h.target], at, this.headerCell(h.target));
    return classificationData(x, labels, inputs, featureNames, classNames);
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

  private keep(slot: number, text: string, line: number): void {
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
    if (slot >= LIMITS.rows) throw new DataError(`more than ${LIMITS.rows} rows; set "samples" to train on a seeded random subset`, SOURCE_PATH, where(1));
    if ((slot + 1) * width > LIMITS.cells) {
      throw new DataError(`${slot + 1} rows × ${width} columns, above the limit of ${LIMITS.cells} cells; set "samples" to keep fewer rows`, SOURCE_PATH, where(1));
    }
    if (slot >= this.slots) this.grow(slot + 1);
    const features = h.features;
    const inputs = features.length;
    for (let j = 0; j < inputs; j++) {
      const c = features[j];
      const v = cellNumber(cells[c]);
      if (Number.isNaN(v)) throw numberError(cells[c], h.columns[c], where(starts[c] + 1));
      this.x[slot * inputs + j] = v;
    }
    const tc = h.target;
    if (this.data.task === 'regression') {
      const v = cellNumber(cells[tc]);
      if (Number.isNaN(v)) throw numberError(cells[tc], h.columns[tc], where(starts[tc] + 1));
      this.y[slot] = v;
    } else {
      const key = classKey(cells[tc], h.columns[tc], () => where(starts[tc] + 1));
      let id = this.classIds.get(key);
      if (id === undefined) {
        id = this.classNames.push(key) - 1;
        this.classIds.set(key, id);
      }
      this.y[slot] = id;
    }
    this.lineOf[slot] = line;
    this.rowOf[slot] = this.reservoir.seen - 1;
    this.targetColumn[slot] = starts[tc] + 1;
  }

  /** Room for at least `needed` rows: doubling, capped by the rows the reservoir can keep. */
  private grow(needed: number): void {
    const cap = this.reservoir.capacity;
    let slots = Math.max(needed, Math.min(2 * this.slots, cap || Infinity), 1024);
    if (cap > 0) slots = Math.min(slots, cap);
    const inputs = this.header!.features.length;
    const resize = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T, width = 1): T => {
      const b = make(slots * width);
      b.set(a);
      return b;
    };
    this.x = resize(this.x, (k) => new Float64Array(k), inputs);
    this.y = resize(this.y, (k) => new Float64Array(k));
    this.lineOf = resize(this.lineOf, (k) => new Float64Array(k));
    this.rowOf = resize(this.rowOf, (k) => new Float64Array(k));
    this.targetColumn = resize(this.targetColumn, (k) => new Int32Array(k));
    this.slots = slots;
  }
}
