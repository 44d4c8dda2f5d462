// What a diagnosis rule is: a stable code, a severity, named thresholds (overridable per run) and an
// evaluation over the model and whatever has been observed so far. Rules are data: the table in rules.ts
// lists them; nothing else knows their internals.
import type { Dataset } from '../data/dataset';
import type { ModelSpec } from '../spec/model-spec';
import type { AffectedLayer, EpochMetrics, Evidence, Finding, FindingCode, LayerRef, ProbeSnapshot, RunSummary, Severity } from '../types';
import { fixTitle } from '../fixes';
import { CONCEPTS } from './concepts';

export interface RuleContext {
  spec: ModelSpec;
  /** Null when the data could not be loaded (static check of an unreadable source). */
  dataset: Dataset | null;
  probes: readonly ProbeSnapshot[];
  epochs: readonly EpochMetrics[];
  /** Null while the run is still going. */
  summary: RunSummary | null;
}

export type Thresholds = Record<string, number>;

export interface Rule {
  code: FindingCode;
  severity: Severity;
  /** Static rules need only the model (and data statistics); runtime rules need probes or epochs. */
  stage: 'static' | 'runtime';
  /** Named thresholds with their defaults; SessionOptions.thresholds[code][name] overrides them. */
  thresholds: Thresholds;
  evaluate(ctx: RuleContext, t: Thresholds): Finding[];
}

/**
 * Builds a finding whose fixes are ranked as given; the first one is the preferred fix. `where.layers`
 * lists every affected layer (the primary `layer` defaults to the first of them); without it a layer
 * finding concerns that one layer, with the evidence's value.
 */
export function finding(
  rule: Pick<Rule, 'code' | 'severity'>,
  where: { layer?: LayerRef | null; layers?: AffectedLayer[]; field?: string | null },
  message: string,
  evidence: Partial<Evidence> & Pick<Evidence, 'metric' | 'value' | 'threshold' | 'comparison'>,
  fixIds: string[],
): Finding {
  const unique = [...new Set(fixIds)];
  const ref = (l: LayerRef) => ({ index: l.index, name: l.name });
  const primary = where.layer ?? where.layers?.[0]?.layer ?? null;
  const layers = where.layers?.map((a) => ({ ...a, layer: ref(a.layer) })) ?? (primary ? [{ layer: ref(primary), value: evidence.value }] : []);
  return {
    code: rule.code,
    severity: rule.severity,
    layer: primary ? ref(primary) : null,
    layers,
    field: where.field ?? null,
    message,
    evidence: { fromStep: null, toStep: null, details: {}, ...evidence },
    fixes: unique.map((id, i) => ({ id, title: fixTitle(id), preferred: i === 0 })),
    concept: CONCEPTS[rule.code],
  };
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Numbers printed in messages, as every surface prints them. */
export { formatNumber as fmt } from '../../shared/format';

/** A tidy learning rate `factor` times `lr` (0.1 x 0.05 -> 0.005), for lr fixes. */
export function scaledLr(lr: number, factor: number): string {
  return String(Number((lr * factor).toPrecision(2)));
}
