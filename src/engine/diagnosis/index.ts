// Diagnosis entry points: run the rule table (static rules only, or all) with threshold overrides.
import type { Finding, FindingCode, Severity } from '../types';
import type { RuleContext, Thresholds } from './rule';
import { RULES } from './rules';

export type { RuleContext } from './rule';
export { RULES } from './rules';

export type ThresholdOverrides = Record<string, Record<string, number>>;

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * Whole-model symptoms and the layer-level causes that explain them. When a cause is found too, the
 * symptom stays as information that points at it: a stuck loss in a network whose gradients vanish is
 * cured by fixing the gradients, not by the symptom's own fixes (a higher learning rate).
 */
const EXPLAINED_BY: Partial<Record<FindingCode, readonly FindingCode[]>> = {
  'loss-plateau': ['vanishing-gradients', 'dead-relu', 'saturated-activation', 'poor-initialization', 'update-ratio'],
};

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
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
}

/** `f` as information naming its cause, when one of the findings explains it; else `f` unchanged. */
function explained(f: Finding, all: readonly Finding[]): Finding {
  const causes = EXPLAINED_BY[f.code];
  const cause = causes && all.find((c) => c.severity !== 'info' && causes.includes(c.code));
  if (!cause) return f;
  const where = cause.layer ? ` on ${cause.layer.name}` : '';
  return { ...f, severity: 'info', message: `${f.message} It follows from ${cause.code}${where}: fix that first.` };
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
