// The order of findings by severity, and of a finding's fixes (the preferred one first): every list of
// findings or fixes, in the engine, the CLI, the editor and the panel, is sorted the same way.
import type { FixRef, Severity } from './wire-types';

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** 0 for the most severe. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Comparator: more severe first (stable sorts keep the rule order within one severity). */
export function bySeverity(a: { severity: Severity }, b: { severity: Severity }): number {
  return severityRank(a.severity) - severityRank(b.severity);
}

/** The fixes with exactly one marked preferred (the engine's choice, else the first), that one first. */
export function preferredFirst<F extends FixRef>(fixes: readonly F[]): F[] {
  const chosen = Math.max(0, fixes.findIndex((f) => f.preferred));
  const marked = fixes.map((f, i) => ({ ...f, preferred: i === chosen }));
  return [...marked.filter((f) => f.preferred), ...marked.filter((f) => !f.preferred)];
}

/** The most severe of the findings' severities; null when there are none. */
export function worstSeverity(findings: readonly { severity: Severity }[]): Severity | null {
  let worst: Severity | null = null;
  for (const f of findings) if (worst === null || severityRank(f.severity) < severityRank(worst)) worst = f.severity;
  return worst;
}
