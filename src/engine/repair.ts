// The repair loop: train, take the top cause, apply its preferred fix, retrain from the same seed, and keep
// the edit only when that finding cleared and the validation metric improved; a rejected fix hands over
// to the finding's next fix, each try costing one round. Pure: it returns the repaired text and the path
// that led there, and never writes a file (the CLI and the extension decide what to do with the text).
import type { DataFiles } from './data/dataset';
import type { Finding, RunSummary } from './types';
import type { SessionOptions, SessionResult } from './session-api';
import { TrainingSession } from './session';
import { applyFix, FixError } from './fixes';
import { DataError } from './data/errors';
import { InvalidModelError } from './session-api';
import { fmt } from './diagnosis/rule';

export const DEFAULT_REPAIR_ROUNDS = 4;

/** What "better" means for the task: validation accuracy up, or (regression) validation loss down. */
export type RepairMetric = 'accuracy' | 'loss';

export interface RepairAttempt {
  /** 1-based round this try used. */
  round: number;
  fixId: string;
  title: string;
  /** The finding the fix was meant to cure. */
  code: Finding['code'];
  layer: string | null;
  /** The metric of the text the fix was applied to, and of the retrained fixed text (null: not retrained). */
  before: number;
  after: number | null;
  kept: boolean;
  why: string;
}

export type RepairEvent =
  | { type: 'baseline' }
  | { type: 'try'; round: number; rounds: number; fixId: string; title: string; code: Finding['code'] }
  | { type: 'result'; attempt: RepairAttempt; rounds: number; metric: RepairMetric };

export interface RepairOptions extends Pick<SessionOptions, 'seed' | 'epochs' | 'thresholds' | 'probeEvery' | 'dtype' | 'threads'> {
  /** Fixes to try at most (default DEFAULT_REPAIR_ROUNDS); the first training is not a round. */
  rounds?: number;
  onRound?(event: RepairEvent): void;
  /** Aborting stops the training under way; the result then holds the kept edits so far. */
  signal?: AbortSignal;
}

export interface RepairResult {
  /** The model text with every kept edit applied (the input text when nothing was kept). */
  text: string;
  metric: RepairMetric;
  /** The metric of the first and of the last kept run. */
  initial: number;
  final: number;
  attempts: RepairAttempt[];
  /** Findings and summary of the run of `text`. */
  findings: Finding[];
  summary: RunSummary;
  cancelled: boolean;
}

/** The metric of a run; a run that ended in NaN/Infinity (or never measured) counts as the worst. */
export function repairMetricOf(result: SessionResult, metric: RepairMetric): number {
  const { summary } = result;
  const worst = metric === 'accuracy' ? -Infinity : Infinity;
  if (summary.status === 'non-finite') return worst;
  const v = metric === 'accuracy' ? (summary.final.valAccuracy ?? summary.final.accuracy) : (summary.final.valLoss ?? summary.final.loss);
  return v !== null && Number.isFinite(v) ? v : worst;
}

/**
 * Whether `after` beats `before`. Accuracy moves in steps of one sample, so an equal accuracy is decided
 * by the validation loss (lower wins).
 */
function improves(metric: RepairMetric, after: SessionResult, before: SessionResult): boolean {
  const a = repairMetricOf(after, metric);
  const b = repairMetricOf(before, metric);
  if (metric === 'loss') return a < b;
  if (a !== b) return a > b;
  return Number.isFinite(a) && repairMetricOf(after, 'loss') < repairMetricOf(before, 'loss');
}

/** The same finding: its code at the same place (layer, else field). */
const sameFinding = (a: Finding, b: Finding) => a.code === b.code && (a.layer?.name ?? a.field) === (b.layer?.name ?? b.field);
const findingKey = (f: Finding) => `${f.code}@${f.layer?.name ?? f.field ?? ''}`;

/** The top cause not given up on yet: the first warning or error with a fix (findings come ranked). */
function topCause(findings: readonly Finding[], givenUp: ReadonlySet<string>): Finding | null {
  return findings.find((f) => f.severity !== 'info' && f.fixes.length > 0 && !givenUp.has(findingKey(f))) ?? null;
}

export async function repairModel(text: string, modelPath: string, files: DataFiles, options: RepairOptions = {}): Promise<RepairResult> {
  const rounds = options.rounds ?? DEFAULT_REPAIR_ROUNDS;
  const { signal } = options;
  const sessionOptions: SessionOptions = { seed: options.seed, epochs: options.epochs, thresholds: options.thresholds, probeEvery: options.probeEvery, dtype: options.dtype, threads: options.threads };
  const train = async (t: string): Promise<SessionResult> => {
    const session = new TrainingSession(t, modelPath, files, sessionOptions, {});
    const stop = () => session.stop();
    signal?.addEventListener('abort', stop);
    if (signal?.aborted) session.stop();
    try {
      return await session.run();
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  };

  /** A fixed text the engine refuses (an invalid model, data that no longer fit) is a rejected fix. */
  const trainFixed = async (t: string): Promise<SessionResult | { error: string }> => {
    try {
      return await train(t);
    } catch (e) {
      if (e instanceof InvalidModelError || e instanceof DataError) return { error: `the fixed model does not train: ${e.message}` };
      throw e;
    }
  };

  options.onRound?.({ type: 'baseline' });
  let current = await train(text);
  const metric: RepairMetric = current.model.task === 'classification' ? 'accuracy' : 'loss';
  const initial = repairMetricOf(current, metric);
  const attempts: RepairAttempt[] = [];
  // findings whose every fix was rejected on the current text; a kept edit changes the text, so it resets
  const givenUp = new Set<string>();
  let round = 0;

  while (round < rounds && !signal?.aborted) {
    const cause = topCause(current.findings, givenUp);
    if (!cause) break;
    let kept = false;
    for (const fix of cause.fixes) {
      if (round >= rounds || signal?.aborted) break;
      round++;
      options.onRound?.({ type: 'try', round, rounds, fixId: fix.id, title: fix.title, code: cause.code });
      const attempt: RepairAttempt = { round, fixId: fix.id, title: fix.title, code: cause.code, layer: cause.layer?.name ?? null, before: repairMetricOf(current, metric), after: null, kept: false, why: '' };
      const fixed = tryApply(text, fix.id);
      const result = 'error' in fixed ? fixed : await trainFixed(fixed.text);
      if ('error' in result) {
        attempt.why = result.error;
      } else if (signal?.aborted) {
        attempt.why = 'cancelled';
      } else {
        attempt.after = repairMetricOf(result, metric);
        const still = result.findings.some((f) => f.severity !== 'info' && sameFinding(f, cause));
        const better = improves(metric, result, current);
        attempt.kept = !still && better;
        attempt.why = verdict(still, better, metric);
      }
      if (attempt.kept && 'text' in fixed && !('error' in result)) {
        text = fixed.text;
        current = result;
        kept = true;
      }
      attempts.push(attempt);
      options.onRound?.({ type: 'result', attempt, rounds, metric });
      if (kept) break;
    }
    if (kept) givenUp.clear();
    else givenUp.add(findingKey(cause));
  }

  return { text, metric, initial, final: repairMetricOf(current, metric), attempts, findings: current.findings, summary: current.summary, cancelled: signal?.aborted ?? false };
}

/** The fixed text, or why the fix does not apply (it does not fit the model, or changes nothing). */
function tryApply(text: string, fixId: string): { text: string } | { error: string } {
  try {
    const fixed = applyFix(text, fixId);
    return fixed === text ? { error: 'the model already has this setting' } : { text: fixed };
  } catch (e) {
    if (e instanceof FixError) return { error: `does not apply: ${e.message}` };
    throw e;
  }
}

function verdict(still: boolean, better: boolean, metric: RepairMetric): string {
  const what = metric === 'accuracy' ? 'validation accuracy' : 'validation loss';
  if (!still && better) return `the finding cleared and the ${what} improved`;
  if (still && !better) return `the finding is still there and the ${what} did not improve`;
  return still ? 'the finding is still there' : `the ${what} did not improve`;
}

export const metricName = (metric: RepairMetric) => (metric === 'accuracy' ? 'validation accuracy' : 'validation loss');

/** A repair metric for people: accuracy to a tenth of a percent (one sample of a small split shows), loss in 3 digits. */
export function metricText(x: number | null, metric: RepairMetric): string {
  if (x === null) return 'not trained';
  return metric === 'accuracy' && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : fmt(x);
}

/** One step of a repair path: what was tried for which finding, the metric before and after, the verdict. */
export function attemptText(a: RepairAttempt, rounds: number, metric: RepairMetric): string {
  const where = a.layer ? ` on ${a.layer}` : '';
  return `round ${a.round}/${rounds}: ${a.code}${where}: ${a.title} [${a.fixId}]: ${metricName(metric)} ${metricText(a.before, metric)} -> ${metricText(a.after, metric)}, ${a.kept ? 'KEPT' : 'rejected'}: ${a.why}`;
}
