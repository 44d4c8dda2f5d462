// Rules over the loss curves: non-finite values, divergence, plateau, oscillation and overfitting. Probe
// losses are single mini-batches, so they are median-smoothed; epoch losses are already averages.
import type { Rule, RuleContext } from './rule';
import type { EpochMetrics } from '../types';
import { finding, fmt, median } from './rule';
import { derivedClipNorm, lowerLrFix, raiseLrFixes } from './fix-choice';
import { lossProgress, unlessHarmless } from './history';
import { fans, isDense } from './model-shape';

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
  thresholds: { smooth: 3, minProbes: 4, minEpochs: 3, factor: 2, minRise: 0.25, blowUp: 5, stuckBlowUp: 2, stillHigh: 0.5 },
  evaluate(ctx, t) {
    const pts = probeLosses(ctx);
    if (pts.length < t.minProbes) return [];
    const initial = pts[0].loss;
    const over = overshoot(ctx, t);
    if (over && over.end > initial) return [overshootFinding(lossDiverging, ctx, over)];
    // once a few epochs are done, judge on epoch losses: each averages the whole training set, where
    // single small batches swing by more than the factor on a model that learns steadily
    const eps = ctx.epochs.filter((e) => Number.isFinite(e.loss));
    // the loss before any step starts the epoch curve: a run can blow up within its first epoch
    const curve = eps.length >= t.minEpochs ? [{ step: pts[0].step, loss: initial }, ...eps.map((e) => ({ step: e.step, loss: e.loss }))] : null;
    const s = curve ? curve.map((p) => p.loss) : smoothed(pts.map((p) => p.loss), t.smooth);
    const steps = curve ? curve.map((p) => p.step) : pts.map((p) => p.step);
    let best = 0;
    for (let i = 1; i < s.length; i++) if (s[i] < s[best]) best = i;
    // the end of the curve over several epochs, so one bad epoch the run recovers from is not divergence
    const last = curve ? median(s.slice(-t.minEpochs)) : s[s.length - 1];
    // diverged means worse than where it started; a loss that climbs from its best but stays below the
    // untrained network's is swinging (loss-oscillating)
    if (!(last > t.factor * s[best] && last - s[best] > t.minRise * initial && last > initial)) return [];
    const what = curve ? 'epoch loss' : 'loss';
    return [
      finding(this, { field: 'optimizer' }, `The ${what} climbed from ${fmt(s[best])} to ${fmt(last)}: each step overshoots and makes the next one larger; the learning rate ${ctx.spec.optimizer.lr} is too high.`,
        { metric: `${curve ? 'epoch loss' : 'smoothed loss'} / best`, value: last / s[best], threshold: t.factor, comparison: '>', fromStep: steps[best], toStep: steps[steps.length - 1], details: { bestLoss: s[best], lastLoss: last, lr: ctx.spec.optimizer.lr, over: curve ? 'epochs' : 'probes' } },
        [lowerLrFix(ctx), `clip-norm:${derivedClipNorm(ctx.probes)}`, 'schedule:step']),
    ];
  },
};

/** An epoch loss above the untrained network's, and `blowUp` (`stuckBlowUp`) times the lowest loss before it. */
interface Overshoot {
  peak: EpochMetrics;
  initial: number;
  before: number;
  /** The jump the run was judged on (see overshoot). */
  factor: number;
  /** Where the peak epoch began: the overshoot's onset. */
  from: number;
  /** Where the run ends: the median of its last epochs, so the end of a swinging run is not one swing. */
  end: number;
}

/**
 * The loss went back above the untrained network's (the first batch's loss, before any step) and far above
 * the lowest loss before it: an epoch's average does not do that through batch noise, only through steps
 * that overshoot. It holds even when the loss later sinks back to a plateau of dead or saturated units,
 * where comparing the end of the curve with its best cannot see it. Null when the run never did.
 */
function overshoot(ctx: RuleContext, t: Record<string, number>): Overshoot | null {
  const eps = ctx.epochs.filter((e) => Number.isFinite(e.loss));
  const initial = probeLosses(ctx)[0]?.loss;
  if (eps.length < t.minEpochs || !(initial > 0)) return null;
  // a run that never learnt (it ends above half its untrained loss) is judged on a smaller jump: the
  // first batch's loss is only a noisy reference, but there is no good stretch to be lucky in either
  const end = median(eps.slice(-t.minEpochs).map((e) => e.loss));
  const factor = end < t.stillHigh * initial ? t.blowUp : t.stuckBlowUp;
  let before = initial;
  let worst: { peak: EpochMetrics; before: number } | null = null;
  for (const e of eps) {
    if (e.loss > initial && e.loss > factor * before && (!worst || e.loss / before > worst.peak.loss / worst.before)) worst = { peak: e, before };
    before = Math.min(before, e.loss);
  }
  if (!worst) return null;
  const previous = eps[eps.indexOf(worst.peak) - 1];
  return { ...worst, initial, factor, from: previous?.step ?? ctx.probes[0]?.step ?? 0, end };
}

/** Ends above where it started: diverged; came back below it: swings. Either way the steps are too big. */
function overshootFinding(rule: Rule, ctx: RuleContext, o: Overshoot) {
  const lr = ctx.spec.optimizer.lr;
  const from = o.before === o.initial ? `the untrained network's ${fmt(o.initial)}` : `its best of ${fmt(o.before)} (the untrained network's: ${fmt(o.initial)})`;
  const end = o.end > o.initial ? 'and ends above where it started' : `and fell back to ${fmt(o.end)}`;
  return finding(rule, { field: 'optimizer' },
    `The epoch loss jumped to ${fmt(o.peak.loss)} in epoch ${o.peak.epoch}, ${fmt(o.peak.loss / o.before)}x ${from}, ${end}: the steps overshoot the minimum; the learning rate ${lr} is too high.`,
    { metric: 'epoch loss / lowest loss before it', value: o.peak.loss / o.before, threshold: o.factor, comparison: '>', fromStep: o.from, toStep: o.peak.step, details: { peakLoss: o.peak.loss, peakEpoch: o.peak.epoch, lowestBefore: o.before, initialLoss: o.initial, endLoss: o.end, lr, over: 'epochs' } },
    [lowerLrFix(ctx), `clip-norm:${derivedClipNorm(ctx.probes)}`, 'schedule:step']);
}

export const lossPlateau: Rule = {
  code: 'loss-plateau',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { window: 5, minProbes: 6, minEpochs: 3, minImprovement: 0.05, maxRise: 0.25, stillHigh: 0.5, recentEpochs: 5, frozen: 0.005, decayedLr: 0.01, frozenStillHigh: 0.2 },
  evaluate(ctx, t) {
    const pts = probeLosses(ctx);
    if (pts.length < t.minProbes || ctx.summary?.status === 'non-finite') return [];
    const progress = lossProgress(ctx, t.window, t.minEpochs);
    if (!progress) return [];
    const { improvement, initial, recent } = progress;
    const opt = ctx.spec.optimizer;
    // where training started: the first epoch's average (a few early batches of a model that learns in
    // its first steps already sit near the end, and a single first batch can be far off)
    const frozen = frozenBySchedule(ctx, t, Math.max(ctx.epochs[0]?.loss ?? 0, median(pts.slice(0, t.window).map((p) => p.loss))));
    if (frozen) return [frozen];
    // a loss that climbed far is diverging, not stuck; one far below the very first batch's has converged,
    // whatever its curve does now
    if (!(improvement < t.minImprovement && improvement > -t.maxRise) || recent < t.stillHigh * pts[0].loss) return [];
    const what = progress.over === 'epochs' ? 'epoch loss' : 'loss';
    return [
      finding(this, { field: 'optimizer' }, `The ${what} has only moved from ${fmt(initial)} to ${fmt(recent)} (${fmt(improvement * 100)} %): training is stuck; the learning rate ${opt.lr} may be too low.`,
        { metric: `relative improvement of the ${what} since the ${progress.over === 'epochs' ? 'first epoch' : 'first steps'}`, value: improvement, threshold: t.minImprovement, comparison: '<', fromStep: progress.fromStep, toStep: progress.toStep, details: { initialLoss: initial, recentLoss: recent, lr: opt.lr } },
        raiseLrFixes(ctx)),
    ];
  },
};

/**
 * Progress that froze because the schedule decayed the learning rate to almost nothing: judged over the
 * recent epochs and against the learning rate in force, since progress since the first epoch hides it.
 */
function frozenBySchedule(ctx: RuleContext, t: Record<string, number>, startLoss: number) {
  const eps = ctx.epochs.filter((e) => Number.isFinite(e.loss));
  if (eps.length < t.recentEpochs + 1 || ctx.spec.schedule.type === 'constant') return null;
  const window = eps.slice(-t.recentEpochs);
  const before = eps[eps.length - t.recentEpochs - 1];
  const last = window[window.length - 1];
  const recentGain = 1 - last.loss / before.loss;
  const lrRatio = last.lr / ctx.spec.optimizer.lr;
  if (recentGain >= t.frozen || lrRatio >= t.decayedLr || last.loss < t.frozenStillHigh * startLoss) return null;
  const gamma = Number((0.1 ** (1 / Math.max(1, ctx.spec.epochs))).toPrecision(3));
  return finding(lossPlateau, { field: 'schedule' },
    `The epoch loss froze at ${fmt(last.loss)} over the last ${window.length} epochs (${fmt(recentGain * 100)} % lower) while still ${fmt((last.loss / startLoss) * 100)} % of where it started: the ${ctx.spec.schedule.type} schedule has decayed the learning rate to ${fmt(last.lr)}, ${fmt(lrRatio)}x its starting value, too small for any step to matter.`,
    { metric: 'relative improvement of the epoch loss over the recent epochs', value: recentGain, threshold: t.frozen, comparison: '<', fromStep: before.step, toStep: last.step, details: { lrInForce: last.lr, lrRatio, recentLoss: last.loss, startLoss } },
    [`schedule:exponential:${gamma}`, 'schedule:cosine']);
}

/** How a stretch of epoch losses swings: the share of epochs that rose, and whether it made net progress. */
function swings(w: number[], scale: number, t: Record<string, number>) {
  let rises = 0;
  for (let i = 1; i < w.length; i++) if (w[i] - w[i - 1] > t.rise * scale) rises++;
  const fraction = rises / (w.length - 1);
  const half = w.length >> 1;
  const progress = 1 - median(w.slice(half)) / median(w.slice(0, half));
  const best = Math.min(...w);
  const recent = median(w.slice(-3));
  // swings wide enough to move the halves' medians still oscillate if the loss keeps leaving its best
  const oscillating = fraction >= t.riseFraction && !(progress > t.minProgress && recent < (1 + t.aboveBest) * best);
  return { rises, fraction, progress, best, recent, oscillating, length: w.length };
}

/** The epoch whose validation loss jumped furthest (see validationJump), with the epoch before it. */
interface ValidationJump {
  epoch: EpochMetrics;
  before: number;
  lowestBefore: number;
  initial: number;
}

/**
 * A validation loss that jumped within one epoch to `valJump` times the epoch before and above the untrained
 * network's, after the model had learnt (below `valLearnt` of the untrained loss). Memorising raises it
 * epoch by epoch; a jump like this means the weights evaluated at that epoch had been thrown far off by the
 * steps. Batch norm can hide it from the training loss: training normalises each batch with that batch's
 * statistics, evaluation with running averages that lag behind weights moving this fast.
 */
function validationJump(ctx: RuleContext, t: Record<string, number>): ValidationJump | null {
  const initial = probeLosses(ctx)[0]?.loss;
  if (!(initial > 0)) return null;
  let lowest = Infinity;
  let before: number | null = null;
  let worst: ValidationJump | null = null;
  for (const e of ctx.epochs) {
    const v = e.valLoss;
    if (v === null || !Number.isFinite(v)) continue;
    const jumped = before !== null && lowest < t.valLearnt * initial && v > initial && v > t.valJump * before;
    if (jumped && (!worst || v / before! > worst.epoch.valLoss! / worst.before)) worst = { epoch: e, before: before!, lowestBefore: lowest, initial };
    lowest = Math.min(lowest, v);
    before = v;
  }
  return worst;
}

function validationJumpFinding(ctx: RuleContext, j: ValidationJump, t: Record<string, number>) {
  const lr = ctx.spec.optimizer.lr;
  const peak = j.epoch.valLoss!;
  const hidden = ctx.spec.layers.some((l) => l.kind === 'batchnorm')
    ? ' The training loss hides it: batch norm normalises each training batch with its own statistics, while evaluation uses running averages that cannot keep up with weights moving this much per step.'
    : '';
  const previous = ctx.epochs[ctx.epochs.indexOf(j.epoch) - 1];
  return finding(lossOscillating, { field: 'optimizer' },
    `The validation loss jumped from ${fmt(j.before)} to ${fmt(peak)} in epoch ${j.epoch.epoch}, above the untrained network's ${fmt(j.initial)} (its best before: ${fmt(j.lowestBefore)}): the steps throw the weights far from where they were; the learning rate ${lr} is too high.${hidden}`,
    { metric: 'epoch validation loss / the epoch before', value: peak / j.before, threshold: t.valJump, comparison: '>', fromStep: previous?.step ?? ctx.probes[0]?.step ?? 0, toStep: j.epoch.step, details: { peakValLoss: peak, peakEpoch: j.epoch.epoch, valLossBefore: j.before, lowestBefore: j.lowestBefore, initialLoss: j.initial, lr } },
    [lowerLrFix(ctx), 'schedule:step', `clip-norm:${derivedClipNorm(ctx.probes)}`]);
}

export const lossOscillating: Rule = {
  code: 'loss-oscillating',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { minEpochs: 6, window: 10, rise: 0.05, riseFraction: 0.3, minProgress: 0.3, aboveBest: 0.5, valJump: 2, valLearnt: 0.5 },
  evaluate(ctx, t) {
    const losses = ctx.epochs.map((e) => e.loss);
    if (losses.some((l) => !Number.isFinite(l))) return [];
    // a jump back above the untrained loss is overshooting however calm the rest of the curve is
    const over = losses.length >= t.minEpochs ? overshoot(ctx, lossDiverging.thresholds) : null;
    if (over && over.end <= over.initial) return [overshootFinding(this, ctx, over)];
    // one jump is evidence enough, in a short run too; in a run that settled and ends well it is information
    const jump = validationJump(ctx, t);
    if (jump) return [unlessHarmless(ctx, validationJumpFinding(ctx, jump, t))];
    if (losses.length < t.minEpochs) return [];
    // rises are measured against the starting loss: a converged model's tiny wobbles are not overshooting
    const scale = ctx.probes.find((p) => Number.isFinite(p.loss))?.loss ?? losses[0];
    // the recent window and the whole run: swings that come in bursts can leave the last window calm
    const windows = [losses.slice(-t.window), ...(losses.length > t.window ? [losses] : [])].map((w) => swings(w, scale, t));
    const hit = windows.find((w) => w.oscillating);
    if (!hit) return [];
    const from = ctx.epochs[ctx.epochs.length - hit.length];
    return [
      finding(this, { field: 'optimizer' }, `The epoch loss went up by more than ${fmt(t.rise * 100)} % of its starting value in ${hit.rises} of the last ${hit.length - 1} epochs without settling: each step overshoots the minimum, so the loss swings instead of falling.`,
        { metric: 'fraction of epochs where the loss rose', value: hit.fraction, threshold: t.riseFraction, comparison: '>=', fromStep: from.step, toStep: ctx.epochs[ctx.epochs.length - 1].step, details: { progress: hit.progress, bestLoss: hit.best, recentLoss: hit.recent, lr: ctx.spec.optimizer.lr } },
        [lowerLrFix(ctx), 'schedule:step', `clip-norm:${derivedClipNorm(ctx.probes)}`]),
    ];
  },
};

/**
 * The L2 strength that a Gaussian prior on the weights amounts to for a mean squared error over N rows:
 * noise variance / (N * prior variance), with the noise variance at most the best validation error and the
 * prior variance He's 2 / fan-in (the scale the weights start at). Few rows, wide layers: strong decay.
 * Kept within the usual range's ends, 1e-4 to 0.1, at one significant digit.
 */
function mapL2(ctx: RuleContext, noiseVariance: number): number {
  const rows = ctx.dataset?.train.n ?? 0;
  const widestFanIn = Math.max(1, ...[...fans(ctx.spec, ctx.dataset).values()].map((f) => f.in));
  // losses of scaled targets are reported in the original units; the network fits the scaled ones
  const divisors = ctx.dataset?.targetScale?.divisor;
  const unit = divisors && divisors.length ? divisors.reduce((a, d) => a + d * d, 0) / divisors.length : 1;
  const l2 = rows > 0 ? noiseVariance / unit / (rows * (2 / widestFanIn)) : 0.001;
  return Number(Math.min(0.1, Math.max(1e-4, l2)).toPrecision(1));
}

export const overfitting: Rule = {
  code: 'overfitting',
  severity: 'warning',
  stage: 'runtime',
  thresholds: { smooth: 3, patience: 3, valRise: 0.15, valRiseOfStart: 0.1, trainDrop: 0.1, accuracyGap: 0.1, lossGap: 2, regressionGap: 3 },
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
    // the generalisation gap is evidence too: a small rise next to the starting loss still means
    // memorising when training is far ahead of validation
    const accGap = last.accuracy !== null && last.valAccuracy !== null ? last.accuracy - last.valAccuracy : null;
    const lossRatio = val[n] / Math.max(train[n], 1e-12);
    if (accGap !== null && accGap <= 0) return []; // validation does as well as training: nothing memorised
    const gapShows = (accGap !== null && accGap >= t.accuracyGap) || (accGap === null && lossRatio >= t.lossGap);
    // a regression's mean squared error on unseen rows sits near the training error plus the noise a good
    // fit cannot explain; several times the training error means the noise itself was learnt, whether or not
    // the validation error is still rising (cross-entropy on separable classes goes to zero, so not there)
    const memorised = ctx.dataset?.task === 'regression' && ctx.spec.loss === 'mse' && lossRatio >= t.regressionGap;
    const rising = !(n - best < t.patience || rise < t.valRise || trainDrop < t.trainDrop || (riseOfStart < t.valRiseOfStart && !gapShows));
    if (!rising && !memorised) return [];
    const dropoutLayer = [...ctx.spec.layers].reverse().find((l, i, arr) => !isDense(l) && arr.slice(0, i).some(isDense));
    // stopping early helps only when the validation error turned back up; a gap that opened and stays needs
    // the fit itself constrained
    const fixes = rising
      ? [ctx.spec.earlyStopping ? 'l2:0.001' : 'early-stopping', 'l2:0.001', ...(dropoutLayer ? [`dropout:${dropoutLayer.name.split('/')[0]}:0.3`] : [])]
      : [`l2:${mapL2(ctx, bestVal)}`, ...(dropoutLayer ? [`dropout:${dropoutLayer.name.split('/')[0]}:0.3`] : []), ...(ctx.spec.earlyStopping ? [] : ['early-stopping'])];
    if (!rising) {
      return [
        finding(this, { field: 'epochs' }, `The validation error is ${fmt(lossRatio)}x the training error (${fmt(val[n])} against ${fmt(train[n])}): the model has learnt the noise of its ${ctx.dataset?.train.n ?? ''} training rows rather than the relation behind them.`,
          { metric: 'validation loss / training loss', value: lossRatio, threshold: t.regressionGap, comparison: '>=', fromStep: eps[0].step, toStep: last.step, details: { valLoss: val[n], trainLoss: train[n], bestEpoch: eps[best].epoch } },
          fixes),
      ];
    }
    const gapText = accGap !== null ? `; training accuracy ${fmt(last.accuracy! * 100)} % against ${fmt(last.valAccuracy! * 100)} % on validation` : `; validation loss ${fmt(lossRatio)}x the training loss`;
    return [
      finding(this, { field: 'epochs' }, `Validation loss rose ${fmt(rise * 100)} % above its best (epoch ${eps[best].epoch}) while training loss fell ${fmt(trainDrop * 100)} %${gapText}: the model is memorising the training set.`,
        { metric: 'validation loss rise above its best', value: rise, threshold: t.valRise, comparison: '>', fromStep: eps[best].step, toStep: last.step, details: { bestEpoch: eps[best].epoch, bestValLoss: bestVal, lastValLoss: val[n], riseOfStartingLoss: riseOfStart, trainDrop, ...(accGap !== null ? { accuracyGap: accGap } : { valToTrainLoss: lossRatio }) } },
        fixes),
    ];
  },
};
