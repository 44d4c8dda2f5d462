// Diagnosis entry points: run the rule table (static rules only, or all) with threshold overrides.
import type { Finding, FindingCode } from '../types';
import { bySeverity } from '../../shared/severity';
import type { RuleContext, Thresholds } from './rule';
import { RULES } from './rules';

export type { RuleContext } from './rule';
export { RULES } from './rules';

export type ThresholdOverrides = Record<string, Record<string, number>>;

/**
 * The causal order: each symptom and the causes that can explain it. When a cause is found too, the
 * symptom stays as information naming it and its fixes become the cause's: a stuck loss in a network whose
 * gradients vanish is cured by fixing the gradients, a ReLU layer killed by its initial biases by fixing
 * the biases, not by the symptom's own fixes (a higher learning rate, leaky ReLU).
 */
const EXPLAINED_BY: Partial<Record<FindingCode, readonly FindingCode[]>> = {
  'loss-plateau': ['poor-initialization', 'unnormalized-input', 'unscaled-targets', 'missing-activation', 'dropout-too-high', 'vanishing-gradients', 'dead-relu', 'saturated-activation', 'update-ratio'],
  'update-ratio': ['poor-initialization', 'vanishing-gradients', 'dead-relu'],
  'vanishing-gradients': ['poor-initialization', 'unnormalized-input', 'batchnorm-unstable'],
  'exploding-gradients': ['poor-initialization', 'unnormalized-input', 'unscaled-targets'],
  // units knocked out or pinned by oversized steps come back with smaller steps
  'dead-relu': ['poor-initialization', 'unnormalized-input', 'unscaled-targets', 'loss-diverging', 'loss-oscillating'],
  'saturated-activation': ['poor-initialization', 'unnormalized-input', 'loss-diverging', 'loss-oscillating'],
  'loss-diverging': ['poor-initialization', 'unnormalized-input', 'unscaled-targets'],
  'non-finite': ['poor-initialization', 'unnormalized-input', 'unscaled-targets'],
  // swings on the way up are the divergence itself
  'loss-oscillating': ['loss-diverging'],
  // a validation loss that bounces with a diverging or oscillating run is not memorising
  overfitting: ['loss-diverging', 'loss-oscillating'],
};

/** Symptoms judged where they show: only a cause at or before the layer explains them. */
const LOCAL: ReadonlySet<FindingCode> = new Set(['dead-relu', 'saturated-activation']);

/** A run that stops cleanly keeps its error: CI must still fail on NaN, but the fix goes to the cause. */
const KEEPS_SEVERITY: ReadonlySet<FindingCode> = new Set(['non-finite']);

/** Evaluates every rule of the chosen stages; findings come sorted by severity, then rule table order. */
export function diagnose(ctx: RuleContext, overrides: ThresholdOverrides = {}, stages: ('static' | 'runtime')[] = ['static', 'runtime']): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RULES) {
    if (!stages.includes(rule.stage)) continue;
    const t: Thresholds = { ...rule.thresholds, ...(overrides[rule.code] ?? {}) };
    findings.push(...rule.evaluate(ctx, t));
  }
  return findings
    .map((f) => explained(f, findings))
    .map((f, i) => ({ f, i }))
    .sort((a, b) => bySeverity(a.f, b.f) || a.i - b.i)
    .map(({ f }) => f);
}

/**
 * Symptoms that already name the cause themselves when their preferred fix is the cause's: ReLU units
 * knocked out (or sigmoid/tanh units pinned) by a learning rate far above the usual one are fixed by that
 * learning rate, and they are evidence of the overshoot as much as the loss curve is, so both stay.
 */
const NAMES_ITS_CAUSE: ReadonlySet<FindingCode> = new Set(['dead-relu', 'saturated-activation']);

const LOSS_EVENTS: ReadonlySet<FindingCode> = new Set(['loss-diverging', 'loss-oscillating']);

function explains(cause: Finding, symptom: Finding): boolean {
  if (cause === symptom || cause.severity === 'info' || !EXPLAINED_BY[symptom.code]?.includes(cause.code)) return false;
  if (NAMES_ITS_CAUSE.has(symptom.code) && symptom.fixes[0]?.id === cause.fixes[0]?.id) return false;
  if (cause.code === 'batchnorm-unstable' && !blocksGradient(cause, symptom)) return false;
  // an event on the loss curve explains only what began after it: a late spike of a model that had long
  // been memorising its training set did not make it memorise
  if (LOSS_EVENTS.has(cause.code) && cause.evidence.fromStep !== null && symptom.evidence.fromStep !== null && cause.evidence.fromStep > symptom.evidence.fromStep) return false;
  if (!LOCAL.has(symptom.code) || cause.layers.length === 0 || symptom.layers.length === 0) return true;
  const last = Math.max(...symptom.layers.map((a) => a.layer.index));
  return cause.layers.some((a) => a.layer.index <= last);
}

/**
 * Batch norm over a batch too small for its statistics (the finding on `batchSize`) normalises one or two
 * values per channel: its output is then beta, or ±1, whatever its input, so it passes back next to no
 * gradient and starves the layers before it. Running averages that lag (the other batch-norm findings) do not.
 */
function blocksGradient(bn: Finding, starved: Finding): boolean {
  if (bn.field !== 'batchSize' || bn.layers.length === 0) return false;
  const last = Math.max(...bn.layers.map((a) => a.layer.index));
  return starved.layers.some((a) => a.layer.index < last);
}

/** The root of `f`'s chain of causes (a symptom of a symptom of a cause), or null when nothing explains it. */
function rootCause(f: Finding, all: readonly Finding[], seen: Set<Finding> = new Set([f])): Finding | null {
  const cause = all.find((c) => !seen.has(c) && explains(c, f));
  if (!cause) return null;
  seen.add(cause);
  return rootCause(cause, all, seen) ?? cause;
}

/** `f` as information naming its root cause, with that cause's fixes, when one explains it; else unchanged. */
function explained(f: Finding, all: readonly Finding[]): Finding {
  const cause = rootCause(f, all);
  if (!cause) return f;
  const where = cause.layers.length ? ` on ${cause.layers.map((a) => a.layer.name).join(', ')}` : cause.field ? ` in ${cause.field}` : '';
  return {
    ...f,
    severity: KEEPS_SEVERITY.has(f.code) ? f.severity : 'info',
    message: `${f.message} It follows from ${cause.code}${where}: fix that first.`,
    fixes: cause.fixes.map((x) => ({ ...x })),
    explainedBy: cause.code,
  };
}

/** Rule codes with their named default thresholds (for documentation and override validation). */
export function ruleThresholds(): Record<string, Thresholds> {
  const out: Record<string, Thresholds> = {};
  for (const r of RULES) out[r.code] = { ...(out[r.code] ?? {}), ...r.thresholds };
  return out;
}

/**
 * The JSON schema of the extension's `nnDebugger.thresholds` setting (package.json, written by
 * scripts/gen-schema.ts): every code and threshold name with its default, so VS Code completes them and
 * flags a misspelt one in settings.json instead of it being silently ignored.
 */
export function thresholdsSettingSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [code, t] of Object.entries(ruleThresholds())) {
    properties[code] = {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(Object.entries(t).map(([name, value]) => [name, { type: 'number', default: value, description: `${code} threshold; default ${value}.` }])),
    };
  }
  return {
    type: 'object',
    default: {},
    markdownDescription: 'Overrides of diagnosis thresholds, by finding code and threshold name, e.g. `{ "exploding-gradients": { "gradToWeight": 5 } }`. Completion lists every name with its default.',
    properties,
    additionalProperties: false,
  };
}
