// The one message protocol between the engine worker, the extension host and the Gradient Health webview.
// Each message is described once (shared/describe.ts): its type and its runtime check both come from that
// description. Worker <-> extension messages travel by structured clone (NaN survives); extension <->
// webview messages travel as JSON, so numbers are passed through `encodeNumbers`/`decodeNumbers`, which
// spell NaN and ±Infinity out instead of letting JSON turn them into null.
import type {
  EpochMetrics,
  Finding,
  ModelSummary,
  ProbeSnapshot,
  RunSummary,
  StepMetrics,
  VisualSnapshot,
} from './wire-types';
// the repair loop's events are the engine's own types, imported for their shape only
import type { RepairEvent, RepairResult } from '../engine/repair';
import { arrayOf, bool, checkMessage, either, nullable, num, obj, oneOf, optional, partly, recordOf, str, type Infer, type MessageOf, type Shape } from './describe';
import type { HistoryCapacity, RunHistory, RunHistorySnapshot } from './history';
import { SEVERITIES } from './severity';

export type { RepairEvent, RepairResult };
export type * from './wire-types';

// ---- what messages carry ---------------------------------------------------------------------------
const RUN_OPTIONS = obj({
  /** Probe every N optimiser steps (0 disables probes). */
  probeEvery: num,
  /** Overrides of rule thresholds by rule code and threshold name. */
  thresholds: recordOf(recordOf(num)),
  /** Optional override of the file's epochs. */
  epochs: nullable(num),
  /** Stats batches per second the worker may send at most. */
  maxMessagesPerSecond: num,
  /** At most this many threads for the matrix products (0: every core). */
  threads: num,
});
/** Settings the extension passes to a run. */
export type RunOptions = Infer<typeof RUN_OPTIONS>;

/** A data file for the worker: its resolved path on disk (the worker streams it), or its text when it has none (virtual workspaces). */
const DATA_FILE_REF = either(obj({ path: str }), obj({ text: str }));
export type DataFileRef = Infer<typeof DATA_FILE_REF>;

const MODEL = partly<ModelSummary>(obj({ name: str, layers: arrayOf(obj({ position: num, index: num, name: str, kind: str })) }));
const SEVERITY = oneOf(...SEVERITIES);
const FINDING = partly<Finding>(obj({ code: str, severity: SEVERITY, message: str, layers: arrayOf(obj({ layer: obj({ index: num, name: str }) })), fixes: arrayOf(obj({ id: str, title: str, preferred: bool })) }));
const SUMMARY = partly<RunSummary>(obj({ status: oneOf('completed', 'early-stopped', 'stopped', 'non-finite', 'failed'), epochs: num, steps: num }));
const PICTURE = partly<VisualSnapshot>(obj({ step: num, layers: arrayOf(obj({ position: num })), boundary: nullable(obj({ size: num, value: arrayOf(num) })), points: nullable(obj({ train: arrayOf(num) })) }));

const STEP = partly<StepMetrics>(obj({ step: num, loss: num }));
const EPOCH = partly<EpochMetrics>(obj({ epoch: num, step: num, loss: num }));
const PROBE = partly<ProbeSnapshot>(obj({ step: num, layers: arrayOf(obj({ position: num, index: num, name: str, kind: str })) }));
const PROGRESS_BATCH = obj({
  steps: arrayOf(STEP),
  epochs: arrayOf(EPOCH),
  probes: arrayOf(PROBE),
  /** The latest findings, when they were re-evaluated since the last batch. */
  findings: nullable(arrayOf(FINDING)),
  /** Pictures for the panel's views, as the history policy bounds them; absent when the run sends none. */
  visuals: optional(arrayOf(PICTURE)),
});
/** A batch of live data, coalesced in the worker. */
export type ProgressBatch = Infer<typeof PROGRESS_BATCH>;

// ---- extension -> worker ---------------------------------------------------------------------------
const TO_WORKER = {
  start: {
    runId: str,
    modelPath: str,
    modelText: str,
    /** Workspace data files the model refers to, resolved by the extension, keyed by the path in the model. */
    files: recordOf(DATA_FILE_REF),
    options: RUN_OPTIONS,
  },
  /** Runs the repair loop (engine/repair.ts) instead of one training; `stop` cancels it. */
  repair: { runId: str, modelPath: str, modelText: str, files: recordOf(DATA_FILE_REF), options: RUN_OPTIONS, rounds: num },
  stop: { runId: str },
  pause: { runId: str },
  resume: { runId: str },
  /** The extension has handled progress messages up to `seq`: the worker may send more. */
  ack: { runId: str, seq: num },
};
export type ToWorker = MessageOf<typeof TO_WORKER>;

// ---- worker -> extension ---------------------------------------------------------------------------
const FROM_WORKER = {
  started: { runId: str, model: MODEL },
  progress: { runId: str, seq: num, batch: PROGRESS_BATCH },
  paused: { runId: str, paused: bool },
  /** Reading a data file: `bytes` of `total` so far (sent while a large file loads). */
  loading: { runId: str, file: str, bytes: num, total: num },
  finished: { runId: str, summary: SUMMARY, findings: arrayOf(FINDING) },
  'repair-progress': { runId: str, event: partly<RepairEvent>(obj({ type: str })) },
  /** The repair loop's result; its last run's summary and findings end the worker run as `finished` would. */
  repaired: { runId: str, result: partly<RepairResult>(obj({ text: str, attempts: arrayOf(obj({})), summary: SUMMARY, findings: arrayOf(FINDING) })) },
  /** `issues`: positioned spec errors, when the model was invalid. */
  failed: { runId: str, message: str, issues: arrayOf(obj({ message: str, path: arrayOf(either(str, num)) })) },
  log: { level: oneOf('info', 'warn', 'error'), message: str },
};
export type FromWorker = MessageOf<typeof FROM_WORKER>;

// ---- extension -> webview --------------------------------------------------------------------------
const RUN_INFO = obj({ runId: str, modelPath: str, model: MODEL, seed: num, startedAt: num });
export type RunInfo = Infer<typeof RUN_INFO>;

const PANEL_RUN_STATE = oneOf('running', 'paused', 'finished', 'stopped', 'failed');
export type PanelRunState = Infer<typeof PANEL_RUN_STATE>;

const thinned = <T>(item: Shape<T>) => obj({ items: arrayOf(item), stride: num });
const HISTORY = partly<RunHistorySnapshot>(obj({
  steps: thinned(STEP),
  epochs: arrayOf(EPOCH),
  probes: thinned(PROBE),
  pictures: thinned(PICTURE),
  findings: nullable(arrayOf(FINDING)),
  probeCount: num,
}));

const FINISHED_RUN = obj({ info: RUN_INFO, summary: SUMMARY, findings: arrayOf(FINDING), steps: arrayOf(STEP), epochs: arrayOf(EPOCH) });
/** A finished run as "Compare runs" shows it: its loss curves and findings. */
export type FinishedRun = Infer<typeof FINISHED_RUN>;

const TO_WEBVIEW = {
  'run-start': { run: RUN_INFO },
  /** A run's whole history so far (shared/history.ts): what the panel shows replaces what it had of that run. */
  replay: { runId: str, history: HISTORY },
  progress: { runId: str, batch: PROGRESS_BATCH },
  'run-state': { runId: str, state: PANEL_RUN_STATE },
  'run-end': { runId: str, summary: SUMMARY, findings: arrayOf(FINDING) },
  'run-failed': { runId: nullable(str), message: str },
  /** Findings for the run can no longer be applied (the file changed since it started). */
  stale: { runId: str },
  /** The last finished runs of the shown run's model, newest first (to compare any two). */
  'finished-runs': { modelPath: str, runs: arrayOf(FINISHED_RUN) },
};
export type ToWebview = MessageOf<typeof TO_WEBVIEW>;

/** What a panel needs to show a run from scratch; the extension and the panel's saved state both hold it. */
export interface ReplaySource {
  info: RunInfo;
  state: PanelRunState;
  history: RunHistory;
  /** Set once the run finished. */
  end: { summary: RunSummary; findings: Finding[] } | null;
  /** Set when the run failed. */
  failure: string | null;
  stale: boolean;
}

/**
 * The one replay path: the messages that rebuild a run in a panel (after a reload, or when it opens
 * mid-run); `capacity` thins the history further (the panel's saved state), by default it is whole.
 */
export function replayMessages(r: ReplaySource, capacity?: HistoryCapacity): ToWebview[] {
  const runId = r.info.runId;
  const out: ToWebview[] = [{ type: 'run-start', run: r.info }, { type: 'replay', runId, history: r.history.snapshot(capacity) }, { type: 'run-state', runId, state: r.state }];
  if (r.end) out.push({ type: 'run-end', runId, summary: r.end.summary, findings: r.end.findings });
  if (r.failure !== null) out.push({ type: 'run-failed', runId, message: r.failure });
  if (r.stale) out.push({ type: 'stale', runId });
  return out;
}

// ---- webview -> extension --------------------------------------------------------------------------
const FROM_WEBVIEW = {
  ready: {},
  /** `fixId` is self-contained (engine/fixes): it names the edit and the layers it touches. */
  'apply-fix': { runId: str, fixId: str, retrain: bool },
  'reveal-layer': { runId: str, layerIndex: nullable(num), field: nullable(str) },
  control: { action: oneOf('stop', 'pause', 'resume', 'retrain') },
  /** Repair Automatically, for the model of the run shown. */
  repair: { runId: str },
};
export type FromWebview = MessageOf<typeof FROM_WEBVIEW>;

/** Every message type of each direction (the tests send a malformed one of each). */
export const MESSAGE_TYPES = {
  toWorker: Object.keys(TO_WORKER) as ToWorker['type'][],
  fromWorker: Object.keys(FROM_WORKER) as FromWorker['type'][],
  toWebview: Object.keys(TO_WEBVIEW) as ToWebview['type'][],
  fromWebview: Object.keys(FROM_WEBVIEW) as FromWebview['type'][],
};

// ---- checks of incoming messages -------------------------------------------------------------------
/** Why `v` is not a message to the worker (null when it is one). */
export const whyNotToWorker = (v: unknown): string | null => checkMessage(TO_WORKER, v);
/** Why `v` is not a message from the worker (a worker script can send anything). */
export const whyNotFromWorker = (v: unknown): string | null => checkMessage(FROM_WORKER, v);
/** Why a decoded `v` is not a message to the webview. */
export const whyNotToWebview = (v: unknown): string | null => checkMessage(TO_WEBVIEW, v);
/** Why a decoded `v` is not a message from the webview. */
export const whyNotFromWebview = (v: unknown): string | null => checkMessage(FROM_WEBVIEW, v);

export const isToWorker = (v: unknown): v is ToWorker => whyNotToWorker(v) === null;
export const isFromWorker = (v: unknown): v is FromWorker => whyNotFromWorker(v) === null;
export const isToWebview = (v: unknown): v is ToWebview => whyNotToWebview(v) === null;
export const isFromWebview = (v: unknown): v is FromWebview => whyNotFromWebview(v) === null;

// ---- non-finite numbers over JSON ------------------------------------------------------------------
const NF_KEY = '$nf';
type NonFiniteTag = { [NF_KEY]: 'NaN' | 'Infinity' | '-Infinity' };

/** Deep copy in which NaN and ±Infinity become `{"$nf": "NaN" | "Infinity" | "-Infinity"}`. */
export function encodeNumbers<T>(value: T): unknown {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    return { [NF_KEY]: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' } satisfies NonFiniteTag;
  }
  if (Array.isArray(value)) return value.map((v) => encodeNumbers(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = encodeNumbers(v);
    return out;
  }
  return value;
}

/** Inverse of `encodeNumbers`. */
export function decodeNumbers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => decodeNumbers(v));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === NF_KEY) {
      const tag = (value as NonFiniteTag)[NF_KEY];
      if (tag === 'NaN') return NaN;
      if (tag === 'Infinity') return Infinity;
      if (tag === '-Infinity') return -Infinity;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = decodeNumbers(v);
    return out;
  }
  return value;
}
