// Rules over activation statistics: dead ReLU-family units, saturated sigmoid/tanh units and batch-norm
// statistics. A layer must stay past the threshold for most of the trailing window, not on one batch.
import type { Rule, RuleContext } from './rule';
import { finding, fmt, median } from './rule';
import { lowerLrFix, lrTooHigh } from './fix-choice';
import { fractionWhere, stepRange, trailingWindow, values } from './history';
import { fileName } from './model-shape';

const enough = (ctx: RuleContext, t: Record<string, number>) => ctx.probes.length >= t.minProbes;

/** The dense layer whose output feeds a given engine position. */
function denseBefore(ctx: RuleContext, position: number): string | null {
  for (let i = position; i >= 0; i--) if (ctx.spec.layers[i].kind === 'dense') return ctx.spec.layers[i].name;
  return null;
}

export const deadRelu: Rule = {
  code: 'dead-relu',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, deadRatio: 0.5, holdFraction: 0.8 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    const out = [];
    for (const s of trailingWindow(ctx.probes, t.window)) {
      const dead = values(s, (p) => p.deadRatio);
      if (dead.length === 0) continue;
      const m = median(dead);
      if (m < t.deadRatio || fractionWhere(dead, (x) => x >= t.deadRatio) < t.holdFraction) continue;
      const spec = ctx.spec.layers[s.position];
      const name = spec ? fileName(spec) : s.ref.name;
      const dense = denseBefore(ctx, s.position);
      const leaky = s.kind === 'leaky-relu';
      // units knocked out by oversized steps come back only with smaller steps; otherwise let them leak
      const lower = lowerLrFix(ctx);
      const fixes = leaky || lrTooHigh(ctx)
        ? [lower, ...(leaky ? [] : [`leaky-relu:${s.ref.name}`]), ...(dense ? [`insert-batchnorm:${dense}`] : [])]
        : [`leaky-relu:${s.ref.name}`, lower, ...(dense ? [`insert-batchnorm:${dense}`, `reinit:${dense}:he`] : [])];
      out.push(
        finding(this, { layer: s.ref },
          `${fmt(m * 100)} % of ${name}'s units ${leaky ? 'stay on the negative slope' : s.kind === 'relu6' ? 'are stuck at 0 or 6' : 'output zero'} for every sample of the batch: they no longer learn.`,
          { metric: 'dead unit fraction (median)', value: m, threshold: t.deadRatio, comparison: '>=', ...stepRange(s) },
          fixes),
      );
    }
    return out;
  },
};

export const saturatedActivation: Rule = {
  code: 'saturated-activation',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, saturationRatio: 0.5, holdFraction: 0.8 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    const out = [];
    const lastPosition = ctx.spec.layers.length - 1;
    for (const s of trailingWindow(ctx.probes, t.window)) {
      if (s.position === lastPosition) continue; // an output sigmoid is fused with its loss; saturation there is confidence
      const sat = values(s, (p) => p.saturationRatio);
      if (sat.length === 0) continue;
      const m = median(sat);
      if (m < t.saturationRatio || fractionWhere(sat, (x) => x >= t.saturationRatio) < t.holdFraction) continue;
      const dense = denseBefore(ctx, s.position);
      const rawInput = ctx.spec.data.preprocess === 'none' && dense === ctx.spec.layers.find((l) => l.kind === 'dense')?.name;
      const fixes = [
        ...(rawInput ? ['standardize'] : []),
        ...(dense ? [`reinit:${dense}:xavier`] : []),
        `relu-he:${s.ref.name}`,
        ...(dense ? [`insert-batchnorm:${dense}`] : []),
      ];
      out.push(
        finding(this, { layer: s.ref }, `${fmt(m * 100)} % of ${s.ref.name}'s outputs sit in the flat ends of the ${s.kind}, where its gradient is almost zero.`,
          { metric: 'saturated output fraction (median)', value: m, threshold: t.saturationRatio, comparison: '>=', ...stepRange(s) },
          fixes),
      );
    }
    return out;
  },
};

/** Slow running averages lag behind; small batches give noisy statistics; otherwise the steps are too big. */
function bnFixes(ctx: RuleContext, position: number, name: string): string[] {
  const spec = ctx.spec.layers[position];
  const momentum = spec?.kind === 'batchnorm' ? spec.momentum : 0.9;
  const fixes = [];
  if (momentum > 0.95) fixes.push(`batchnorm-momentum:${name}:0.9`);
  if (ctx.spec.batchSize < 32) fixes.push('batch-size:32');
  fixes.push(lowerLrFix(ctx));
  return fixes;
}

export const batchNormUnstable: Rule = {
  code: 'batchnorm-unstable',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, meanShift: 1.5, varRatio: 10, gammaMin: 0.05, holdFraction: 0.8 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    const out = [];
    for (const s of trailingWindow(ctx.probes, t.window)) {
      const shift = values(s, (p) => p.batchNorm?.meanShift ?? null);
      if (shift.length === 0) continue;
      const ratio = values(s, (p) => p.batchNorm?.varRatio ?? null);
      const gamma = values(s, (p) => (p.batchNorm ? Math.abs(p.batchNorm.gammaMean) : null));
      const ms = median(shift);
      const vr = median(ratio);
      const g = median(gamma);
      const off = (x: number) => x > t.varRatio || x < 1 / t.varRatio;
      let evidence = null;
      if (ms > t.meanShift && fractionWhere(shift, (x) => x > t.meanShift) >= t.holdFraction)
        evidence = { metric: '|batch mean - running mean| / running std (median)', value: ms, threshold: t.meanShift, comparison: '>' as const };
      else if (off(vr) && fractionWhere(ratio, off) >= t.holdFraction)
        evidence = { metric: 'batch var / running var (median)', value: vr, threshold: vr > 1 ? t.varRatio : 1 / t.varRatio, comparison: vr > 1 ? ('>' as const) : ('<' as const) };
      else if (g < t.gammaMin && fractionWhere(gamma, (x) => x < t.gammaMin) >= t.holdFraction)
        evidence = { metric: 'mean |gamma| (median)', value: g, threshold: t.gammaMin, comparison: '<' as const };
      if (!evidence) continue;
      out.push(
        finding(this, { layer: s.ref }, `${s.ref.name}'s batch statistics disagree with the running statistics it uses at evaluation (${evidence.metric} = ${fmt(evidence.value)}).`,
          { ...evidence, ...stepRange(s), details: { batchSize: ctx.spec.batchSize } },
          bnFixes(ctx, s.position, s.ref.name)),
      );
    }
    return out;
  },
};
