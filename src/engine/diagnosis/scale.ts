// The activation scale a model should have at the start of training, predicted before it trains: the
// He/Xavier argument applied layer by layer. A dense layer with zero-mean weights of variance v and fan-in
// n turns inputs of second moment q into pre-activations of mean b (the bias) and variance n * v * q; each
// activation's output moments follow from integrating it over that Gaussian; normalisation layers reset
// the scale. The product of these per-layer gains is what explodes or vanishes in a deep stack.
import type { Dataset } from '../data/dataset';
import type { InitSpec, LayerSpec, ModelSpec } from '../spec/model-spec';
import type { LayerRef, ModelSummary } from '../types';
import { fans, isDense, isNormalization, unitsOf } from './model-shape';

export interface PredictedScale {
  ref: LayerRef;
  position: number;
  kind: string;
  /** Mean and std of the layer's output over samples and units. */
  mean: number;
  std: number;
  /** Dense layers: the std its output has relative to its input's root-mean-square (the layer's gain). */
  gain: number | null;
  /** ReLU family: the fraction of its inputs predicted to be positive (bias and scale decide it). */
  activeFraction: number | null;
  /** Sigmoid/tanh: the fraction of outputs predicted in the flat ends (slope below a hundredth of its peak). */
  saturatedFraction: number | null;
}

/** |pre-activation| beyond which the probes count a unit as saturated (sigmoid within 0.01 of 0 or 1, |tanh| > 0.99). */
const SATURATION_EDGE: Record<string, number> = { sigmoid: Math.log(0.99 / 0.01), tanh: Math.atanh(0.99) };

/** Second moment of an initialiser's weights for these fans (uniform variants match their normal twins). */
export function initSecondMoment(init: InitSpec, fanIn: number, fanOut: number): number {
  switch (init.type) {
    case 'zeros':
      return 0;
    case 'constant':
      return init.value * init.value;
    case 'small-gaussian':
      return init.std * init.std;
    case 'he':
    case 'he-uniform':
      return 2 / fanIn;
    case 'lecun':
      return 1 / fanIn;
    default:
      return 2 / (fanIn + fanOut);
  }
}

/** The mean of a bias initialiser (its values are all this when constant, zero-mean otherwise). */
const biasMean = (init: InitSpec) => (init.type === 'constant' ? init.value : 0);

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function pointwise(l: LayerSpec): ((z: number) => number) | null {
  switch (l.kind) {
    case 'relu':
      return (z) => Math.max(0, z);
    case 'leaky-relu':
      return (z) => (z > 0 ? z : l.alpha * z);
    case 'relu6':
      return (z) => Math.min(6, Math.max(0, z));
    case 'sigmoid':
      return sigmoid;
    case 'tanh':
      return Math.tanh;
    default:
      return null;
  }
}

const NODES = 161;

/** Mean, variance, P(z > 0) and P(|z| > edge) of f(z) for z ~ N(mu, sd^2), by quadrature over +-8 sd. */
function gaussianMoments(f: (z: number) => number, mu: number, sd: number, edge = Infinity): { mean: number; variance: number; positive: number; beyond: number } {
  if (!(sd > 0)) {
    const y = f(mu);
    return { mean: y, variance: 0, positive: mu > 0 ? 1 : 0, beyond: Math.abs(mu) > edge ? 1 : 0 };
  }
  let w = 0, m1 = 0, m2 = 0, pos = 0, beyond = 0;
  for (let i = 0; i < NODES; i++) {
    const u = -8 + (16 * i) / (NODES - 1);
    const weight = Math.exp(-0.5 * u * u);
    const y = f(mu + sd * u);
    w += weight;
    m1 += weight * y;
    m2 += weight * y * y;
    const z = mu + sd * u;
    if (z > 0) pos += weight;
    else if (z === 0) pos += weight / 2;
    if (Math.abs(z) > edge) beyond += weight;
  }
  const mean = m1 / w;
  return { mean, variance: Math.max(0, m2 / w - mean * mean), positive: pos / w, beyond: beyond / w };
}

/** Per-feature mean and second moment of the features the network receives (after preprocessing). */
export function featureMoments(ds: Dataset): { mean: Float64Array; secondMoment: Float64Array; std: Float64Array; range: Float64Array } {
  const { n, x } = ds.train;
  const d = ds.inputs;
  const mean = new Float64Array(d);
  const secondMoment = new Float64Array(d);
  const min = new Float64Array(d).fill(Infinity);
  const max = new Float64Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      mean[j] += v;
      secondMoment[j] += v * v;
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  const range = max.map((hi, j) => (n > 0 ? hi - min[j] : 0));
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j] /= Math.max(1, n);
    secondMoment[j] /= Math.max(1, n);
    std[j] = Math.sqrt(Math.max(0, secondMoment[j] - mean[j] * mean[j]));
  }
  return { mean, secondMoment, std, range };
}

/** Predicted output scale of every layer (engine order), or null without data. */
export function predictScales(spec: ModelSpec, ds: Dataset | null): PredictedScale[] | null {
  if (!ds || ds.train.n === 0) return null;
  const fm = featureMoments(ds);
  let width = ds.inputs;
  let mean = fm.mean.reduce((a, b) => a + b, 0) / Math.max(1, width);
  let second = fm.secondMoment.reduce((a, b) => a + b, 0) / Math.max(1, width);
  let preMean = 0;
  let preStd = 0;
  const out: PredictedScale[] = [];
  const fanOf = fans(spec, ds);
  for (const [position, l] of spec.layers.entries()) {
    let gain: number | null = null;
    let activeFraction: number | null = null;
    let saturatedFraction: number | null = null;
    if (isDense(l)) {
      const rmsIn = Math.sqrt(second);
      // a conv layer sums C·kh·kw inputs per output, as a dense layer sums its width
      const f = fanOf.get(position) ?? { in: width, out: unitsOf(l) };
      const w2 = initSecondMoment(l.init, f.in, f.out);
      const b = l.useBias ? biasMean(l.biasInit) : 0;
      const bVar = l.useBias && l.biasInit.type === 'small-gaussian' ? l.biasInit.std ** 2 : 0;
      // constant weights add the same multiple of the summed input to every unit: its mean enters too
      const variance = f.in * w2 * second + bVar;
      preMean = b + (l.init.type === 'constant' ? l.init.value * f.in * mean : 0);
      preStd = Math.sqrt(variance);
      mean = preMean;
      second = variance + preMean * preMean;
      gain = rmsIn > 0 ? preStd / rmsIn : null;
      width = unitsOf(l);
    } else if (isNormalization(l)) {
      mean = 0;
      second = 1;
      preMean = 0;
      preStd = 1;
    } else if (l.kind === 'dropout') {
      second /= 1 - l.rate;
    } else {
      const f = pointwise(l);
      if (f) {
        const m = gaussianMoments(f, preMean, preStd, SATURATION_EDGE[l.kind]);
        mean = m.mean;
        second = m.variance + m.mean * m.mean;
        if (l.kind === 'relu' || l.kind === 'relu6' || l.kind === 'leaky-relu') activeFraction = m.positive;
        if (l.kind in SATURATION_EDGE) saturatedFraction = m.beyond;
      }
    }
    out.push({ ref: { index: l.index, name: l.name }, position, kind: l.kind, mean, std: Math.sqrt(Math.max(0, second - mean * mean)), gain, activeFraction, saturatedFraction });
    if (!isDense(l) && !pointwise(l)) {
      preMean = mean;
      preStd = Math.sqrt(Math.max(0, second - mean * mean));
    }
  }
  return out;
}

/** The model summary with each layer's predicted activation std (what the reports show next to the observed one). */
export function withPredictedScales(model: ModelSummary, spec: ModelSpec, ds: Dataset | null): ModelSummary {
  const predicted = predictScales(spec, ds);
  if (!predicted) return model;
  return { ...model, layers: model.layers.map((l) => ({ ...l, predictedActivationStd: predicted[l.position]?.std ?? null })) };
}
