// Rules over per-layer gradient and update statistics. Each compares medians over a trailing window of
// probes, and gradient sizes relative to the other layers of the same network, so the scale of a problem
// (which changes as the loss falls) does not make a healthy layer look vanishing or exploding.
import type { ProbeSnapshot } from '../types';
import type { Rule, RuleContext } from './rule';
import { finding, fmt, median, scaledLr } from './rule';
import { fractionWhere, stepRange, trailingWindow, values, type LayerSeries } from './history';
import { denseNames, isDense } from './model-shape';

const SATURATING = new Set(['sigmoid', 'tanh']);

function denseSeries(ctx: RuleContext, window: number): LayerSeries[] {
  return trailingWindow(ctx.probes, window).filter((s) => s.kind === 'dense' && s.points.length > 0);
}

/** Global gradient norm of a snapshot from its per-layer norms. */
function globalNorm(snap: ProbeSnapshot): number {
  let s = 0;
  for (const l of snap.layers) s += (l.gradNorm ?? 0) ** 2 + (l.biasGradNorm ?? 0) ** 2;
  return Math.sqrt(s);
}

/** A clipping threshold from the norms seen at the start of training, one significant digit, at least 1. */
export function derivedClipNorm(probes: readonly ProbeSnapshot[]): number {
  const early = probes.slice(0, 5).map(globalNorm).filter(Number.isFinite);
  const m = median(early);
  if (!Number.isFinite(m) || m <= 1) return 1;
  return Number(m.toPrecision(1));
}

function hasSaturatingHidden(ctx: RuleContext): boolean {
  const layers = ctx.spec.layers;
  return layers.some((l, i) => SATURATING.has(l.kind) && layers.slice(i + 1).some(isDense));
}

/** Enough probes, over enough of the run, to judge at all. */
const enough = (ctx: RuleContext, t: Record<string, number>) => ctx.probes.length >= t.minProbes;

export const explodingGradients: Rule = {
  code: 'exploding-gradients',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, ratioMax: 100, growthMax: 1000, holdFraction: 0.8 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    const win = denseSeries(ctx, t.window);
    if (win.length < 2) return [];
    const output = win[win.length - 1];
    const ref = median(values(output, (p) => p.gradNorm));
    const first = denseSeries({ ...ctx, probes: ctx.probes.slice(0, t.window) }, t.window);
    for (const s of win.slice(0, -1)) {
      const norms = values(s, (p) => p.gradNorm);
      const m = median(norms);
      const ratio = m / ref;
      const start = median(values(first.find((f) => f.position === s.position) ?? s, (p) => p.gradNorm));
      const growth = m / start;
      const relHold = fractionWhere(norms, (x) => x / ref > t.ratioMax) >= t.holdFraction;
      if (!(ratio > t.ratioMax && relHold) && !(growth > t.growthMax)) continue;
      const byRatio = ratio > t.ratioMax;
      const fromInit = byRatio && !ctx.spec.layers.every((l) => !isDense(l) || l.init.type === 'he' || l.init.type === 'xavier');
      const clip = `clip-norm:${derivedClipNorm(ctx.probes)}`;
      const reinit = `reinit:${denseNames(ctx.spec)}:he`;
      const lr = `lr:${scaledLr(ctx.spec.optimizer.lr, 0.1)}`;
      return [
        finding(this, { layer: s.ref },
          byRatio ? `Gradients at ${s.ref.name} are ${fmt(ratio)}x those at the output layer: they grow as they flow back.` : `Gradients at ${s.ref.name} grew ${fmt(growth)}x since the start of training.`,
          byRatio
            ? { metric: 'gradient norm / output-layer gradient norm (median)', value: ratio, threshold: t.ratioMax, comparison: '>', ...stepRange(s), details: { gradNorm: m, outputGradNorm: ref } }
            : { metric: 'gradient norm growth since start (median)', value: growth, threshold: t.growthMax, comparison: '>', ...stepRange(s), details: { gradNorm: m, startGradNorm: start } },
          fromInit ? [reinit, clip, 'insert-batchnorm:' + s.ref.name] : [clip, lr, reinit]),
      ];
    }
    return [];
  },
};

export const vanishingGradients: Rule = {
  code: 'vanishing-gradients',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, ratioMin: 1e-3, holdFraction: 0.8 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    const win = denseSeries(ctx, t.window);
    if (win.length < 2) return [];
    const meds = win.map((s) => median(values(s, (p) => p.gradNorm)));
    const top = Math.max(...meds);
    if (!(top > 0)) return [];
    let worst = -1;
    for (let i = 0; i < win.length - 1; i++) {
      const ratios = values(win[i], (p) => p.gradNorm).map((g) => g / top);
      if (meds[i] / top < t.ratioMin && fractionWhere(ratios, (r) => r < t.ratioMin) >= t.holdFraction && (worst < 0 || meds[i] < meds[worst])) worst = i;
    }
    if (worst < 0) return [];
    const s = win[worst];
    const ratio = meds[worst] / top;
    const fixes = hasSaturatingHidden(ctx)
      ? ['relu-he:*', `reinit:${denseNames(ctx.spec)}:xavier`, `insert-batchnorm:${s.ref.name}`]
      : [`reinit:${denseNames(ctx.spec)}:he`, `insert-batchnorm:${s.ref.name}`];
    return [
      finding(this, { layer: s.ref }, `Gradients reaching ${s.ref.name} are ${fmt(ratio)} of the largest layer's: it barely learns.`,
        { metric: 'gradient norm / largest layer gradient norm (median)', value: ratio, threshold: t.ratioMin, comparison: '<', ...stepRange(s), details: { gradNorm: meds[worst], largestGradNorm: top } },
        fixes),
    ];
  },
};

export const updateRatio: Rule = {
  code: 'update-ratio',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, max: 0.5, min: 1e-6, stuckImprovement: 0.1 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    const losses = ctx.probes.map((p) => p.loss).filter(Number.isFinite);
    // tiny steps are normal once the loss has come down; they only matter while it is still stuck
    const improved = losses.length ? 1 - median(losses.slice(-t.window)) / median(losses.slice(0, t.window)) : 0;
    const lr = ctx.spec.optimizer.lr;
    for (const s of denseSeries(ctx, t.window)) {
      const r = values(s, (p) => p.updateRatio);
      const m = median(r);
      if (m > t.max && fractionWhere(r, (x) => x > t.max) >= 0.8) {
        return [finding(this, { layer: s.ref }, `Each step changes ${s.ref.name}'s weights by ${fmt(m * 100)} % of their size: the learning rate is far too high for it.`,
          { metric: 'update / weight norm (median)', value: m, threshold: t.max, comparison: '>', ...stepRange(s), details: { lr } },
          [`lr:${scaledLr(lr, 0.1)}`, `clip-norm:${derivedClipNorm(ctx.probes)}`, 'schedule:step'])];
      }
      if (m < t.min && improved < t.stuckImprovement && fractionWhere(r, (x) => x < t.min) >= 0.8) {
        return [finding(this, { layer: s.ref }, `Each step changes ${s.ref.name}'s weights by only ${fmt(m)} of their size while the loss is stuck: the learning rate is too low.`,
          { metric: 'update / weight norm (median)', value: m, threshold: t.min, comparison: '<', ...stepRange(s), details: { lr, lossImprovement: improved } },
          [`lr:${scaledLr(lr, 100)}`, `lr:${scaledLr(lr, 10)}`])];
      }
    }
    return [];
  },
};
