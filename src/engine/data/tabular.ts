// Data file cells -> features and targets: the `target` column becomes class indices (classification) or a
// numeric target (regression); every other column must be numeric. Errors name the cell. The JSON table
// and the streamed CSV reader share these rules.
import type { DataSpec } from '../spec/model-spec';
import { quote, suggestion } from '../spec/issues';
import { DataError, type FileLocation } from './errors';
import { classificationData, regressionData, type RawData } from './raw';
import type { Table } from './table';

const MAX_CLASSES = 1000;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const SOURCE_PATH = ['data', 'source'];

/** A cell's number: JSON numbers as they are, text in plain decimal notation; NaN when it is neither. */
export function cellNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v === 'string' && NUMBER.test(v.trim())) {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return NaN;
}

/** The error for a cell that `cellNumber` refused. */
export function numberError(v: unknown, column: string, at: FileLocation): DataError {
  if (v === '' || v === null) return new DataError(`empty cell in column ${quote(column)}`, SOURCE_PATH, at);
  const shown = typeof v === 'string' ? quote(v) : v === undefined ? 'an object or array' : JSON.stringify(v);
  return new DataError(`non-numeric value ${shown} in column ${quote(column)}`, SOURCE_PATH, at);
}

/** A target cell as a class name; throws at `at()` when it is empty or not a scalar. */
export function classKey(v: unknown, column: string, at: () => FileLocation): string {
  if (v === '' || v === null) throw new DataError(`empty target in column ${quote(column)}`, SOURCE_PATH, at());
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new DataError(`target must be a class name or a number, not an object or array`, SOURCE_PATH, at());
}

/** The target column and the feature columns of a file's header; throws when either is missing. */
export function targetColumns(file: string, columns: string[], data: DataSpec, locateColumn: (col: number) => FileLocation): { target: number; features: number[] } {
  const name = data.target ?? 'target';
  const target = columns.indexOf(name);
  if (target < 0) {
    throw new DataError(`no target column ${quote(name)} in ${file} (columns: ${columns.join(', ')}).${suggestion(name, columns)}`, ['data', 'target'], locateColumn(0));
  }
  const features = columns.map((_, c) => c).filter((c) => c !== target);
  if (features.length === 0) throw new DataError(`${file} has no feature columns besides the target ${quote(name)}`, SOURCE_PATH, locateColumn(target));
  return { target, features };
}

/** Class names in a stable order: numerically when every name is an integer, else by code points. */
function orderClasses(names: string[]): string[] {
  if (names.every((n) => INTEGER.test(n))) return names.sort((a, b) => Number(a) - Number(b));
  return names.sort();
}

/**
 * Class indices for the rows' target names (in file order). `locate(r)` is row r's target cell, `header`
 * where the header names the target column.
 */
export function classLabels(keys: string[], target: string, locate: (row: number) => FileLocation, header: FileLocation): { labels: Int32Array; classNames: string[] } {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const rowIds = new Int32Array(keys.length);
  for (let r = 0; r < keys.length; r++) {
    let id = ids.get(keys[r]);
    if (id === undefined) {
      id = names.push(keys[r]) - 1;
      ids.set(keys[r], id);
    }
    rowIds[r] = id;
  }
  return classLabelsOfIds(rowIds, keys.length, names, target, locate, header);
}

/**
 * `classLabels` for `n` rows given as indices into `names` (distinct names, some perhaps used by no row):
 * a reader that numbered the names as it met them needs no string per row.
 */
export function classLabelsOfIds(
  ids: ArrayLike<number>,
  n: number,
  names: string[],
  target: string,
  locate: (row: number) => FileLocation,
  header: FileLocation,
): { labels: Int32Array; classNames: string[] } {
  /** Per name: its place among the names the rows use, in the order the rows first use them (-1: unused). */
  const place = new Int32Array(names.length).fill(-1);
  const distinct: string[] = [];
  for (let r = 0; r < n; r++) {
    const id = ids[r];
    if (place[id] >= 0) continue;
    place[id] = distinct.push(names[id]) - 1;
    if (distinct.length > MAX_CLASSES) {
      throw new DataError(
        `the target column ${quote(target)} has more than ${MAX_CLASSES} distinct values; for a numeric target set "task": "regression"`,
        ['data', 'task'],
        locate(r),
      );
    }
  }
  if (distinct.length < 2) {
    throw new DataError(`the target column ${quote(target)} has only one class (${quote(names[ids[0]])}); classification needs at least 2`, ['data', 'target'], header);
  }
  const classNames = orderClasses(distinct.slice());
  const index = new Map(classNames.map((name, i) => [name, i]));
  const labelOf = new Int32Array(names.length);
  for (let id = 0; id < names.length; id++) if (place[id] >= 0) labelOf[id] = index.get(names[id])!;
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) labels[r] = labelOf[ids[r]];
  return { labels, classNames };
}

export function tableToData(t: Table, data: DataSpec): RawData {
  const { target: tc, features } = targetColumns(t.file, t.columns, data, t.locateColumn);
  const n = t.rowCount;
  const inputs = features.length;
  const numberAt = (r: number, c: number): number => {
    const v = cellNumber(t.value(r, c));
    if (Number.isNaN(v)) throw numberError(t.value(r, c), t.columns[c], t.locate(r, c));
    return v;
  };
  const x = new Float64Array(n * inputs);
  for (let r = 0; r < n; r++) for (let j = 0; j < inputs; j++) x[r * inputs + j] = numberAt(r, features[j]);
  const featureNames = features.map((c) => t.columns[c]);
  if (data.task === 'regression') {
    const y = new Float64Array(n);
    for (let r = 0; r < n; r++) y[r] = numberAt(r, tc);
    return regressionData(x, y, inputs, 1, featureNames);
  }
  const keys = Array.from({ length: n }, (_, r) => classKey(t.value(r, tc), t.columns[tc], () => t.locate(r, tc)));
  const { labels, classNames } = classLabels(keys, t.columns[tc], (r) => t.locate(r, tc), t.locateColumn(tc));
  return classificationData(x, labels, inputs, featureNames, classNames);
}
