// The decision boundary of a model with two inputs: its prediction over a grid covering the training
// points, and a sample of the points to draw on top.
import type { Dataset, Split } from '../data/dataset';
import type { DecisionBoundary, PlanePoints } from '../types';

/** Cells per side: coarse enough that a picture costs a few dozen training steps at most. */
export const GRID = 40;
const MAX_TRAIN_POINTS = 300;
const MAX_VAL_POINTS = 150;
const PAD = 0.1;

/** Confidence to the percent: plenty for shading, and the picture crosses the wire several times a second. */
const percent = (p: number): number => Math.round(p * 100) / 100;

/** Predicts rows of `x` ([n x 2]): probabilities per class (or one value) per row. */
export type Predict = (x: Float64Array, n: number) => { values: Float64Array; width: number };

export const hasPlane = (data: Dataset): boolean => data.inputs === 2;

function extent(split: Split, axis: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < split.n; r++) {
    const v = split.x[r * 2 + axis];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return [lo - 1, lo + 1];
  const pad = (hi - lo) * PAD;
  return [lo - pad, hi + pad];
}

export function decisionBoundary(data: Dataset, predict: Predict): DecisionBoundary {
  const x = extent(data.train, 0);
  const y = extent(data.train, 1);
  const grid = new Float64Array(GRID * GRID * 2);
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      const k = (j * GRID + i) * 2;
      grid[k] = x[0] + ((i + 0.5) / GRID) * (x[1] - x[0]);
      grid[k + 1] = y[0] + ((j + 0.5) / GRID) * (y[1] - y[0]);
    }
  }
  const { values, width } = predict(grid, GRID * GRID);
  const cells = GRID * GRID;
  const value: number[] = new Array(cells);
  if (data.task === 'regression') {
    for (let c = 0; c < cells; c++) value[c] = values[c * width];
    return { size: GRID, x, y, value, confidence: null, classes: 0 };
  }
  const confidence: number[] = new Array(cells);
  for (let c = 0; c < cells; c++) {
    if (width === 1) {
      const p = values[c];
      value[c] = p > 0.5 ? 1 : 0;
      confidence[c] = percent(p > 0.5 ? p : 1 - p);
      continue;
    }
    let best = 0;
    for (let k = 1; k < width; k++) if (values[c * width + k] > values[c * width + best]) best = k;
    value[c] = best;
    confidence[c] = percent(values[c * width + best]);
  }
  return { size: GRID, x, y, value, confidence, classes: data.outputs };
}

function pick(split: Split, data: Dataset, max: number): { xy: number[]; labels: number[] } {
  const stride = Math.max(1, Math.ceil(split.n / max));
  const xy: number[] = [];
  const labels: number[] = [];
  for (let r = 0; r < split.n; r += stride) {
    xy.push(split.x[r * 2], split.x[r * 2 + 1]);
    labels.push(data.task === 'regression' ? split.targets[r * data.outputs] : split.labels[r]);
  }
  return { xy, labels };
}

export function planePoints(data: Dataset): PlanePoints {
  const train = pick(data.train, data, MAX_TRAIN_POINTS);
  const val = pick(data.val, data, MAX_VAL_POINTS);
  return { train: train.xy, trainLabels: train.labels, val: val.xy, valLabels: val.labels };
}
