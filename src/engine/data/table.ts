// Workspace data files read into a column table that remembers where every cell sits, so each later
// complaint (empty, non-numeric, unknown class) names the file, line and column. CSV and JSON share it.
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { quote } from '../spec/issues';
import { DataError, type FileLocation } from './errors';

export interface Table {
  file: string;
  columns: string[];
  rowCount: number;
  /** CSV: the cell's text; JSON: the value. */
  value(row: number, col: number): unknown;
  locate(row: number, col: number): FileLocation;
  /** Where the header (CSV) or the first record (JSON) names this column. */
  locateColumn(col: number): FileLocation;
}

export const LIMITS = { chars: 64 * 1024 * 1024, rows: 1_000_000, columns: 10_000, cells: 20_000_000 };

const SOURCE_PATH = ['data', 'source'];

function checkSize(file: string, text: string): void {
  if (text.length > LIMITS.chars) {
    throw new DataError(`${file} has ${(text.length / 1024 / 1024).toFixed(0)} MiB of text, above the ${LIMITS.chars / 1024 / 1024} MiB limit`, SOURCE_PATH);
  }
}

function checkShape(file: string, rows: number, columns: number, at: (row: number) => FileLocation): void {
  if (columns > LIMITS.columns) throw new DataError(`${columns} columns, above the limit of ${LIMITS.columns}`, SOURCE_PATH, at(-1));
  if (rows > LIMITS.rows) throw new DataError(`more than ${LIMITS.rows} rows`, SOURCE_PATH, at(LIMITS.rows));
  if (rows * columns > LIMITS.cells) throw new DataError(`${rows} × ${columns} cells, above the limit of ${LIMITS.cells}`, SOURCE_PATH, at(-1));
  if (rows === 0) throw new DataError(`${file} has a header but no data rows`, SOURCE_PATH, at(-1));
}

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

export function readCsv(file: string, text: string): Table {
  checkSize(file, text);
  const lines = text.split('\n');
  const lineNos: number[] = [];
  const rows: string[][] = [];
  let header: string[] | null = null;
  let headerLine = 0;
  // without its line break (and the byte-order mark of line 1), so cell columns match what editors show
  const lineText = (n: number) => {
    const line = lines[n].endsWith('\r') ? lines[n].slice(0, -1) : lines[n];
    return n === 0 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lineText(n);
    if (line.trim() === '') continue;
    const split = splitCsvLine(line);
    if ('error' in split) throw new DataError(split.error, SOURCE_PATH, { file, line: n + 1, column: split.column + 1 });
    if (!header) {
      header = split.cells;
      headerLine = n;
      checkHeader(header, (col) => ({ file, line: n + 1, column: split.starts[col] + 1 }));
      continue;
    }
    if (split.cells.length !== header.length) {
      const column = split.cells.length > header.length ? split.starts[header.length] + 1 : line.length + 1;
      throw new DataError(`row has ${split.cells.length} cells, but the header has ${header.length} columns`, SOURCE_PATH, { file, line: n + 1, column });
    }
    if (rows.length >= LIMITS.rows) throw new DataError(`more than ${LIMITS.rows} rows`, SOURCE_PATH, { file, line: n + 1, column: 1 });
    rows.push(split.cells);
    lineNos.push(n);
  }
  if (!header) throw new DataError(`${file} is empty; expected a header row`, SOURCE_PATH, { file, line: 1, column: 1 });
  const columns = header;
  const locate = (row: number, col: number): FileLocation => {
    const n = row < 0 ? headerLine : lineNos[row];
    const split = splitCsvLine(lineText(n));
    const starts = 'starts' in split ? split.starts : [0];
    return { file, line: n + 1, column: (starts[col] ?? 0) + 1 };
  };
  checkShape(file, rows.length, columns.length, (row) => locate(Math.min(row, rows.length - 1), 0));
  return { file, columns, rowCount: rows.length, value: (r, c) => rows[r][c], locate, locateColumn: (c) => locate(-1, c) };
}

function checkHeader(header: string[], at: (col: number) => FileLocation): void {
  const seen = new Set<string>();
  header.forEach((name, col) => {
    if (name === '') throw new DataError('empty column name in the header row', SOURCE_PATH, at(col));
    if (seen.has(name)) throw new DataError(`duplicate column ${quote(name)} in the header row`, SOURCE_PATH, at(col));
    seen.add(name);
  });
}

/** Offsets to 1-based line/column. */
function lineIndex(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 };
  };
}

/** A JSON array of records with the same keys, e.g. [{ "x": 1, "y": 2, "label": "a" }, ...]. */
export function readJsonRecords(file: string, text: string): Table {
  checkSize(file, text);
  const pos = lineIndex(text);
  const at = (offset: number): FileLocation => ({ file, ...pos(offset) });
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    const e = errors[0];
    throw new DataError(`JSON syntax error: ${printParseErrorCode(e.error)}`, SOURCE_PATH, at(e.offset));
  }
  if (!root || root.type !== 'array') throw new DataError('expected an array of records such as [{ "x": 1, "target": "a" }]', SOURCE_PATH, at(root?.offset ?? 0));
  const records = root.children ?? [];
  if (records.length === 0) throw new DataError(`${file} holds no records`, SOURCE_PATH, at(root.offset));
  const first = records[0];
  if (first.type !== 'object') throw new DataError('each record must be an object', SOURCE_PATH, at(first.offset));
  const keyNodes = (first.children ?? []).map((p) => p.children![0]);
  const columns = keyNodes.map((k) => k.value as string);
  checkHeader(columns, (col) => at(keyNodes[col].offset));
  if (columns.length === 0) throw new DataError('the first record has no fields', SOURCE_PATH, at(first.offset));
  const colIndex = new Map(columns.map((c, i) => [c, i]));
  checkShape(file, records.length, columns.length, (row) => at(records[Math.max(0, Math.min(row, records.length - 1))].offset));
  // cells[r][c] is the value node of column c in record r
  const cells: Node[][] = records.map((rec) => {
    if (rec.type !== 'object') throw new DataError('each record must be an object', SOURCE_PATH, at(rec.offset));
    const row: Node[] = new Array(columns.length);
    for (const prop of rec.children ?? []) {
      const [k, v] = prop.children ?? [];
      if (!k || !v) continue;
      const c = colIndex.get(k.value as string);
      if (c === undefined) throw new DataError(`unexpected field ${quote(k.value as string)}: the first record has ${columns.map((x) => quote(x)).join(', ')}`, SOURCE_PATH, at(k.offset));
      if (row[c]) throw new DataError(`duplicate field ${quote(k.value as string)}`, SOURCE_PATH, at(k.offset));
      row[c] = v;
    }
    const missing = columns.findIndex((_, c) => !row[c]);
    if (missing >= 0) throw new DataError(`record has no field ${quote(columns[missing])}`, SOURCE_PATH, at(rec.offset));
    return row;
  });
  return {
    file,
    columns,
    rowCount: records.length,
    value: (r, c) => cells[r][c].value,
    locate: (r, c) => at(cells[r][c].offset),
    locateColumn: (c) => at(keyNodes[c].offset),
  };
}
