// Rules over per-layer gradient and update statistics. Each compares medians over a trailing window of
// probes, and gradient sizes relative to the other layers of the same network, so the scale of a problem
// (which changes as the loss falls) does not make a healthy layer look vanishing or exploding.
import type { Rule, RuleContext } from './rule';
import { finding, fmt, median } from './rule';
import { fractionWhere, lossProgress, stepRange, trailingWindow, unlessHarmless, values, type LayerSeries } from './history';
import { denseNames, hiddenDense, isDense, stackShape } from './model-shape';
import { derivedClipNorm, lowerLrFix, raiseLrFixes, saturatingStackFixes } from './fix-choice';
import type { LayerProbe } from '../types';
import { traitsOf } from '../spec/layer-kinds';

const SATURATING = new Set(['sigmoid', 'tanh']);

function denseSeries(ctx: RuleContext, window: number): LayerSeries[] {
  return trailingWindow(ctx.probes, window).filter((s) => traitsOf(s.kind)?.hasWeights && s.points.length > 0);
}

function hasSaturatingHidden(ctx: RuleContext): boolean {
  const layers = ctx.spec.layers;
  return layers.some((l, i) => SATURATING.has(l.kind) && layers.slice(i + 1).some(isDense));
}

/** Enough probes, over enough of the run, to judge at all. */
const enough = (ctx: RuleContext, t: Record<string, number>) => ctx.probes.length >= t.minProbes;

/** Root-mean-square gradient entry: comparable across layers of different sizes. */
function gradRms(p: LayerProbe): number | null {
  if (p.gradNorm === null || !p.histogram) return null;
  let n = 0;
  for (const c of p.histogram) n += c;
  return n > 0 ? p.gradNorm / Math.sqrt(n) : null;
}

const gradToWeight = (p: LayerProbe) => (p.gradNorm !== null && p.weightNorm ? p.gradNorm / p.weightNorm : null);

/** Fixes for gradients of the wrong size: a whole stack started at the wrong scale is re-initialised. */
function initIsOff(ctx: RuleContext): boolean {
  return ctx.spec.layers.some((l) => isDense(l) && (l.init.type === 'small-gaussian' || l.init.type === 'constant' || l.init.type === 'zeros'));
}

export const explodingGradients: Rule = {
  code: 'exploding-gradients',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, gradToWeight: 3, growthMax: 1000, holdFraction: 0.8 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    const win = denseSeries(ctx, t.window);
    const first = denseSeries({ ...ctx, probes: ctx.probes.slice(0, t.window) }, t.window);
    // gradients that grow while the loss falls are a stack waking up from a vanished start, not exploding
    const recovering = (lossProgress(ctx, t.window, 3)?.improvement ?? 0) > 0;
    let worst: { s: LayerSeries; ratio: number; growth: number } | null = null;
    for (const s of win) {
      const ratios = values(s, gradToWeight);
      const ratio = median(ratios);
      const start = median(values(first.find((f) => f.position === s.position) ?? s, (p) => p.gradNorm));
      const growth = median(values(s, (p) => p.gradNorm)) / start;
      const big = ratio > t.gradToWeight && fractionWhere(ratios, (x) => x > t.gradToWeight) >= t.holdFraction;
      if ((big || (growth > t.growthMax && !recovering)) && (!worst || ratio > worst.ratio)) worst = { s, ratio, growth };
    }
    if (!worst) return [];
    const { s, ratio, growth } = worst;
    const byRatio = ratio > t.gradToWeight;
    const clip = `clip-norm:${derivedClipNorm(ctx.probes)}`;
    const reinit = `reinit:${denseNames(ctx.spec)}:he`;
    const lr = lowerLrFix(ctx);
    return [
      finding(this, { layer: s.ref },
        byRatio ? `Gradients at ${s.ref.name} are ${fmt(ratio)}x the size of its weights: one step can wipe out what the layer holds.` : `Gradients at ${s.ref.name} grew ${fmt(growth)}x since the start of training.`,
        byRatio
          ? { metric: 'gradient norm / weight norm (median)', value: ratio, threshold: t.gradToWeight, comparison: '>', ...stepRange(s), details: { growth } }
          : { metric: 'gradient norm growth since start (median)', value: growth, threshold: t.growthMax, comparison: '>', ...stepRange(s), details: { gradToWeight: ratio } },
        initIsOff(ctx) ? [reinit, clip, lr] : [clip, lr, `insert-batchnorm:${s.ref.name}`]),
    ];
  },
};

export const vanishingGradients: Rule = {
  code: 'vanishing-gradients',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, ratioMin: 0.01, holdFraction: 0.8 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    const win = denseSeries(ctx, t.window);
    if (win.length < 2) return [];
    const meds = win.map((s) => median(values(s, gradRms)));
    const top = Math.max(...meds);
    if (!(top > 0)) return [];
    let worst = -1;
    for (let i = 0; i < win.length - 1; i++) {
      const ratios = values(win[i], gradRms).map((g) => g / top);
      // blame the earliest such layer: the gradient dies on its way back to the input
      if (meds[i] / top < t.ratioMin && fractionWhere(ratios, (r) => r < t.ratioMin) >= t.holdFraction) {
        worst = i;
        break;
      }
    }
    if (worst < 0) return [];
    const s = win[worst];
    const ratio = meds[worst] / top;
    // every layer from the input up to the last starved one is affected; the fix edits them all
    const starved = win.map((w, i) => ({ w, r: meds[i] / top })).filter(({ r }, i) => i < win.length - 1 && r < t.ratioMin);
    const hidden = hiddenDense(ctx.spec).map((h) => h.layer.name).join(',');
    const { depth, minWidth } = stackShape(ctx.spec);
    // re-initialising layers that already start with He's variance would change nothing
    const allHe = ctx.spec.layers.every((l) => !isDense(l) || l.init.type === 'he' || l.init.type === 'he-uniform');
    const fixes = hasSaturatingHidden(ctx)
      ? [...saturatingStackFixes(ctx.spec), `reinit:${denseNames(ctx.spec)}:xavier`]
      : [...(allHe ? [] : [`reinit:${denseNames(ctx.spec)}:he`]), `insert-batchnorm:${hidden}`];
    return [
      unlessHarmless(ctx, finding(this, { layers: starved.map(({ w, r }) => ({ layer: w.ref, value: r, note: `RMS gradient ${fmt(r)} of the largest layer's` })) },
        `Gradients reaching ${s.ref.name} are ${fmt(ratio)} of the largest layer's (per weight): on the way back each layer multiplies the gradient by its weights and its activation's slope, and here the product has shrunk so far that the first layers barely learn.`,
        { metric: 'RMS gradient / largest layer RMS gradient (median)', value: ratio, threshold: t.ratioMin, comparison: '<', ...stepRange(s), details: { rmsGradient: meds[worst], largestRmsGradient: top, depth, minWidth } },
        fixes)),
    ];
  },
};

export const updateRatio: Rule = {
  code: 'update-ratio',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, minEpochs: 3, max: 0.2, min: 1e-4, stuckImprovement: 0.1, stillHigh: 0.5, decayedLr: 0.01 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    // tiny steps are normal once the loss has come down; they only matter while it is still high
    const progress = lossProgress(ctx, t.window, t.minEpochs);
    const improved = progress?.improvement ?? 0;
    const lr = ctx.spec.optimizer.lr;
    const series = denseSeries(ctx, t.window).map((s) => {
      const r = values(s, (p) => p.updateRatio);
      return { s, r, m: median(r) };
    });
    for (const { s, r, m } of series) {
      if (m > t.max && fractionWhere(r, (x) => x > t.max) >= 0.8) {
        return [finding(this, { layer: s.ref }, `Each step changes ${s.ref.name}'s weights by ${fmt(m * 100)} % of their size (a healthy step is about 0.1 %): the learning rate is far too high for it.`,
          { metric: 'update / weight norm (median)', value: m, threshold: t.max, comparison: '>', ...stepRange(s), details: { lr } },
          [lowerLrFix(ctx), `clip-norm:${derivedClipNorm(ctx.probes)}`, 'schedule:step'])];
      }
    }
    // the layers crawl (a healthy step is about 1e-3 of the weights; the typical layer is judged, since a
    // small output layer moves faster) while the loss is stuck or still high
    const measured = series.filter((x) => x.r.length > 0);
    // a schedule that decayed the learning rate to nothing is loss-plateau's finding (its fix is the schedule)
    const lrNow = ctx.epochs[ctx.epochs.length - 1]?.lr ?? lr;
    if (lrNow < t.decayedLr * lr) return [];
    const slow = measured.filter(({ r, m }) => m < t.min && fractionWhere(r, (x) => x < t.min) >= 0.8);
    // the typical layer among the hidden ones when there are any: with one hidden layer, a median over
    // all layers would be the mean of the crawling layer and the fast output layer
    const lastWeighted = Math.max(...measured.map((x) => x.s.position));
    const hidden = measured.filter((x) => x.s.position !== lastWeighted);
    const typical = median((hidden.length ? hidden : measured).map((x) => x.m));
    const crawling = measured.length > 0 && typical < t.min && slow.length > 0;
    const stillHigh = improved < t.stuckImprovement || (progress !== null && progress.recent > t.stillHigh * progress.initial);
    if (!crawling || !stillHigh) return [];
    return [finding(this, { layers: slow.map(({ s, m }) => ({ layer: s.ref, value: m, note: `update / weight ${fmt(m)}` })) },
      `Each step changes the weights of ${slow.map((x) => x.s.ref.name).join(', ')} by about ${fmt(typical)} of their size (a healthy step is about 1e-3) while the loss is ${improved < t.stuckImprovement ? 'stuck' : `still at ${fmt((1 - improved) * 100)} % of where it started`}: the learning rate in force (${fmt(lrNow)}) is too low to get anywhere.`,
      { metric: 'typical hidden layer update / weight norm (median over layers)', value: typical, threshold: t.min, comparison: '<', ...stepRange(slow[0].s), details: { lr: lrNow, lossImprovement: improved } },
      raiseLrFixes(ctx))];
  },
};
