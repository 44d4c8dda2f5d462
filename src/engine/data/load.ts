// loadDataset: a validated spec -> split, preprocessed data. Built-ins are generated or unpacked; workspace
// files come from `files` (read by the host). Throws only DataError, always with the model path involved.
import { identity, Rng } from '../rng';
import type { ModelSpec } from '../spec/model-spec';
import { checkShapes } from '../spec/shapes';
import type { DataFiles, Dataset, Split, TargetScale } from './dataset';
import { readDataFile } from './data-file';
import { DataError } from './errors';
import { GENERATORS } from './generators';
import { permuteRows } from './permute-rows';
import { applyPreprocess, featureStats } from './preprocess';
import type { RawData } from './raw';
import { iris, mnist } from './real-datasets';

export interface LoadOptions {
  /** Directory holding mnist.bin.gz (default: next to the bundle, or <repo>/dist/data). */
  mnistDir?: string;
  /** Bytes per read of a streamed data file (tests vary it; the result must not depend on it). */
  chunkBytes?: number;
  /** Scan a CSV file with the WebAssembly module where the runtime runs it (default), else in TypeScript (benchmarks compare the two). */
  wasmScan?: boolean;
  /** Helper threads sampling a CSV file on disk (default: one per core but the caller's, at most 3). */
  helpers?: number;
}

function readSource(spec: ModelSpec, files: DataFiles, options: LoadOptions): RawData {
  const { data } = spec;
  if (data.isFile) {
    const file = files[data.source];
    if (file === undefined) throw new DataError(`data file ${JSON.stringify(data.source)} was not found or could not be read`, ['data', 'source']);
    return readDataFile(spec, file, { ...options, splitOrder: (n) => splitOrder(identity(n), spec) });
  }
  if (Object.hasOwn(GENERATORS, data.source)) return GENERATORS[data.source]({ samples: data.samples, classes: data.classes, noise: data.noise }, new Rng(spec.seed).fork('data'));
  if (data.source === 'iris') return iris();
  if (data.source === 'mnist') return mnist(options);
  throw new DataError(`unknown data source ${JSON.stringify(data.source)}`, ['data', 'source']);
}

/** `rows` in the seeded order of the split, in place: the first `validationSplit` of them are held out. */
function splitOrder(rows: Int32Array, spec: ModelSpec): Int32Array {
  new Rng(spec.seed).fork('split').shuffle(rows);
  return rows;
}

/** Row indices to keep: all, or a seeded random subset of `samples` rows for real datasets and JSON files (CSV files are sampled as they stream). */
function subset(n: number, spec: ModelSpec): Int32Array {
  const idx = identity(n);
  const generated = Object.hasOwn(GENERATORS, spec.data.source);
  if (generated || spec.data.samples <= 0 || spec.data.samples >= n) return idx;
  new Rng(spec.seed).fork('subset').shuffle(idx);
  return idx.slice(0, spec.data.samples).sort();
}

/** The rows' features and targets, copied value by value: a subarray per row would allocate as many views as rows. */
function gather(raw: RawData, rows: Int32Array): Split {
  const { inputs, outputs } = raw;
  const n = rows.length;
  const x = new Float64Array(n * inputs);
  const labels = new Int32Array(raw.task === 'classification' ? n : 0);
  const targets = new Float64Array(raw.task === 'regression' ? n * outputs : 0);
  copyRows(raw.x, inputs, rows, x);
  if (raw.task === 'classification') for (let i = 0; i < n; i++) labels[i] = raw.labels[rows[i]];
  else copyRows(raw.targets, outputs, rows, targets);
  return { n, x, labels, targets };
}

/** Row rows[i] of `from` (rows of `width` values) into row i of `to`. */
function copyRows(from: Float64Array, width: number, rows: Int32Array, to: Float64Array): void {
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i] * width;
    const dst = i * width;
    for (let j = 0; j < width; j++) to[dst + j] = from[src + j];
  }
}

/**
 * The two splits of every row in the order `order` gives (a permutation; null: the reader put the rows in
 * the split's order already), moved within `raw`'s own arrays: rows[0, nVal) and the rest, as views. For
 * rows nothing else holds (a file just read), so a large file's rows are held once rather than twice.
 */
function splitInPlace(raw: RawData, order: Int32Array | null, nVal: number): [Split, Split] {
  const { inputs, outputs, n } = raw;
  const regression = raw.task === 'regression';
  if (order) {
    permuteRows(raw.x, inputs, order);
    permuteRows(regression ? raw.targets : raw.labels, regression ? outputs : 1, order);
  }
  const part = (from: number, to: number): Split => ({
    n: to - from,
    x: raw.x.subarray(from * inputs, to * inputs),
    labels: regression ? raw.labels : raw.labels.subarray(from, to),
    targets: regression ? raw.targets.subarray(from * outputs, to * outputs) : raw.targets,
  });
  return [part(0, nVal), part(nVal, n)];
}

export function loadDataset(spec: ModelSpec, files: DataFiles, options: LoadOptions = {}): Dataset {
  const raw = readSource(spec, files, options);
  const shape = spec.data.inputShape;
  if (shape && shape.reduce((a, b) => a * b, 1) !== raw.inputs) {
    throw new DataError(`data.inputShape [${shape.join(', ')}] holds ${shape.reduce((a, b) => a * b, 1)} values, but ${spec.data.source} has ${raw.inputs} feature columns`, ['data', 'inputShape']);
  }
  if (raw.inSplitOrder && (!spec.data.isFile || (spec.data.samples > 0 && spec.data.samples < raw.n))) {
    throw new Error(`loadDataset: ${spec.data.source}'s rows were placed for a split of all ${raw.n} rows, but not all are used`);
  }
  // a reader that placed its rows for the split (readDataFile's splitOrder) kept exactly the rows to use
  const rows = raw.inSplitOrder ? null : subset(raw.n, spec);
  const samples = rows ? rows.length : raw.n;
  const problem = checkShapes(spec, { inputs: raw.inputs, outputs: raw.outputs, samples, ...(shape ? { inputShape: shape } : {}) })[0];
  if (problem) {
    const where = problem.layer ? `layers[${problem.layer.index}] (${problem.layer.name})` : problem.path.join('.');
    throw new DataError(`${where}: ${problem.what}`, problem.path);
  }
  if (rows) splitOrder(rows, spec);
  const nVal = Math.round(samples * spec.data.validationSplit);
  if (samples - nVal < 1) {
    throw new DataError(`no training samples left: ${samples} samples with validationSplit ${spec.data.validationSplit}`, ['data', 'validationSplit']);
  }
  // a data file's rows are this load's own: moved in place when every row is used, copied otherwise
  const inPlace = spec.data.isFile && samples === raw.n;
  const [val, train] = inPlace || !rows ? splitInPlace(raw, rows, nVal) : [gather(raw, rows.subarray(0, nVal)), gather(raw, rows.subarray(nVal))];
  const rawStats = featureStats(train.x, train.n, raw.inputs);
  applyPreprocess(train.x, raw.inputs, spec.data.preprocess, rawStats);
  applyPreprocess(val.x, raw.inputs, spec.data.preprocess, rawStats);
  const targetScale = raw.task === 'regression' && spec.data.targetScaling === 'standardize' ? standardizeTargets(train, val, raw.outputs) : null;
  return { task: raw.task, inputs: raw.inputs, ...(shape ? { inputShape: shape } : {}), outputs: raw.outputs, featureNames: raw.featureNames, classNames: raw.classNames, train, val, rawStats, targetScale };
}

/** Standardises both splits' targets in place with the training split's statistics. */
function standardizeTargets(train: Split, val: Split, outputs: number): TargetScale {
  const stats = featureStats(train.targets, train.n, outputs);
  applyPreprocess(train.targets, outputs, 'standardize', stats);
  applyPreprocess(val.targets, outputs, 'standardize', stats);
  return { mean: stats.mean, divisor: stats.std.map((s) => (s > 0 ? s : 1)) };
}
