// Views over the probe history that rules share: per-layer series over a trailing window, so one noisy
// probe never decides a finding on its own.
import type { LayerProbe, LayerRef, ProbeSnapshot } from '../types';
import type { RuleContext } from './rule';
import { median } from './rule';

export interface LayerSeries {
  ref: LayerRef;
  position: number;
  kind: string;
  /** The layer's probes over the window, oldest first, with the step each came from. */
  points: { step: number; probe: LayerProbe }[];
}

/** The last `size` snapshots, grouped by layer position. */
export function trailingWindow(probes: readonly ProbeSnapshot[], size: number): LayerSeries[] {
  const window = probes.slice(-Math.max(1, size));
  const byPosition = new Map<number, LayerSeries>();
  for (const snap of window) {
    for (const p of snap.layers) {
      let s = byPosition.get(p.position);
      if (!s) {
        s = { ref: { index: p.index, name: p.name }, position: p.position, kind: p.kind, points: [] };
        byPosition.set(p.position, s);
      }
      s.points.push({ step: snap.step, probe: p });
    }
  }
  return [...byPosition.values()].sort((a, b) => a.position - b.position);
}

export function values(series: LayerSeries, pick: (p: LayerProbe) => number | null): number[] {
  const out: number[] = [];
  for (const { probe } of series.points) {
    const v = pick(probe);
    if (v !== null && Number.isFinite(v)) out.push(v);
  }
  return out;
}

export function stepRange(series: LayerSeries): { fromStep: number; toStep: number } {
  return { fromStep: series.points[0]?.step ?? 0, toStep: series.points[series.points.length - 1]?.step ?? 0 };
}

/** Fraction of the values for which `pred` holds. */
export function fractionWhere(xs: number[], pred: (x: number) => boolean): number {
  if (xs.length === 0) return 0;
  let n = 0;
  for (const x of xs) if (pred(x)) n++;
  return n / xs.length;
}

export interface LossProgress {
  /** 1 - recent / initial: how far the training loss has come down, as a fraction of where it started. */
  improvement: number;
  initial: number;
  recent: number;
  fromStep: number;
  toStep: number;
  /** Epoch losses (averages over the whole training set) or median-smoothed single-batch probe losses. */
  over: 'epochs' | 'probes';
}

/**
 * The training loss's progress, over epoch losses once `minEpochs` have finished: each averages the whole
 * training set, so a stuck model's epochs agree to a fraction of a percent where single batches differ by
 * tens of percent. Before that, over probe losses with medians of `window`. Null when there is too little.
 */
export function lossProgress(ctx: RuleContext, window: number, minEpochs: number): LossProgress | null {
  const epochs = ctx.epochs.filter((e) => Number.isFinite(e.loss));
  if (epochs.length >= minEpochs) {
    const first = epochs[0];
    const last = epochs[epochs.length - 1];
    return { improvement: 1 - last.loss / first.loss, initial: first.loss, recent: last.loss, fromStep: first.step, toStep: last.step, over: 'epochs' };
  }
  const pts = ctx.probes.filter((p) => Number.isFinite(p.loss));
  if (pts.length === 0) return null;
  const initial = median(pts.slice(0, window).map((p) => p.loss));
  const recent = median(pts.slice(-window).map((p) => p.loss));
  return { improvement: 1 - recent / initial, initial, recent, fromStep: pts[0].step, toStep: pts[pts.length - 1].step, over: 'probes' };
}

/**
 * The run is doing well: its loss (validation when there is one) has fallen to at most `fraction` of where
 * training started and is not rising away from its best. A symptom seen on such a run (saturated tanh units,
 * small gradients in a deep stack) does not hurt training: it is information, not something to change.
 */
export function trainingWell(ctx: RuleContext, fraction = 0.25, rise = 0.25, recent = 3): boolean {
  const eps = ctx.epochs.filter((e) => Number.isFinite(e.loss));
  if (eps.length < recent || ctx.summary?.status === 'non-finite') return false;
  const start = ctx.probes.find((p) => Number.isFinite(p.loss))?.loss ?? eps[0].loss;
  const curve = eps.every((e) => e.valLoss !== null && Number.isFinite(e.valLoss)) ? eps.map((e) => e.valLoss!) : eps.map((e) => e.loss);
  const best = Math.min(...curve);
  // validation losses bounce at small batch sizes: the recent epochs' best says whether it still holds
  const latest = Math.min(...curve.slice(-recent));
  return curve[curve.length - 1] <= fraction * start && latest <= (1 + rise) * best;
}

/** `finding` as information when the run trains well anyway (see trainingWell). */
export function unlessHarmless<T extends { severity: string; message: string }>(ctx: RuleContext, f: T): T {
  if (!trainingWell(ctx)) return f;
  return { ...f, severity: 'info', message: `${f.message} The model trains well regardless, so this is information, not something to change.` };
}
