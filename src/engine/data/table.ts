// A JSON data file read into a column table that remembers where every cell sits, so each later complaint
// (empty, non-numeric, unknown class) names the file, line and column. CSV files are streamed instead
// (csv.ts); both share the limits and the header rules here.
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

/**
 * A JSON array is parsed whole, so its size is capped; a CSV file is streamed, so only its longest line is.
 * Rows, columns and cells count what is kept in memory (all rows, or the `samples` sampled ones).
 */
export const LIMITS = { jsonBytes: 64 * 1024 * 1024, lineBytes: 16 * 1024 * 1024, rows: 1_000_000, columns: 10_000, cells: 20_000_000 };

const SOURCE_PATH = ['data', 'source'];
const MiB = 1024 * 1024;

/** Refuses a JSON file above the whole-file limit, before any of it is read. */
export function checkJsonSize(file: string, size: number, unit: 'bytes' | 'characters'): void {
  if (size > LIMITS.jsonBytes) {
    throw new DataError(
      `${file} has ${(size / MiB).toFixed(0)} MiB of ${unit === 'bytes' ? 'data' : 'text'}, above the ${LIMITS.jsonBytes / MiB} MiB limit for a JSON array (a CSV file is read in chunks and has no size limit)`,
      SOURCE_PATH,
      { file, line: 1, column: 1 },
    );
  }
}

function checkShape(file: string, rows: number, columns: number, at: (row: number) => FileLocation): void {
  if (columns > LIMITS.columns) throw new DataError(`${columns} columns, above the limit of ${LIMITS.columns}`, SOURCE_PATH, at(-1));
  if (rows > LIMITS.rows) throw new DataError(`more than ${LIMITS.rows} rows`, SOURCE_PATH, at(LIMITS.rows));
  if (rows * columns > LIMITS.cells) throw new DataError(`${rows} × ${columns} cells, above the limit of ${LIMITS.cells}`, SOURCE_PATH, at(-1));
  if (rows === 0) throw new DataError(`${file} has a header but no data rows`, SOURCE_PATH, at(-1));
}

/** Column names must be present and distinct. */
export function checkHeader(header: string[], at: (col: number) => FileLocation): void {
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
  checkJsonSize(file, text.length, 'characters');
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
