// Fix arguments derived from what the run showed: a clipping norm from the observed gradient norms, a
// learning rate back in the usual range. Shared by rules so the same symptom always gets the same id.
import type { ModelSpec } from '../spec/model-spec';
import type { ProbeSnapshot } from '../types';
import { hiddenDense, stackShape } from './model-shape';
import type { RuleContext } from './rule';
import { median, scaledLr } from './rule';

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

const lrFix = (ctx: RuleContext, factor: number) => `lr:${scaledLr(ctx.spec.optimizer.lr, factor)}`;

/** Usual starting learning rates; a stuck run far below them is brought back to them in one step. */
const TYPICAL_LR: Record<string, number> = { sgd: 0.05, adam: 0.005, rmsprop: 0.002, adagrad: 0.05 };

export function raiseLrFixes(ctx: RuleContext): string[] {
  const lr = ctx.spec.optimizer.lr;
  const typical = TYPICAL_LR[ctx.spec.optimizer.type];
  return typical > lr * 10 ? [`lr:${typical}`, lrFix(ctx, 10)] : [lrFix(ctx, 10), 'schedule:cosine'];
}


/** The learning rate is more than 5x the usual starting value for its optimiser. */
export function lrTooHigh(ctx: RuleContext): boolean {
  return ctx.spec.optimizer.lr > 5 * TYPICAL_LR[ctx.spec.optimizer.type];
}

/** A lower learning rate: a tenth, but never above the usual starting value when it was far beyond it. */
export function lowerLrFix(ctx: RuleContext): string {
  const lr = ctx.spec.optimizer.lr;
  const typical = TYPICAL_LR[ctx.spec.optimizer.type];
  return lr > typical ? `lr:${Math.min(Number(scaledLr(lr, 0.1)), typical)}` : lrFix(ctx, 0.1);
}

/** Deep stacks at or beyond this many hidden layers, and narrow ones at or below this width. */
export const DEEP_LAYERS = 6;
export const NARROW_UNITS = 8;

/**
 * The way out of a sigmoid/tanh stack whose signal dies, ranked by what survives this model's shape:
 * ReLU + He for most stacks, but batch norm first for a deep narrow one, where plain ReLU units die.
 */
export function saturatingStackFixes(spec: ModelSpec): string[] {
  const { depth, minWidth } = stackShape(spec);
  const hidden = hiddenDense(spec).map((h) => h.layer.name).join(',');
  return depth >= DEEP_LAYERS && minWidth <= NARROW_UNITS
    ? [`insert-batchnorm:${hidden}`, 'leaky-relu-he:*', 'relu-he:*']
    : ['relu-he:*', `insert-batchnorm:${hidden}`];
}
