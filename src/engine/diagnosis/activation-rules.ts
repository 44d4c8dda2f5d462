// Rules over activation statistics: dead ReLU-family units, saturated sigmoid/tanh units and batch-norm
// statistics. A layer must stay past the threshold for most of the trailing window, not on one batch.
import type { Rule, RuleContext } from './rule';
import { finding, fmt, median } from './rule';
import { lowerLrFix, lrTooHigh } from './fix-choice';
import { fractionWhere, lossProgress, stepRange, trailingWindow, unlessHarmless, values, type LayerSeries } from './history';
import { denseBefore, fileName, isDense } from './model-shape';

const enough = (ctx: RuleContext, t: Record<string, number>) => ctx.probes.length >= t.minProbes;

export const deadRelu: Rule = {
  code: 'dead-relu',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, minEpochs: 3, deadRatio: 0.5, holdFraction: 0.8, stuckImprovement: 0.1 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    // a leaky unit on its negative slope still passes gradient: it is only "dead" when nothing is learnt
    const learning = (lossProgress(ctx, t.window, t.minEpochs)?.improvement ?? 0) >= t.stuckImprovement;
    const hits: { s: LayerSeries; m: number }[] = [];
    for (const s of trailingWindow(ctx.probes, t.window)) {
      if (s.kind === 'leaky-relu' && learning) continue;
      const dead = values(s, (p) => p.deadRatio);
      if (dead.length === 0) continue;
      const m = median(dead);
      if (m >= t.deadRatio && fractionWhere(dead, (x) => x >= t.deadRatio) >= t.holdFraction) hits.push({ s, m });
    }
    if (hits.length === 0) return [];
    const relus = hits.filter((h) => h.s.kind !== 'leaky-relu').map((h) => h.s.ref.name);
    const denses = [...new Set(hits.map((h) => denseBefore(ctx.spec, h.s.position)?.name).filter((n): n is string => !!n))];
    const lower = lowerLrFix(ctx);
    const leaky = relus.length ? [`leaky-relu:${relus.join(',')}`] : [];
    const bn = denses.length ? [`insert-batchnorm:${denses.join(',')}`] : [];
    // units knocked out by oversized steps come back only with smaller steps; otherwise let them leak
    const fixes = relus.length === 0 || lrTooHigh(ctx) ? [lower, ...leaky, ...bn] : [...leaky, lower, ...bn, ...(denses.length ? [`reinit:${denses.join(',')}:he`] : [])];
    const first = hits[0];
    const spec = ctx.spec.layers[first.s.position];
    const name = spec ? fileName(spec) : first.s.ref.name;
    const kindText = first.s.kind === 'leaky-relu' ? 'stay on the negative slope' : first.s.kind === 'relu6' ? 'are stuck at 0 or 6' : 'output zero';
    const others = hits.length > 1 ? ` (and ${hits.length - 1} more layer${hits.length > 2 ? 's' : ''}: ${hits.slice(1).map((h) => `${h.s.ref.name} ${fmt(h.m * 100)} %`).join(', ')})` : '';
    return [
      unlessHarmless(ctx, finding(this, { layers: hits.map((h) => ({ layer: h.s.ref, value: h.m, note: `${fmt(h.m * 100)} % of units dead` })) },
        `${fmt(first.m * 100)} % of ${name}'s units ${kindText} for every sample of the batch${others}: they get no gradient and no longer learn.`,
        { metric: 'dead unit fraction (median)', value: first.m, threshold: t.deadRatio, comparison: '>=', ...stepRange(first.s) },
        fixes)),
    ];
  },
};

export const saturatedActivation: Rule = {
  code: 'saturated-activation',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 3, saturationRatio: 0.5, holdFraction: 0.8 },
  evaluate(ctx, t) {
    if (!enough(ctx, t)) return [];
    const lastPosition = ctx.spec.layers.length - 1;
    const hits: { s: LayerSeries; m: number }[] = [];
    for (const s of trailingWindow(ctx.probes, t.window)) {
      if (s.position === lastPosition) continue; // an output sigmoid is fused with its loss; saturation there is confidence
      const sat = values(s, (p) => p.saturationRatio);
      if (sat.length === 0) continue;
      const m = median(sat);
      if (m >= t.saturationRatio && fractionWhere(sat, (x) => x >= t.saturationRatio) >= t.holdFraction) hits.push({ s, m });
    }
    if (hits.length === 0) return [];
    const denses = [...new Set(hits.map((h) => denseBefore(ctx.spec, h.s.position)?.name).filter((n): n is string => !!n))];
    const firstDense = ctx.spec.layers.find(isDense)?.name;
    const rawInput = ctx.spec.data.preprocess === 'none' && denses.includes(firstDense ?? '');
    const fixes = [
      ...(rawInput ? ['standardize'] : []),
      // units pinned by oversized steps, as ReLUs are knocked out by them, come back only with smaller steps
      ...(lrTooHigh(ctx) ? [lowerLrFix(ctx)] : []),
      ...(denses.length ? [`reinit:${denses.join(',')}:xavier`] : []),
      `relu-he:${hits.map((h) => h.s.ref.name).join(',')}`,
      ...(denses.length ? [`insert-batchnorm:${denses.join(',')}`] : []),
    ];
    const first = hits[0];
    const others = hits.length > 1 ? ` (and ${hits.slice(1).map((h) => `${h.s.ref.name} ${fmt(h.m * 100)} %`).join(', ')})` : '';
    return [
      unlessHarmless(ctx, finding(this, { layers: hits.map((h) => ({ layer: h.s.ref, value: h.m, note: `${fmt(h.m * 100)} % of outputs saturated` })) },
        `${fmt(first.m * 100)} % of ${first.s.ref.name}'s outputs${others} sit in the flat ends of the ${first.s.kind}, where its slope is almost zero, so those units barely learn.`,
        { metric: 'saturated output fraction (median)', value: first.m, threshold: t.saturationRatio, comparison: '>=', ...stepRange(first.s) },
        fixes)),
    ];
  },
};

/**
 * Running averages that still hold their starting values (mean 0, variance 1) lag behind; small batches give
 * noisy statistics; otherwise the steps are too big. The start still counts when its remaining weight after
 * the run's steps is a tenth of the variance measured or more: a short run, or features far below unit scale
 * (a pooled map), that the averages never caught up with. Their fix forgets the start within the run.
 */
function bnFixes(ctx: RuleContext, s: LayerSeries): string[] {
  const spec = ctx.spec.layers[s.position];
  const momentum = spec?.kind === 'batchnorm' ? spec.momentum : 0.9;
  const trainSamples = ctx.dataset?.train.n ?? 0;
  const steps = ctx.spec.epochs * Math.ceil(trainSamples / ctx.spec.batchSize);
  const left = steps > 0 ? momentum ** steps : 0;
  const batchVar = median(values(s, (p) => p.batchNorm?.batchVar ?? null));
  const fixes = [];
  // a batch of one value per channel has no variance to compare with: that is the batch size's problem
  const stillStart = batchVar > 0 && left >= 0.001 && left > 0.1 * batchVar;
  const forgetting = steps > 0 ? Math.min(0.9, Math.floor(100 * 0.001 ** (1 / steps)) / 100) : 0.9;
  if ((momentum > 0.95 || stillStart) && forgetting < momentum) fixes.push(`batchnorm-momentum:${s.ref.name}:${forgetting}`);
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
          bnFixes(ctx, s)),
      );
    }
    return out;
  },
};
