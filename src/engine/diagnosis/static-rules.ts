// Rules that need no training: they read the model (and the raw data statistics) only.
import type { Rule } from './rule';
import { finding, fmt } from './rule';
import { activationAfter, fittingInit, hiddenDense, isDense } from './model-shape';

const RELU_FAMILY = new Set(['relu', 'leaky-relu', 'relu6']);

/** Weight variance an initialiser gives a layer with these fans (uniform variants have the same variance). */
function initVariance(init: { type: string; value: number; std: number }, fanIn: number, fanOut: number): number {
  switch (init.type) {
    case 'zeros':
    case 'constant':
      return 0;
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

export const poorInitialization: Rule = {
  code: 'poor-initialization',
  severity: 'warning',
  stage: 'static',
  thresholds: { varianceFactor: 50 },
  evaluate(ctx, t) {
    const { spec } = ctx;
    const findings = [];
    let fanIn = ctx.dataset?.inputs ?? 0;
    for (const [position, l] of spec.layers.entries()) {
      if (!isDense(l)) continue;
      const inputs = fanIn;
      fanIn = l.units;
      const hidden = spec.layers.slice(position + 1).some(isDense);
      if (!hidden) continue;
      const after = activationAfter(spec.layers, position);
      const fit = fittingInit(after);
      const fixes = [`reinit:${l.name}:${fit}`, `reinit:${l.name}:${fit === 'he' ? 'xavier' : 'he'}`];
      if (l.init.type === 'zeros' || l.init.type === 'constant') {
        findings.push(
          finding(this, { layer: l }, `${l.name} starts with every weight equal (${l.init.type} init), so its ${l.units} units get identical gradients and stay identical.`,
            { metric: 'distinct initial weight values', value: 1, threshold: 1, comparison: '<=', details: { init: l.init.type, units: l.units } },
            fixes),
        );
        continue;
      }
      if (inputs <= 0) continue;
      const actual = initVariance(l.init, inputs, l.units);
      const wanted = fit === 'he' ? 2 / inputs : 2 / (inputs + l.units);
      const ratio = actual / wanted;
      if (ratio < 1 / t.varianceFactor || ratio > t.varianceFactor) {
        findings.push(
          finding(this, { layer: l }, `${l.name}'s initial weight variance ${fmt(actual)} is ${fmt(ratio)}x the ${fit === 'he' ? 'He' : 'Xavier'} variance ${fmt(wanted)} that fits its ${after?.kind ?? 'linear'} activation.`,
            { metric: 'init variance / fitting variance', value: ratio, threshold: ratio < 1 ? 1 / t.varianceFactor : t.varianceFactor, comparison: ratio < 1 ? '<' : '>', details: { init: l.init.type, variance: actual, fittingVariance: wanted, fanIn: inputs } },
            fixes),
        );
      }
    }
    return findings;
  },
};

export const missingActivation: Rule = {
  code: 'missing-activation',
  severity: 'warning',
  stage: 'static',
  thresholds: {},
  evaluate(ctx) {
    return hiddenDense(ctx.spec)
      .filter(({ position }) => activationAfter(ctx.spec.layers, position) === null)
      .map(({ layer }) =>
        finding(this, { layer }, `${layer.name} feeds the next dense layer with no activation in between, so the two collapse into one linear map.`,
          { metric: 'activations between dense layers', value: 0, threshold: 1, comparison: '<' },
          [`insert-activation:${layer.name}:relu`, `insert-activation:${layer.name}:tanh`]),
      );
  },
};

export const outputLossMismatch: Rule = {
  code: 'output-loss-mismatch',
  severity: 'warning',
  stage: 'static',
  thresholds: {},
  evaluate(ctx) {
    const { spec } = ctx;
    const last = spec.layers[spec.layers.length - 1];
    if (!last || isDense(last)) return [];
    const kind = last.kind;
    const crossEntropy = spec.loss !== 'mse';
    const targets = ctx.dataset?.task === 'regression' ? ctx.dataset.train.targets : null;
    const targetsOutside01 = targets ? targets.some((y) => y < 0 || y > 1) : false;
    let why: string | null = null;
    if (crossEntropy && (RELU_FAMILY.has(kind) || kind === 'tanh')) why = `${spec.loss} expects logits, but ${last.name} (${kind}) squashes them`;
    else if (spec.loss === 'softmax-cross-entropy' && kind === 'sigmoid') why = `softmax-cross-entropy applies its own softmax on top of ${last.name}'s sigmoid`;
    else if (spec.loss === 'binary-cross-entropy' && kind === 'softmax') why = `binary-cross-entropy applies its own sigmoid on top of ${last.name}'s softmax`;
    else if (spec.loss === 'mse' && kind === 'softmax') why = `mse on a softmax output learns slowly; a softmax belongs with softmax-cross-entropy`;
    else if (spec.loss === 'mse' && RELU_FAMILY.has(kind) && targets && targets.some((y) => y < 0)) why = `the targets go below zero but ${last.name} (${kind}) cannot`;
    else if (spec.loss === 'mse' && kind === 'sigmoid' && targetsOutside01) why = `the targets leave [0, 1] but ${last.name} (sigmoid) cannot`;
    if (!why) return [];
    const fixes = spec.loss === 'mse' && kind === 'softmax' && spec.data.task === 'classification'
      ? ['loss:softmax-cross-entropy', `remove-layer:${last.name}`]
      : [`remove-layer:${last.name}`];
    return [finding(this, { layer: last, field: 'loss' }, `The output does not fit the loss: ${why}.`,
      { metric: 'output activation', value: 0, threshold: 0, comparison: '=', details: { activation: kind, loss: spec.loss } }, fixes)];
  },
};

export const dropoutTooHigh: Rule = {
  code: 'dropout-too-high',
  severity: 'warning',
  stage: 'static',
  thresholds: { maxRate: 0.6, minKeptUnits: 4 },
  evaluate(ctx, t) {
    const { spec } = ctx;
    const findings = [];
    let width = ctx.dataset?.inputs ?? 0;
    for (const l of spec.layers) {
      if (isDense(l)) width = l.units;
      if (l.kind !== 'dropout') continue;
      const kept = width * (1 - l.rate);
      const tooHigh = l.rate > t.maxRate;
      const tooFew = width > 0 && kept < t.minKeptUnits && l.rate > 0;
      if (!tooHigh && !tooFew) continue;
      const rate = Math.min(0.2, Number(Math.max(0, 1 - t.minKeptUnits / Math.max(1, width)).toFixed(1)));
      findings.push(
        finding(this, { layer: l },
          tooHigh ? `${l.name} drops ${Math.round(l.rate * 100)} % of its inputs, too many for the layer to learn from.` : `${l.name} keeps only ${fmt(kept)} of ${width} units on average, too few to carry the signal.`,
          tooHigh ? { metric: 'dropout rate', value: l.rate, threshold: t.maxRate, comparison: '>' } : { metric: 'expected kept units', value: kept, threshold: t.minKeptUnits, comparison: '<', details: { width, rate: l.rate } },
          [`dropout:${l.name}:${rate}`, `dropout:${l.name}:0.1`]),
      );
    }
    return findings;
  },
};

export const unnormalizedInput: Rule = {
  code: 'unnormalized-input',
  severity: 'warning',
  stage: 'static',
  thresholds: { maxScale: 10, maxSpread: 100 },
  evaluate(ctx, t) {
    const ds = ctx.dataset;
    if (!ds || ctx.spec.data.preprocess !== 'none') return [];
    const { mean, std } = ds.rawStats;
    let scale = 0;
    let worst = 0;
    let minStd = Infinity;
    let maxStd = 0;
    for (let j = 0; j < mean.length; j++) {
      const s = Math.max(Math.abs(mean[j]), std[j]);
      if (s > scale) {
        scale = s;
        worst = j;
      }
      if (std[j] > 0) minStd = Math.min(minStd, std[j]);
      maxStd = Math.max(maxStd, std[j]);
    }
    const spread = minStd < Infinity ? maxStd / minStd : 1;
    if (scale <= t.maxScale && spread <= t.maxSpread) return [];
    const feature = ds.featureNames[worst] ?? `feature ${worst}`;
    const byScale = scale > t.maxScale;
    return [
      finding(this, { field: 'data' },
        byScale ? `Input "${feature}" has mean ${fmt(mean[worst])} and std ${fmt(std[worst])}, far from zero-centred unit scale, and preprocess is "none".`
          : `Input feature scales differ ${fmt(spread)}x (std ${fmt(minStd)} to ${fmt(maxStd)}) and preprocess is "none".`,
        byScale ? { metric: 'largest |mean| or std of a raw feature', value: scale, threshold: t.maxScale, comparison: '>', details: { feature, mean: mean[worst], std: std[worst] } }
          : { metric: 'largest / smallest feature std', value: spread, threshold: t.maxSpread, comparison: '>' },
        ['standardize'],
      ),
    ];
  },
};

export const tinyBatchNorm: Rule = {
  code: 'batchnorm-unstable',
  severity: 'warning',
  stage: 'static',
  thresholds: { minBatch: 8 },
  evaluate(ctx, t) {
    const bn = ctx.spec.layers.find((l) => l.kind === 'batchnorm');
    if (!bn || ctx.spec.batchSize >= t.minBatch) return [];
    return [
      finding(this, { layer: bn, field: 'batchSize' }, `${bn.name} normalises over batches of ${ctx.spec.batchSize}, too few samples for stable batch statistics.`,
        { metric: 'batch size', value: ctx.spec.batchSize, threshold: t.minBatch, comparison: '<' },
        ['batch-size:32']),
    ];
  },
};
