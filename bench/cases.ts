// The benchmark cases and their data, generated once from a fixed seed and handed identically to every
// engine (our trainer, tf.js, PyTorch). Images are synthetic MNIST-shaped clusters (784 features in [0,1],
// 10 classes) so no download is needed; the spiral is the classic 3-arm spiral.
import type { ActivationSpec, BatchNormSpec, DenseSpec, LayerSpec, ModelSpec } from '../src/engine/spec/model-spec';
import type { Dataset } from '../src/engine/data/dataset';
import { Rng } from '../src/engine/rng';

export interface BenchData {
  inputs: number;
  classes: number;
  n: number;
  /** [n × inputs] row-major. */
  x: Float32Array;
  labels: Int32Array;
}

export interface BenchCase {
  id: string;
  hidden: number[];
  batchNorm: boolean;
  batch: number;
  data: BenchData;
  /** Samples per epoch (one pass over the data); a round of our engine or PyTorch is whole epochs. */
  epochSamples: number;
}

function images(n: number, seed: number): BenchData {
  const rng = new Rng(seed);
  const inputs = 784, classes = 10;
  const centers = Float32Array.from({ length: classes * inputs }, () => (rng.next() < 0.2 ? rng.next() : 0));
  const x = new Float32Array(n * inputs);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(classes);
    labels[i] = c;
    for (let j = 0; j < inputs; j++) x[i * inputs + j] = Math.min(1, Math.max(0, centers[c * inputs + j] + 0.3 * rng.gaussian()));
  }
  return { inputs, classes, n, x, labels };
}

function spiral(n: number, seed: number): BenchData {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const r = (i / n) * 1.0;
    const t = c * 4 + r * 4 + 0.2 * rng.gaussian();
    x[2 * i] = r * Math.sin(t);
    x[2 * i + 1] = r * Math.cos(t);
    labels[i] = c;
  }
  return { inputs: 2, classes: 3, n, x, labels };
}

export function benchCases(): BenchCase[] {
  const img = images(2048, 7);
  const spi = spiral(12288, 11);
  const mlp = (batch: number, batchNorm: boolean): BenchCase => ({
    id: `784-256-256-10${batchNorm ? ' bn' : ''} b${batch}`, hidden: [256, 256], batchNorm, batch, data: img, epochSamples: img.n,
  });
  return [
    mlp(64, false), mlp(256, false), mlp(64, true), mlp(256, true),
    { id: '2-64-64-3 spiral b32', hidden: [64, 64], batchNorm: false, batch: 32, data: spi, epochSamples: spi.n },
  ];
}

/** Matrix-product FLOPs per trained sample: forward and weight gradient for every dense layer, input gradient for all but the first. */
export function flopsPerSample(c: BenchCase): number {
  const sizes = [c.data.inputs, ...c.hidden, c.data.classes];
  let f = 0;
  for (let l = 0; l + 1 < sizes.length; l++) f += 2 * sizes[l] * sizes[l + 1] * (l === 0 ? 2 : 3);
  return f;
}

const at = (index: number, name: string) => ({ index, name, path: ['layers', index] });

export function modelSpec(c: BenchCase): ModelSpec {
  const layers: LayerSpec[] = [];
  const add = (l: Omit<DenseSpec, 'index' | 'name' | 'path'> | Omit<ActivationSpec, 'index' | 'name' | 'path'> | Omit<BatchNormSpec, 'index' | 'name' | 'path'>) =>
    layers.push({ ...l, ...at(layers.length, `${l.kind}_${layers.length}`) } as LayerSpec);
  const dense = (units: number, he: boolean) =>
    add({ kind: 'dense', units, init: { type: he ? 'he' : 'xavier', value: 0, std: 0.01 }, biasInit: { type: 'zeros', value: 0, std: 0.01 }, useBias: true, l1: null, l2: null });
  for (const units of c.hidden) {
    dense(units, true);
    if (c.batchNorm) add({ kind: 'batchnorm', momentum: 0.99, epsilon: 1e-3 });
    add({ kind: 'relu', alpha: 0, shorthand: false });
  }
  dense(c.data.classes, false);
  return {
    name: c.id,
    seed: 1,
    data: { source: 'bench', isFile: false, target: null, task: 'classification', samples: c.data.n, classes: c.data.classes, noise: 0, validationSplit: 0, preprocess: 'none', targetScaling: 'none' },
    layers,
    loss: 'softmax-cross-entropy',
    optimizer: { type: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    schedule: { type: 'constant' },
    regularization: { l1: 0, l2: 0 },
    clipping: { mode: 'none' },
    epochs: 1,
    batchSize: c.batch,
    earlyStopping: null,
  };
}

export function dataset(d: BenchData): Dataset {
  const zeros = () => new Float64Array(d.inputs);
  return {
    task: 'classification',
    inputs: d.inputs,
    outputs: d.classes,
    featureNames: Array.from({ length: d.inputs }, (_, i) => `x${i}`),
    classNames: null,
    train: { n: d.n, x: Float64Array.from(d.x), labels: d.labels, targets: new Float64Array(0) },
    val: { n: 0, x: new Float64Array(0), labels: new Int32Array(0), targets: new Float64Array(0) },
    rawStats: { mean: zeros(), std: zeros(), min: zeros(), max: zeros() },
    targetScale: null,
  };
}
