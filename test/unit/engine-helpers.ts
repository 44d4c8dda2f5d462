// Test helpers for the engine: ModelSpec objects with defaults filled (tests build specs directly, without
// the parser), small in-memory datasets, and a centred-difference gradient checker.
import type {
  ActivationKind,
  BatchNormSpec,
  Conv2dSpec,
  DenseSpec,
  InstanceNormSpec,
  PoolSpec,
  DropoutSpec,
  GroupNormSpec,
  InitSpec,
  LayerNormSpec,
  LayerSpec,
  ModelSpec,
  ActivationSpec,
} from '../../src/engine/spec/model-spec';
import type { Dataset, Split } from '../../src/engine/data/dataset';
import type { FloatArray } from '../../src/engine/types';

const base = { index: -1, name: '', path: [] as (string | number)[] };

export function init(type: InitSpec['type'], extra: Partial<InitSpec> = {}): InitSpec {
  return { type, value: 0, std: 0.01, ...extra };
}

export function dense(units: number, extra: Partial<DenseSpec> = {}): DenseSpec {
  return { ...base, kind: 'dense', units, init: init('xavier'), biasInit: init('zeros'), useBias: true, l1: null, l2: null, ...extra };
}
export function act(kind: ActivationKind, extra: Partial<ActivationSpec> = {}): ActivationSpec {
  return { ...base, kind, alpha: 0.01, shorthand: false, ...extra };
}
export function dropout(rate: number): DropoutSpec {
  return { ...base, kind: 'dropout', rate };
}
export function batchnorm(extra: Partial<BatchNormSpec> = {}): BatchNormSpec {
  return { ...base, kind: 'batchnorm', momentum: 0.99, epsilon: 1e-3, ...extra };
}
export function layernorm(): LayerNormSpec {
  return { ...base, kind: 'layernorm', epsilon: 1e-5 };
}
export function groupnorm(groups: number): GroupNormSpec {
  return { ...base, kind: 'groupnorm', groups, epsilon: 1e-5 };
}
export function instancenorm(): InstanceNormSpec {
  return { ...base, kind: 'instancenorm', epsilon: 1e-5 };
}
export function conv2d(filters: number, kernel: number | [number, number], extra: Partial<Conv2dSpec> = {}): Conv2dSpec {
  const k: [number, number] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
  return { ...base, kind: 'conv2d', filters, kernel: k, stride: [1, 1], padding: 'valid', init: init('he'), biasInit: init('zeros'), useBias: true, l1: null, l2: null, ...extra };
}
export function pool(kind: PoolSpec['kind'], size: number, stride = size): PoolSpec {
  return { ...base, kind, size: [size, size], stride: [stride, stride] };
}
export function globalavgpool(): LayerSpec {
  return { ...base, kind: 'globalavgpool' };
}
export function flatten(): LayerSpec {
  return { ...base, kind: 'flatten' };
}

/** A ModelSpec with the parser's defaults; layers get their file index and default names (`dense_1`, ...). */
export function makeSpec(over: Partial<ModelSpec> & { layers: LayerSpec[] }): ModelSpec {
  const counts = new Map<string, number>();
  const layers = over.layers.map((l, index) => {
    const c = (counts.get(l.kind) ?? 0) + 1;
    counts.set(l.kind, c);
    return { ...l, index, name: l.name || `${l.kind}_${c}`, path: ['layers', index] } as LayerSpec;
  });
  return {
    name: 'test-model',
    seed: 1,
    data: { source: 'test', isFile: false, target: null, task: 'classification', samples: 0, classes: 2, noise: 0, validationSplit: 0.2, preprocess: 'none', targetScaling: 'none' },
    loss: 'softmax-cross-entropy',
    optimizer: { type: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    schedule: { type: 'constant' },
    regularization: { l1: 0, l2: 0 },
    clipping: { mode: 'none' },
    epochs: 10,
    batchSize: 16,
    earlyStopping: null,
    ...over,
    layers,
  };
}

function split(x: number[][], labels: number[] | null, targets: number[][] | null): Split {
  return {
    n: x.length,
    x: Float64Array.from(x.flat()),
    labels: labels ? Int32Array.from(labels) : new Int32Array(0),
    targets: targets ? Float64Array.from(targets.flat()) : new Float64Array(0),
  };
}

function stats(x: number[][]): Dataset['rawStats'] {
  const d = x[0]?.length ?? 0;
  const col = (j: number) => x.map((r) => r[j]);
  const mean = Float64Array.from({ length: d }, (_, j) => col(j).reduce((a, b) => a + b, 0) / x.length);
  const std = Float64Array.from({ length: d }, (_, j) => Math.sqrt(col(j).reduce((a, b) => a + (b - mean[j]) ** 2, 0) / x.length));
  return { mean, std, min: Float64Array.from({ length: d }, (_, j) => Math.min(...col(j))), max: Float64Array.from({ length: d }, (_, j) => Math.max(...col(j))) };
}

export function classificationData(trainX: number[][], trainY: number[], valX: number[][], valY: number[], classes: number): Dataset {
  return {
    task: 'classification',
    inputs: trainX[0].length,
    outputs: classes,
    featureNames: trainX[0].map((_, j) => `x${j}`),
    classNames: Array.from({ length: classes }, (_, c) => `c${c}`),
    train: split(trainX, trainY, null),
    val: split(valX, valY, null),
    rawStats: stats(trainX),
    targetScale: null,
  };
}

export function regressionData(trainX: number[][], trainT: number[][], valX: number[][], valT: number[][]): Dataset {
  return {
    task: 'regression',
    inputs: trainX[0].length,
    outputs: trainT[0].length,
    featureNames: trainX[0].map((_, j) => `x${j}`),
    classNames: null,
    train: split(trainX, null, trainT),
    val: split(valX, null, valT),
    rawStats: stats(trainX),
    targetScale: null,
  };
}

/** Deterministic pseudo-random numbers for test inputs (independent of the engine's Rng). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Linearly separable-ish 2-D blobs: class c centred at (3·cos, 3·sin) of its angle. */
export function blobs(n: number, classes: number, seed: number, noise = 0.5): { x: number[][]; y: number[] } {
  const r = lcg(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const a = (2 * Math.PI * c) / classes;
    const g = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    x.push([3 * Math.cos(a) + noise * g(), 3 * Math.sin(a) + noise * g()]);
    y.push(c);
  }
  return { x, y };
}

/**
 * Largest relative error between `analytic` and centred differences of `f` over the entries of `values`:
 * |a - n| / max(|a| + |n|, floor); the floor keeps round-off on
 * gradients that are mathematically zero (a bias right before batch norm) from counting as error. `values` is perturbed in place and restored.
 */
export function maxGradError(values: FloatArray, analytic: ArrayLike<number>, f: () => number, h = 1e-6, floor = 1e-4): number {
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    values[i] = v + h;
    const up = f();
    values[i] = v - h;
    const down = f();
    values[i] = v;
    const numeric = (up - down) / (2 * h);
    const err = Math.abs(analytic[i] - numeric) / Math.max(Math.abs(analytic[i]) + Math.abs(numeric), floor);
    if (err > worst) worst = err;
  }
  return worst;
}
