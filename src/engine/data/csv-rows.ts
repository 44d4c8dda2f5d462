// The rows of a CSV file, kept in the order they are handed over: the header row names the columns, and
// each data row is parsed into one typed array of features and a target. Plain rows are parsed straight
// from their bytes (by the scanner's wasm module, else csv-fast.ts), the rest as text; a bad cell is an
// error naming the file, line and column. The full read hands over every line, the sampled one the rows it
// keeps, in file order (csv-sample.ts); either way, memory follows the rows kept.
import type { DataSpec } from '../spec/model-spec';
import { FastRowParser } from './csv-fast';
import type { ByteScanner } from './csv-scan';
import { DataError, type FileLocation } from './errors';
import { classificationData, regressionData, type RawData } from './raw';
import { checkHeader, LIMITS } from './table';
import { cellNumber, classKey, classLabelsOfIds, numberError, targetColumns } from './tabular';

export const SOURCE_PATH = ['data', 'source'];
const MiB = 1024 * 1024;
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
 * Whether bytes[start..end) is blank: only whitespace (a line's CR included). Non-ASCII bytes are decoded,
 * so a line of Unicode spaces is blank as String.trim sees it.
 */
export function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b >= 128) return new TextDecoder().decode(bytes.subarray(start, end)).trim() === '';
    if (b !== SPACE && (b < TAB || b > CR)) return false;
  }
  return true;
}

/** The error for a line longer than the limit for one row. */
export function lineTooLong(file: string, line: number): DataError {
  return new DataError(`line ${line} is longer than ${LIMITS.lineBytes / MiB} MiB, the limit for one row`, SOURCE_PATH, { file, line, column: 1 });
}

interface Header {
  line: number;
  columns: string[];
  starts: number[];
  target: number;
  features: number[];
}

/** Parsed rows: features in one typed array, the target, and where each row's target sits. */
export class CsvRows {
  private readonly decoder = new TextDecoder();
  private header: Header | null = null;
  private fast!: FastRowParser;
  private rows = 0;
  private kept = 0;
  private x: Float64Array = new Float64Array(0);
  /** False once the features live in an array the reader gave (featuresIn), which is neither grown nor trimmed. */
  private ownX = true;
  /** Regression: the target; classification: the index of its name in `classNames`. */
  private y = new Float64Array(0);
  private lineOf = new Float64Array(0);
  private targetColumn = new Int32Array(0);
  private readonly classNames: string[] = [];
  private readonly classIds = new Map<string, number>();
  /** The split's order when placed (feature row i holds the order[i]-th row kept); null: rows in the order they come. */
  private order: Int32Array | null = null;
  /** Its inverse, made when first asked for: a reader that places rows itself never needs it. */
  private place: Int32Array | null = null;

  /** `expectedRows` (when known) sizes the room for rows once the header is read. */
  constructor(
    private readonly file: string,
    private readonly data: DataSpec,
    private readonly fileBytes: number,
    private readonly scanner: ByteScanner,
    private readonly expectedRows = 0,
  ) {}

  get hasHeader(): boolean {
    return this.header !== null;
  }

  /**
   * A line (without its line feed; `line` is 1-based, bytes[start] is byte `offset` of the file, in the
   * scanner's buffer): the header if none was read yet, else a row unless it is blank.
   */
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
      if (this.expectedRows > 0) this.grow(Math.min(this.expectedRows, this.maxRows()));
      return;
    }
    const r = this.kept++;
    this.checkRoom(r, line);
    // once the first rows tell how long a row is, room for as many as the file's size suggests (and a
    // tenth more), so the rows are not copied and their memory not touched anew at every doubling
    if (r === this.rows && r > 0 && this.expectedRows === 0) this.grow(Math.min(Math.ceil((1.1 * this.kept * this.fileBytes) / (offset + (end - lineStart) + 1)), this.maxRows()));
    this.parseRow(r, bytes, start, end, line, text);
  }

  /**
   * Places the features of the rows to come so that position i holds row order[i] (the split's order,
   * for exactly order.length rows): the split then need not move them. Targets are placed at the end.
   */
  placeFor(order: Int32Array): void {
    this.order = order;
    this.place = null;
  }

  /** The order placeFor was given, or null. */
  get splitOrder(): Int32Array | null {
    return this.order;
  }

  /** The row of the feature array the r-th row kept goes to. */
  featureRow(r: number): number {
    const { order } = this;
    if (order === null) return r;
    if (this.place === null) {
      this.place = new Int32Array(order.length);
      for (let i = 0; i < order.length; i++) this.place[order[i]] = i;
    }
    return this.place[r];
  }

  /** The header's column count and the target's column, once the header is read. */
  get columns(): { width: number; target: number } {
    const h = this.header!;
    return { width: h.columns.length, target: h.target };
  }

  /**
   * The rows' features are in `x`, or will be, each at the row featureRow gives it: a sampled scan parses
   * them into memory of its own and moves them to their places there, which spares the pages of a second
   * array (the first write to each costs the kernel far more than the copy itself).
   */
  featuresIn(x: Float64Array): void {
    this.x = x;
    this.ownX = false;
  }

  /**
   * A row a sample's scan parsed from its bytes as parseRow here would, its features already at their row
   * of the array given to featuresIn: its target (`value` for regression, else the class name's bytes
   * label[labelFrom, labelTo)), the target cell's 1-based column and the row's line.
   */
  parsed(value: number, label: Uint8Array, labelFrom: number, labelTo: number, targetColumn: number, line: number): void {
    const r = this.kept++;
    this.checkRoom(r, line);
    if (r >= this.rows) this.grow(r + 1);
    this.lineOf[r] = line;
    this.keepTarget(r, this.data.task === 'regression' ? value : this.fast.className(label, labelFrom, labelTo));
    this.targetColumn[r] = targetColumn;
  }

  /** The rows kept, parsed in the order they came (or where placeFor put them). */
  finish(): RawData {
    const file = this.file;
    const h = this.header;
    if (!h) throw new DataError(`${file} is empty; expected a header row`, SOURCE_PATH, { file, line: 1, column: 1 });
    const n = this.kept;
    if (n === 0) throw new DataError(`${file} has a header but no data rows`, SOURCE_PATH, this.headerCell(0));
    const inputs = h.features.length;
    // room left over from an estimate of the row count is let go when it is large
    const x = this.ownX && this.rows > 1.25 * n ? this.x.slice(0, n * inputs) : this.x.subarray(0, n * inputs);
    const featureNames = h.features.map((c) => h.columns[c]);
    const marked = (raw: RawData): RawData => (this.order === null ? raw : { ...raw, inSplitOrder: true });
    if (this.data.task === 'regression') return marked(regressionData(x, this.placed(this.y, n), inputs, 1, featureNames));
    const at = (r: number): FileLocation => ({ file, line: this.lineOf[r], column: this.targetColumn[r] });
    const { labels, classNames } = classLabelsOfIds(this.y, n, this.classNames, h.columns[h.target], at, this.headerCell(h.target));
    return marked(classificationData(x, this.placed(labels, n), inputs, featureNames, classNames));
  }

  /** A row's values (one each, `n` rows, in the order the rows came) moved where their features were placed. */
  private placed<T extends Float64Array | Int32Array>(a: T, n: number): T {
    const { order } = this;
    const out = new (a.constructor as new (n: number) => T)(n);
    if (order === null) out.set(a.subarray(0, n));
    else for (let i = 0; i < n; i++) out[i] = a[order[i]];
    return out;
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
    // made here rather than with the rows' other room: a reader that hands over its own features never needs it
    if (this.ownX && this.x.length < this.rows * h.features.length) this.x = grown(this.x, this.rows * h.features.length);
    this.lineOf[r] = line;
    if (text === null) {
      const regression = this.data.task === 'regression';
      const { scanner } = this;
      const numbers = scanner.parseRow(start, end, h.columns.length, h.target, regression, this.x, this.featureRow(r) * h.features.length);
      if (numbers !== null) {
        this.keepTarget(r, regression ? numbers : this.fast.className(bytes, scanner.classFrom, scanner.classTo));
        this.targetColumn[r] = scanner.targetAt + 1;
        return;
      }
      const target = this.fast.parse(bytes, start, end, this.x, this.featureRow(r) * h.features.length, regression);
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
      this.x[this.featureRow(r) * inputs + j] = v;
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

  /** Room for at least `needed` rows' targets and lines, doubling (their features get room in parseRow). */
  private grow(needed: number): void {
    const rows = Math.max(needed, 2 * this.rows, 1024);
    this.y = grown(this.y, rows);
    this.lineOf = grown(this.lineOf, rows);
    this.targetColumn = grown(this.targetColumn, rows);
    this.rows = rows;
  }
}

/** `a`'s values at the start of a new array of `length` (the rest 0). */
function grown<T extends Float64Array | Int32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a.subarray(0, Math.min(a.length, length)));
  return b;
}
