// Rules that need no training: they read the model (and the raw data statistics) only.
import type { Rule } from './rule';
import { finding, fmt } from './rule';
import type { BatchNormSpec, LayerSpec } from '../spec/model-spec';
import { activationAfter, denseBefore, fans, fittingInit, hiddenDense, isDense, inputShapes, normalizedAfter, positionsPerChannel, unitsOf, withFittingInits, type FittingInit, type WeightSpec } from './model-shape';
import { featureMoments, initSecondMoment, predictScales } from './scale';
import { saturatingStackFixes } from './fix-choice';

const RELU_FAMILY = new Set(['relu', 'leaky-relu', 'relu6']);

const initName = (kind: FittingInit) => (kind === 'he' ? 'He' : kind === 'lecun' ? 'LeCun' : 'Xavier');

/**
 * One cause, every layer it affects: weights that start equal (no symmetry breaking), a stack whose
 * predicted signal scale (propagated layer by layer from the data and the initialisers) drifts far from
 * what fitting initialisers give, and biases that switch a ReLU layer off before it has seen a sample.
 */
export const poorInitialization: Rule = {
  code: 'poor-initialization',
  severity: 'warning',
  stage: 'static',
  thresholds: { varianceFactor: 50, maxDrift: 10, minActive: 0.05, maxSaturated: 0.5, sigmoidDepth: 4 },
  evaluate(ctx, t) {
    const { spec } = ctx;
    const findings = [];
    const dense = spec.layers.map((l, position) => ({ l, position })).filter((x): x is { l: WeightSpec; position: number } => isDense(x.l));
    const hidden = dense.filter(({ position }) => spec.layers.slice(position + 1).some(isDense));
    const fanOf = fans(spec, ctx.dataset);
    const fitOf = (position: number) => fittingInit(activationAfter(spec.layers, position), fanOf.get(position));
    const reinit = (names: string[], kind: FittingInit) => `reinit:${names.join(',')}:${kind}`;

    const symmetric = hidden.filter(({ l }) => l.init.type === 'zeros' || l.init.type === 'constant');
    if (symmetric.length) {
      const fit = fitOf(symmetric[0].position);
      findings.push(
        finding(this, { layers: symmetric.map(({ l }) => ({ layer: l, value: 1, note: `${l.init.type} init` })) },
          `${list(symmetric.map(({ l }) => l.name))} start${symmetric.length === 1 ? 's' : ''} with every weight equal (${symmetric[0].l.init.type} init): all units of a layer compute the same thing, get the same gradient and stay identical, so the layer behaves like a single unit.`,
          { metric: 'distinct initial weight values', value: 1, threshold: 1, comparison: '<=', details: { init: symmetric[0].l.init.type, layers: symmetric.length } },
          [reinit(symmetric.map(({ l }) => l.name), fit), reinit(symmetric.map(({ l }) => l.name), fit === 'he' ? 'xavier' : 'he')]),
      );
    }

    const predicted = predictScales(spec, ctx.dataset);
    const fitting = predictScales(withFittingInits(spec, ctx.dataset), ctx.dataset);
    if (predicted && fitting) {
      // the signal each dense layer passes on, against what a well-initialised copy of the model passes on
      const drift = dense.map(({ l, position }) => ({ l, position, ratio: predicted[position].std / fitting[position].std, predicted: predicted[position].std, fitting: fitting[position].std }));
      const finite = drift.filter((d) => Number.isFinite(d.ratio) && d.ratio > 0);
      const worstHigh = finite.reduce((a, d) => (d.ratio > (a?.ratio ?? 0) ? d : a), null as (typeof drift)[number] | null);
      // a small output layer (logits near zero at the start) is common practice and harmless: only large ones count
      const worstLow = finite.filter((d) => hiddenOnly(hidden, d.l)).reduce((a, d) => (d.ratio < (a?.ratio ?? Infinity) ? d : a), null as (typeof drift)[number] | null);
      const fanIn = (position: number) => fanOf.get(position)?.in ?? 0;
      // a layer is to blame when its own weight variance is off the fitting one (in the drift's direction)
      const varianceRatio = (l: WeightSpec, position: number) => {
        const n = fanIn(position);
        const out = fanOf.get(position)?.out ?? unitsOf(l);
        const wanted = initSecondMoment({ ...l.init, type: fitOf(position) }, n, out);
        return wanted > 0 ? initSecondMoment(l.init, n, out) / wanted : 1;
      };
      const symmetricNames = new Set(symmetric.map(({ l }) => l.name));
      for (const [dir, worst] of [['explodes', worstHigh], ['vanishes', worstLow]] as const) {
        if (!worst) continue;
        const off = dir === 'explodes' ? worst.ratio > t.maxDrift : worst.ratio < 1 / t.maxDrift;
        const perLayer = drift.filter(({ l, position }) => {
          if (symmetricNames.has(l.name) || normalizedAfter(spec.layers, position)) return false;
          if (dir === 'vanishes' && !hiddenOnly(hidden, l)) return false;
          const v = varianceRatio(l, position);
          return dir === 'explodes' ? v > 2 : v < 0.5;
        });
        const single = drift.filter(({ l, position }) => !symmetricNames.has(l.name) && hiddenOnly(hidden, l) && (varianceRatio(l, position) > t.varianceFactor || varianceRatio(l, position) < 1 / t.varianceFactor));
        const blamed = off ? perLayer : single.filter((d) => (dir === 'explodes' ? varianceRatio(d.l, d.position) > 1 : varianceRatio(d.l, d.position) < 1));
        if (blamed.length === 0) continue;
        const names = blamed.map(({ l }) => l.name);
        const fit = commonFit(blamed.map(({ position }) => fitOf(position)));
        // sigmoid's slope of at most 1/4 starves a deep stack even at the right scale: switch it instead
        const sigmoidStack = blamed.some(({ position }) => activationAfter(spec.layers, position)?.kind === 'sigmoid') && hidden.length >= t.sigmoidDepth;
        const layers = blamed.map(({ l, position, predicted: p, fitting: f }) => ({ layer: l, value: varianceRatio(l, position), note: `init variance ${fmt(varianceRatio(l, position))}x the ${initName(fitOf(position))} variance; predicted activation std ${fmt(p)} (fitting init: ${fmt(f)})` }));
        const message = off
          ? `The signal ${dir} through the stack before training starts: with these initialisers the activations of ${worst.l.name} are predicted at std ${fmt(worst.predicted)}, ${fmt(worst.ratio)}x what ${initName(fit)}-style initialisation gives (${fmt(worst.fitting)}). ${list(names)} start${names.length === 1 ? 's' : ''} with weights ${dir === 'explodes' ? 'too large' : 'too small'} for ${names.length === 1 ? 'its' : 'their'} fan-in, and each layer multiplies the error.`
          : `${list(names)} start${names.length === 1 ? 's' : ''} with a weight variance ${fmt(layers[0].value)}x the ${initName(fit)} variance that fits ${names.length === 1 ? 'its' : 'their'} activation.`;
        findings.push(
          finding(this, { layers },
            message,
            off
              ? { metric: 'predicted activation std / std with fitting init', value: worst.ratio, threshold: dir === 'explodes' ? t.maxDrift : 1 / t.maxDrift, comparison: dir === 'explodes' ? '>' : '<', details: { layer: worst.l.name, predictedStd: worst.predicted, fittingStd: worst.fitting } }
              : { metric: 'init variance / fitting variance', value: layers[0].value, threshold: layers[0].value > 1 ? t.varianceFactor : 1 / t.varianceFactor, comparison: layers[0].value > 1 ? '>' : '<', details: { init: blamed[0].l.init.type } },
            sigmoidStack
              ? [...saturatingStackFixes(spec), reinit(names, fit)]
              : [reinit(names, fit), ...(fit === 'he' ? [] : [reinit(names, 'he')]), `insert-batchnorm:${names.join(',')}`]),
        );
        break;
      }
      // biases that switch a ReLU layer off, or pin a sigmoid/tanh at its flat end, before it sees a sample
      const pinned = predicted
        .filter((p) => (p.activeFraction !== null && p.activeFraction < t.minActive) || (p.saturatedFraction !== null && p.saturatedFraction > t.maxSaturated))
        .map((p) => ({ p, d: denseBefore(spec, p.position) }))
        .filter((x): x is { p: (typeof predicted)[number]; d: WeightSpec } => !!x.d && x.d.useBias && Math.abs(biasMeanOf(x.d)) > predicted[spec.layers.indexOf(x.d)].std)
        .filter(({ p, d }) => p.activeFraction === null || biasMeanOf(d) < 0);
      if (pinned.length) {
        const names = pinned.map((x) => x.d.name);
        const first = pinned[0];
        const what = (x: (typeof pinned)[number]) => (x.p.activeFraction !== null ? `${fmt((1 - x.p.activeFraction) * 100)} % of its ReLU outputs predicted zero` : `${fmt(x.p.saturatedFraction! * 100)} % of its ${x.p.kind} outputs predicted in the flat ends`);
        const effect = first.p.activeFraction !== null
          ? 'the ReLU units output zero for almost every input: they get no gradient and never start learning'
          : `the ${first.p.kind} units start in their flat ends, where the slope is almost zero, so they barely learn`;
        findings.push(
          finding(this, { layers: pinned.map((x) => ({ layer: x.d, value: x.p.activeFraction ?? x.p.saturatedFraction!, note: `bias starts at ${fmt(biasMeanOf(x.d))}: ${what(x)}` })) },
            `${list(names)} start${names.length === 1 ? 's' : ''} with biases of ${fmt(biasMeanOf(first.d))}, far beyond the spread of ${names.length === 1 ? 'its' : 'their'} weighted inputs, so ${effect}.`,
            first.p.activeFraction !== null
              ? { metric: 'predicted fraction of positive pre-activations', value: first.p.activeFraction, threshold: t.minActive, comparison: '<', details: { biasInit: biasMeanOf(first.d) } }
              : { metric: 'predicted saturated output fraction', value: first.p.saturatedFraction!, threshold: t.maxSaturated, comparison: '>', details: { biasInit: biasMeanOf(first.d) } },
            [`bias-init:${names.join(',')}`, ...(first.p.activeFraction !== null ? [`leaky-relu:${pinned.map((x) => x.p.ref.name).join(',')}`] : [])]),
        );
      }
    }
    return findings;
  },
};

/** One initialiser for a one-edit fix of several layers: the one that fits most of them (ties: the first layer's). */
function commonFit(kinds: FittingInit[]): FittingInit {
  const count = (k: FittingInit) => kinds.filter((x) => x === k).length;
  return kinds.reduce((best, k) => (count(k) > count(best) ? k : best), kinds[0]);
}

const biasMeanOf = (d: WeightSpec) => (d.biasInit.type === 'constant' ? d.biasInit.value : 0);
const hiddenOnly = (hidden: { l: WeightSpec }[], l: WeightSpec) => hidden.some((h) => h.l === l);

/** "a", "a and b", "a, b and c". */
export function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export const missingActivation: Rule = {
  code: 'missing-activation',
  severity: 'warning',
  stage: 'static',
  thresholds: {},
  evaluate(ctx) {
    const bare = hiddenDense(ctx.spec).filter(({ position }) => activationAfter(ctx.spec.layers, position) === null);
    if (bare.length === 0) return [];
    const names = bare.map(({ layer }) => layer.name);
    return [
      finding(this, { layers: bare.map(({ layer }) => ({ layer, value: 0 })) },
        `${list(names)} feed${names.length === 1 ? 's' : ''} the next dense layer with no non-linear activation in between (a "linear" layer is the identity), so the stack collapses into one linear map and can only draw straight boundaries.`,
        { metric: 'non-linear activations between dense layers', value: 0, threshold: 1, comparison: '<', details: { layers: names.length } },
        [`insert-activation:${names.join(',')}:relu`, `insert-activation:${names.join(',')}:tanh`]),
    ];
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
    else if (spec.loss === 'mse' && kind === 'tanh' && targets && targets.some((y) => y < -1 || y > 1)) why = `the targets leave [-1, 1] but ${last.name} (tanh) cannot`;
    if (!why) return [];
    const fixes = spec.loss === 'mse' && kind === 'softmax' && spec.data.task === 'classification'
      ? ['loss:softmax-cross-entropy', `remove-layer:${last.name}`]
      : [`remove-layer:${last.name}`];
    return [finding(this, { layer: last, field: 'loss' }, `The output does not fit the loss: ${why}.`,
      { metric: 'output activation', value: 0, threshold: 0, comparison: '=', details: { activation: kind, loss: spec.loss } }, fixes)];
  },
};

/** P(X < k) for X ~ Binomial(n, p). */
export function binomialBelow(n: number, p: number, k: number): number {
  let term = (1 - p) ** n; // P(X = 0)
  let sum = 0;
  for (let i = 0; i < Math.min(k, n + 1); i++) {
    sum += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return Math.min(1, sum);
}

export const dropoutTooHigh: Rule = {
  code: 'dropout-too-high',
  severity: 'warning',
  stage: 'static',
  thresholds: { maxRate: 0.6, minKeptUnits: 4, starvedSteps: 0.25 },
  evaluate(ctx, t) {
    const { spec } = ctx;
    const hits: { l: LayerSpec & { rate: number }; width: number; kept: number; starved: number; tooHigh: boolean }[] = [];
    let width = ctx.dataset?.inputs ?? 0;
    // dropout drops single values: after a conv layer its units are all C·H·W values, not the C filters
    const shapes = inputShapes(spec, ctx.dataset);
    // each step keeps a binomial number of units: judged by how often it keeps too few, not by its mean,
    // since a mean of exactly enough leaves a third of the steps short
    const starvedShare = (n: number, rate: number) => binomialBelow(n, 1 - rate, t.minKeptUnits);
    for (const [position, l] of spec.layers.entries()) {
      if (isDense(l)) width = unitsOf(l);
      if (l.kind !== 'dropout') continue;
      const input = shapes.get(position);
      if (input) width = input.reduce((a, b) => a * b, 1);
      const kept = width * (1 - l.rate);
      const starved = width > 0 && l.rate > 0 ? starvedShare(width, l.rate) : 0;
      const tooHigh = l.rate > t.maxRate;
      if (tooHigh || starved >= t.starvedSteps) hits.push({ l, width, kept, starved, tooHigh });
    }
    if (hits.length === 0) return [];
    // one rate, never above 0.2, that starves the narrowest affected layer rarely enough (0: no dropout)
    const narrowest = Math.min(...hits.map((h) => h.width));
    const rate = [0.2, 0.1].find((r) => narrowest === 0 || starvedShare(narrowest, r) < t.starvedSteps) ?? 0;
    const names = hits.map((h) => h.l.name);
    const first = hits[0];
    return [
      finding(this, { layers: hits.map((h) => ({ layer: h.l, value: h.l.rate, note: `keeps ${fmt(h.kept)} of ${h.width} units on average; fewer than ${t.minKeptUnits} in ${fmt(h.starved * 100)} % of steps` })) },
        first.tooHigh ? `${list(names)} drop${names.length === 1 ? 's' : ''} ${Math.round(first.l.rate * 100)} % of ${names.length === 1 ? 'its' : 'their'} inputs at every step, too many for the next layer to learn from.` : `${list(names)} keep${names.length === 1 ? 's' : ''} ${fmt(first.kept)} of ${first.width} units on average, and fewer than ${t.minKeptUnits} in ${fmt(first.starved * 100)} % of steps: too few to carry the signal.`,
        first.tooHigh ? { metric: 'dropout rate', value: first.l.rate, threshold: t.maxRate, comparison: '>' } : { metric: 'share of steps keeping fewer than minKeptUnits units', value: first.starved, threshold: t.starvedSteps, comparison: '>=', details: { width: first.width, rate: first.l.rate, expectedKept: first.kept } },
        [`dropout:${names.join(',')}:${rate}`, `dropout:${names.join(',')}:0.1`]),
    ];
  },
};

/**
 * Judges the features the network actually receives (after `preprocess`): zero-centring alone leaves a
 * feature in the thousands next to one in the thousandths.
 */
export const unnormalizedInput: Rule = {
  code: 'unnormalized-input',
  severity: 'warning',
  stage: 'static',
  thresholds: { maxScale: 10, maxSpread: 100, unitScale: 1 },
  evaluate(ctx, t) {
    const ds = ctx.dataset;
    if (!ds || ds.train.n === 0) return [];
    const { mean, std, range } = featureMoments(ds);
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
      // a sparse feature (mostly 0, sometimes 1, like a border pixel) has a tiny std but a full range:
      // its magnitude is set by the values it takes, not by how rarely it takes them
      const magnitude = Math.max(std[j], range[j] / 6);
      if (magnitude > 0) minStd = Math.min(minStd, magnitude);
      maxStd = Math.max(maxStd, std[j]);
    }
    // initialisers assume unit-scale inputs: a spread matters when the large features reach that scale
    // (pixels that all live in [0, 1] differ in spread without any feature being drowned)
    const spread = minStd < Infinity && maxStd >= t.unitScale ? maxStd / minStd : 1;
    if (scale <= t.maxScale && spread <= t.maxSpread) return [];
    const feature = ds.featureNames[worst] ?? `feature ${worst}`;
    const byScale = scale > t.maxScale;
    const pre = ctx.spec.data.preprocess;
    const after = pre === 'none' ? 'with preprocess "none"' : `after preprocess "${pre}"`;
    return [
      finding(this, { field: 'data' },
        byScale ? `The network receives input "${feature}" with mean ${fmt(mean[worst])} and std ${fmt(std[worst])} ${after}: far from zero-centred unit scale, so the first layer's sums are huge and dominated by this one feature.`
          : `The network receives features whose scales differ ${fmt(spread)}x (std ${fmt(minStd)} to ${fmt(maxStd)}) ${after}: the small ones are drowned by the large ones.`,
        byScale ? { metric: 'largest |mean| or std of a received feature', value: scale, threshold: t.maxScale, comparison: '>', details: { feature, mean: mean[worst], std: std[worst], preprocess: pre } }
          : { metric: 'largest / smallest received feature std', value: spread, threshold: t.maxSpread, comparison: '>', details: { preprocess: pre } },
        ['standardize'],
      ),
    ];
  },
};

export const tinyBatchNorm: Rule = {
  code: 'batchnorm-unstable',
  severity: 'warning',
  stage: 'static',
  thresholds: { minBatch: 8, maxInitialWeight: 0.1 },
  evaluate(ctx, t) {
    const bns = ctx.spec.layers.filter((l): l is BatchNormSpec => l.kind === 'batchnorm');
    if (bns.length === 0) return [];
    // after a conv layer each channel's statistics cover batch × H × W values: a small batch is a problem
    // there only when the image is about 1×1
    const shapes = inputShapes(ctx.spec, ctx.dataset);
    const few = bns.filter((bn) => ctx.spec.batchSize * positionsPerChannel(shapes.get(ctx.spec.layers.indexOf(bn))) < t.minBatch);
    if (few.length > 0) {
      return [
        finding(this, { layers: few.map((bn) => ({ layer: bn, value: ctx.spec.batchSize })), field: 'batchSize' }, `${list(few.map((b) => b.name))} normalise${few.length === 1 ? 's' : ''} over batches of ${ctx.spec.batchSize}, too few samples for stable batch statistics.`,
          { metric: 'batch size', value: ctx.spec.batchSize, threshold: t.minBatch, comparison: '<' },
          ['batch-size:32']),
      ];
    }
    // running = momentum * running + (1 - momentum) * batch: after S steps the starting values still weigh momentum^S
    const trainSamples = ctx.dataset?.train.n ?? 0;
    if (trainSamples === 0) return [];
    const steps = ctx.spec.epochs * Math.ceil(trainSamples / ctx.spec.batchSize);
    const slow = bns.map((bn) => ({ bn, left: bn.momentum ** steps })).filter((x) => x.left > t.maxInitialWeight);
    if (slow.length === 0) return [];
    const momentum = Math.min(0.9, Number((t.maxInitialWeight ** (3 / steps)).toFixed(2)));
    return [
      finding(this, { layers: slow.map((x) => ({ layer: x.bn, value: x.left, note: `momentum ${x.bn.momentum}` })) },
        `${list(slow.map((x) => x.bn.name))} average${slow.length === 1 ? 's' : ''} batch statistics with momentum ${slow[0].bn.momentum}: over this run's ${steps} steps the running mean and variance keep ${fmt(slow[0].left * 100)} % of their starting values, so evaluation normalises with statistics the data never had.`,
        { metric: 'weight of the initial running statistics at the end of training', value: slow[0].left, threshold: t.maxInitialWeight, comparison: '>', details: { steps, momentum: slow[0].bn.momentum } },
        [`batchnorm-momentum:${slow.map((x) => x.bn.name).join(',')}:${momentum}`]),
    ];
  },
};
