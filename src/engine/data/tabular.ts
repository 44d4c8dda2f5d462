// A file table -> features and targets: the `target` column becomes class indices (classification) or a
// numeric target (regression); every other column must be numeric. Errors name the cell.
import type { DataSpec } from '../spec/model-spec';
import { quote, suggestion } from '../spec/issues';
import { DataError } from './errors';
import { classificationData, regressionData, type RawData } from './raw';
import type { Table } from './table';

const MAX_CLASSES = 1000;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const SOURCE_PATH = ['data', 'source'];

function numberAt(t: Table, r: number, c: number): number {
  const v = t.value(r, c);
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === '' || v === null) throw new DataError(`empty cell in column ${quote(t.columns[c])}`, SOURCE_PATH, t.locate(r, c));
  if (typeof v === 'string' && NUMBER.test(v.trim())) {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  const shown = typeof v === 'string' ? quote(v) : v === undefined ? 'an object or array' : JSON.stringify(v);
  throw new DataError(`non-numeric value ${shown} in column ${quote(t.columns[c])}`, SOURCE_PATH, t.locate(r, c));
}

function classKey(t: Table, r: number, c: number): string {
  const v = t.value(r, c);
  if (v === '' || v === null) throw new DataError(`empty target in column ${quote(t.columns[c])}`, SOURCE_PATH, t.locate(r, c));
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new DataError(`target must be a class name or a number, not an object or array`, SOURCE_PATH, t.locate(r, c));
}

/** Class names in a stable order: numerically when every name is an integer, else by code points. */
function orderClasses(names: string[]): string[] {
  if (names.every((n) => INTEGER.test(n))) return names.sort((a, b) => Number(a) - Number(b));
  return names.sort();
}

export function tableToData(t: Table, data: DataSpec): RawData {
  const target = data.target ?? 'target';
  const tc = t.columns.indexOf(target);
  if (tc < 0) {
    throw new DataError(
      `no target column ${quote(target)} in ${t.file} (columns: ${t.columns.join(', ')}).${suggestion(target, t.columns)}`,
      ['data', 'target'],
      t.locateColumn(0),
    );
  }
  const features = t.columns.map((_, c) => c).filter((c) => c !== tc);
  if (features.length === 0) throw new DataError(`${t.file} has no feature columns besides the target ${quote(target)}`, SOURCE_PATH, t.locateColumn(tc));
  const n = t.rowCount;
  const inputs = features.length;
  const x = new Float64Array(n * inputs);
  for (let r = 0; r < n; r++) for (let j = 0; j < inputs; j++) x[r * inputs + j] = numberAt(t, r, features[j]);
  const featureNames = features.map((c) => t.columns[c]);
  if (data.task === 'regression') {
    const y = new Float64Array(n);
    for (let r = 0; r < n; r++) y[r] = numberAt(t, r, tc);
    return regressionData(x, y, inputs, 1, featureNames);
  }
  const keys: string[] = new Array(n);
  const distinct = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    keys[r] = classKey(t, r, tc);
    if (!distinct.has(keys[r])) {
      distinct.set(keys[r], r);
      if (distinct.size > MAX_CLASSES) {
        throw new DataError(
          `the target column ${quote(target)} has more than ${MAX_CLASSES} distinct values; for a numeric target set "task": "regression"`,
          ['data', 'task'],
          t.locate(r, tc),
        );
      }
    }
  }
  if (distinct.size < 2) {
    throw new DataError(`the target column ${quote(target)} has only one class (${quote(keys[0])}); classification needs at least 2`, ['data', 'target'], t.locateColumn(tc));
  }
  const classNames = orderClasses([...distinct.keys()]);
  const index = new Map(classNames.map((name, i) => [name, i]));
  const labels = Int32Array.from(keys, (k) => index.get(k)!);
  return classificationData(x, labels, inputs, featureNames, classNames);
}
