// The seeded 2-D (and 1-D) generators, defined as people know them so results compare with other tools
// (scikit-learn's make_circles/make_moons, CS231n's spiral). Their descriptions live in sources.ts.
import type { Rng } from '../rng';
import { classificationData, regressionData, type RawData } from './raw';
import { shapeImages } from './shape-images';

export interface GeneratorParams {
  samples: number;
  classes: number;
  noise: number;
}

/** numpy.linspace(a, b, n) element i (endpoint included). */
const linspace = (a: number, b: number, n: number, i: number): number => (n <= 1 ? a : a + ((b - a) * i) / (n - 1));

/** Per-class counts for `n` samples over `k` classes, the remainder going to the first classes. */
function evenCounts(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, j) => Math.floor(n / k) + (j < n % k ? 1 : 0));
}

function points2d(n: number, names: string[], fill: (x: Float64Array, labels: Int32Array) => void): RawData {
  const x = new Float64Array(n * 2);
  const labels = new Int32Array(n);
  fill(x, labels);
  return classificationData(x, labels, 2, ['x', 'y'], names);
}

export function xor({ samples: n, noise }: GeneratorParams, rng: Rng): RawData {
  const counts = evenCounts(n, 4);
  const centres = [[1, 1], [-1, 1], [-1, -1], [1, -1]];
  return points2d(n, ['same sign', 'different sign'], (x, labels) => {
    let i = 0;
    counts.forEach((count, c) => {
      for (let k = 0; k < count; k++, i++) {
        const px = centres[c][0] + noise * rng.gaussian();
        const py = centres[c][1] + noise * rng.gaussian();
        x[2 * i] = px;
        x[2 * i + 1] = py;
        labels[i] = px * py < 0 ? 1 : 0;
      }
    });
  });
}

export function circles({ samples: n, noise }: GeneratorParams, rng: Rng): RawData {
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  return points2d(n, ['outer', 'inner'], (x, labels) => {
    for (let i = 0; i < n; i++) {
      const inner = i >= nOut;
      const k = inner ? i - nOut : i;
      // make_circles: linspace(0, 2π, m, endpoint=False) on each circle, the inner one scaled by 0.5
      const t = (2 * Math.PI * k) / (inner ? nIn : nOut);
      const r = inner ? 0.5 : 1;
      x[2 * i] = r * Math.cos(t) + noise * rng.gaussian();
      x[2 * i + 1] = r * Math.sin(t) + noise * rng.gaussian();
      labels[i] = inner ? 1 : 0;
    }
  });
}

export function moons({ samples: n, noise }: GeneratorParams, rng: Rng): RawData {
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  return points2d(n, ['upper', 'lower'], (x, labels) => {
    for (let i = 0; i < n; i++) {
      const inner = i >= nOut;
      const t = inner ? linspace(0, Math.PI, nIn, i - nOut) : linspace(0, Math.PI, nOut, i);
      x[2 * i] = (inner ? 1 - Math.cos(t) : Math.cos(t)) + noise * rng.gaussian();
      x[2 * i + 1] = (inner ? 1 - Math.sin(t) - 0.5 : Math.sin(t)) + noise * rng.gaussian();
      labels[i] = inner ? 1 : 0;
    }
  });
}

export function spiral({ samples: n, classes, noise }: GeneratorParams, rng: Rng): RawData {
  const counts = evenCounts(n, classes);
  const names = Array.from({ length: classes }, (_, j) => `arm ${j}`);
  return points2d(n, names, (x, labels) => {
    let i = 0;
    counts.forEach((count, j) => {
      for (let k = 0; k < count; k++, i++) {
        const r = linspace(0, 1, count, k);
        const t = linspace(4 * j, 4 * (j + 1), count, k) + noise * rng.gaussian();
        x[2 * i] = r * Math.sin(t);
        x[2 * i + 1] = r * Math.cos(t);
        labels[i] = j;
      }
    });
  });
}

export const BLOB_RADIUS = 3;

export function blobs({ samples: n, classes, noise }: GeneratorParams, rng: Rng): RawData {
  const counts = evenCounts(n, classes);
  const names = Array.from({ length: classes }, (_, j) => `blob ${j}`);
  return points2d(n, names, (x, labels) => {
    let i = 0;
    counts.forEach((count, j) => {
      const angle = (2 * Math.PI * j) / classes;
      for (let k = 0; k < count; k++, i++) {
        x[2 * i] = BLOB_RADIUS * Math.cos(angle) + noise * rng.gaussian();
        x[2 * i + 1] = BLOB_RADIUS * Math.sin(angle) + noise * rng.gaussian();
        labels[i] = j;
      }
    });
  });
}

export function sine({ samples: n, noise }: GeneratorParams, rng: Rng): RawData {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.uniform(-Math.PI, Math.PI);
    y[i] = Math.sin(x[i]) + noise * rng.gaussian();
  }
  return regressionData(x, y, 1, 1, ['x']);
}

export const GENERATORS: Record<string, (p: GeneratorParams, rng: Rng) => RawData> = { xor, circles, moons, spiral, blobs, sine, shapes: shapeImages };
