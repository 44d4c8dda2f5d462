// Rules over the loss curves: non-finite values, divergence, plateau, oscillation and overfitting. Probe
// losses are single mini-batches, so they are median-smoothed; epoch losses are already averages.
import type { Rule, RuleContext } from './rule';
import { finding, fmt, median } from './rule';
import { derivedClipNorm, lowerLrFix, raiseLrFixes } from './fix-choice';
import { lossProgress } from './history';

function smoothed(xs: number[], w: number): number[] {
  return xs.map((_, i) => median(xs.slice(Math.max(0, i - w + 1), i + 1)));
}

function probeLosses(ctx: RuleContext): { step: number; loss: number }[] {
  return ctx.probes.filter((p) => Number.isFinite(p.loss)).map((p) => ({ step: p.step, loss: p.loss }));
}


export const nonFinite: Rule = {
  code: 'non-finite',
  severity: 'error',
  stage: 'runtime',
  thresholds: {},
  evaluate(ctx) {
    const report = ctx.summary?.nonFinite ?? null;
    const probe = ctx.probes.find((p) => p.layers.some((l) => l.nonFinite > 0));
    if (!report && !probe) return [];
    const layer = report ? report.layer : probe!.layers.find((l) => l.nonFinite > 0)!;
    const step = report ? report.step : probe!.step;
    const stage = report ? report.stage : 'forward';
    const where = layer ? `${layer.name} (${stage})` : `the ${stage} pass`;
    return [
      finding(this, { layer, field: layer ? null : 'optimizer' }, `Training produced NaN/Infinity at step ${step}, first in ${where}; the run stopped there.`,
        { metric: 'non-finite values', value: 1, threshold: 0, comparison: '>', fromStep: step, toStep: step, details: { stage } },
        [lowerLrFix(ctx), `clip-norm:${derivedClipNorm(ctx.probes)}`]),
    ];
  },
};

export const lossDiverging: Rule = {
  code: 'loss-diverging',
  severity: 'error',
  stage: 'runtime',
  thresholds: { smooth: 3, minProbes: 4, factor: 2, minRise: 0.25 },
  evaluate(ctx, t) {
    const pts = probeLosses(ctx);
    if (pts.length < t.minProbes) return [];
    const s = smoothed(pts.map((p) => p.loss), t.smooth);
    let best = 0;
    for (let i = 1; i < s.length; i++) if (s[i] < s[best]) best = i;
    const last = s[s.length - 1];
    const initial = pts[0].loss;
    if (!(last > t.factor * s[best] && last - s[best] > t.minRise * initial)) return [];
    return [
      finding(this, { field: 'optimizer' }, `The loss climbed from ${fmt(s[best])} to ${fmt(last)}: the learning rate ${ctx.spec.optimizer.lr} is too high.`,
        { metric: 'smoothed loss / best smoothed loss', value: last / s[best], threshold: t.factor, comparison: '>', fromStep: pts[best].step, toStep: pts[pts.length - 1].step, details: { bestLoss: s[best], lastLoss: last, lr: ctx.spec.optimizer.lr } },
        [lowerLrFix(ctx), `clip-norm:${derivedClipNorm(ctx.probes)}`, 'schedule:step']),
    ];
  },
};

export const lossPlateau: Rule = {
  code: 'loss-plateau',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 6, minEpochs: 3, minImprovement: 0.05, maxRise: 0.25, stillHigh: 0.5 },
  evaluate(ctx, t) {
    const pts = probeLosses(ctx);
    if (pts.length < t.minProbes || ctx.summary?.status === 'non-finite') return [];
    const progress = lossProgress(ctx, t.window, t.minEpochs);
    if (!progress) return [];
    const { improvement, initial, recent } = progress;
    // a loss that climbed far is diverging, not stuck; one far below the very first batch's has converged,
    // whatever its curve does now
    if (!(improvement < t.minImprovement && improvement > -t.maxRise) || recent < t.stillHigh * pts[0].loss) return [];
    const opt = ctx.spec.optimizer;
    const what = progress.over === 'epochs' ? 'epoch loss' : 'loss';
    return [
      finding(this, { field: 'optimizer' }, `The ${what} has only moved from ${fmt(initial)} to ${fmt(recent)} (${fmt(improvement * 100)} %): training is stuck; the learning rate ${opt.lr} may be too low.`,
        { metric: `relative improvement of the ${what} since the ${progress.over === 'epochs' ? 'first epoch' : 'first steps'}`, value: improvement, threshold: t.minImprovement, comparison: '<', fromStep: progress.fromStep, toStep: progress.toStep, details: { initialLoss: initial, recentLoss: recent, lr: opt.lr } },
        raiseLrFixes(ctx)),
    ];
  },
};

export const lossOscillating: Rule = {
  code: 'loss-oscillating',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { minEpochs: 6, window: 10, rise: 0.05, riseFraction: 0.3, minProgress: 0.3, aboveBest: 0.5 },
  evaluate(ctx, t) {
    const losses = ctx.epochs.map((e) => e.loss);
    if (losses.length < t.minEpochs || losses.some((l) => !Number.isFinite(l))) return [];
    const w = losses.slice(-t.window);
    // rises are measured against the starting loss: a converged model's tiny wobbles are not overshooting
    const scale = ctx.probes.find((p) => Number.isFinite(p.loss))?.loss ?? losses[0];
    let rises = 0;
    for (let i = 1; i < w.length; i++) if (w[i] - w[i - 1] > t.rise * scale) rises++;
    const fraction = rises / (w.length - 1);
    const half = w.length >> 1;
    const progress = 1 - median(w.slice(half)) / median(w.slice(0, half));
    // swings wide enough to move the halves' medians still oscillate if the loss keeps leaving its best
    const best = Math.min(...w);
    const recent = median(w.slice(-3));
    if (fraction < t.riseFraction || (progress > t.minProgress && recent < (1 + t.aboveBest) * best)) return [];
    const from = ctx.epochs[ctx.epochs.length - w.length];
    return [
      finding(this, { field: 'optimizer' }, `The epoch loss went up by more than ${fmt(t.rise * 100)} % of its starting value in ${rises} of the last ${w.length - 1} epochs without net progress: steps overshoot.`,
        { metric: 'fraction of epochs where the loss rose', value: fraction, threshold: t.riseFraction, comparison: '>=', fromStep: from.step, toStep: ctx.epochs[ctx.epochs.length - 1].step, details: { progress, bestLoss: best, recentLoss: recent, lr: ctx.spec.optimizer.lr } },
        [lowerLrFix(ctx), 'schedule:step', `clip-norm:${derivedClipNorm(ctx.probes)}`]),
    ];
  },
};

export const overfitting: Rule = {
  code: 'overfitting',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { smooth: 3, patience: 3, valRise: 0.15, valRiseOfStart: 0.1, trainDrop: 0.1 },
  evaluate(ctx, t) {
    // early stopping that restored the best weights has already dealt with it
    if (ctx.summary?.restoredEpoch != null) return [];
    const eps = ctx.epochs.filter((e) => e.valLoss !== null && Number.isFinite(e.valLoss));
    if (eps.length < t.patience + 2) return [];
    // epoch validation losses bounce; compare a smoothed curve's end with its best point
    const val = smoothed(eps.map((e) => e.valLoss!), t.smooth);
    const train = smoothed(eps.map((e) => e.loss), t.smooth);
    let best = 0;
    for (let i = 1; i < val.length; i++) if (val[i] < val[best]) best = i;
    const n = eps.length - 1;
    const last = eps[n];
    const bestVal = val[best];
    const rise = val[n] / bestVal - 1;
    const trainDrop = 1 - train[n] / train[best];
    // a rise from 0.01 to 0.03 is +200 % but means nothing next to a starting loss of 0.7: require both
    const start = ctx.probes.find((p) => Number.isFinite(p.loss))?.loss ?? eps[0].valLoss!;
    const riseOfStart = (val[n] - bestVal) / start;
    if (n - best < t.patience || rise < t.valRise || riseOfStart < t.valRiseOfStart || trainDrop < t.trainDrop) return [];
    const dropoutLayer = [...ctx.spec.layers].reverse().find((l, i, arr) => l.kind !== 'dense' && arr.slice(0, i).some((d) => d.kind === 'dense'));
    const fixes = [ctx.spec.earlyStopping ? 'l2:0.001' : 'early-stopping', 'l2:0.001', ...(dropoutLayer ? [`dropout:${dropoutLayer.name.split('/')[0]}:0.3`] : [])];
    return [
      finding(this, { field: 'epochs' }, `Validation loss rose ${fmt(rise * 100)} % above its best (epoch ${eps[best].epoch}) while training loss fell ${fmt(trainDrop * 100)} %: the model is memorising the training set.`,
        { metric: 'validation loss rise above its best', value: rise, threshold: t.valRise, comparison: '>', fromStep: eps[best].step, toStep: last.step, details: { bestEpoch: eps[best].epoch, bestValLoss: bestVal, lastValLoss: val[n], riseOfStartingLoss: riseOfStart, trainDrop } },
        fixes),
    ];
  },
};
