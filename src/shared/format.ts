// How every surface prints numbers and evidence (engine messages, CLI reports, diagnostics, the panel),
// so one value reads the same everywhere. Non-finite values are spelled out ("NaN", "Infinity") rather
// than hidden, because they are exactly what the user is debugging.
import type { Evidence, Finding } from './wire-types';

/** Below this magnitude, and from `EXPONENT_FROM` on, numbers are written with an exponent. */
const EXPONENT_BELOW = 1e-3;
const EXPONENT_FROM = 1e4;

/** `digits` significant digits (trailing zeros dropped), exponent form when tiny or huge; '–' when missing. */
export function formatNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= EXPONENT_FROM || abs < EXPONENT_BELOW) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}

/** A fraction as a percentage, `digits` decimals. */
export function formatPercent(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return formatNumber(v);
  return `${(v * 100).toFixed(digits)} %`;
}

/** A rate (samples per second) as a whole number with thousands separators. */
export function formatRate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return formatNumber(v);
  return v >= 1000 ? `${Math.round(v).toLocaleString('en-US')}` : v.toFixed(0);
}

/** The steps over which the evidence held, as a phrase ('' when the rule saw no span). */
function stepSpan(e: Evidence): string {
  if (e.fromStep === null) return '';
  return e.toStep === null || e.toStep === e.fromStep ? ` since step ${e.fromStep}` : ` from step ${e.fromStep} to ${e.toStep}`;
}

/** A finding's evidence in one line: "gradient L2 norm: 1.5e+3 (threshold > 1000) from step 420 to 600". */
export function evidenceText(f: Pick<Finding, 'evidence'>): string {
  const e = f.evidence;
  return `${e.metric}: ${formatNumber(e.value)} (threshold ${e.comparison} ${formatNumber(e.threshold)})${stepSpan(e)}`;
}
