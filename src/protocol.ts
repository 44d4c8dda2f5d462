// The one message protocol between the engine worker, the extension host and the Gradient Health webview.
// Worker <-> extension messages travel by structured clone (NaN survives); extension <-> webview messages
// travel as JSON, so numbers are passed through `encodeNumbers`/`decodeNumbers`, which spell NaN and
// ±Infinity out instead of letting JSON turn them into null.
import type {
  EpochMetrics,
  Finding,
  ModelSummary,
  ProbeSnapshot,
  RunStatus,
  RunSummary,
  StepMetrics,
  VisualSnapshot,
  DecisionBoundary,
  PlanePoints,
  LayerPicture,
  ValueHistogram,
} from './engine/types';
import type { RepairEvent, RepairResult } from './engine/repair';

export type { RepairEvent, RepairResult };
export type { EpochMetrics, Finding, ModelSummary, ProbeSnapshot, RunStatus, RunSummary, StepMetrics, VisualSnapshot, DecisionBoundary, PlanePoints, LayerPicture, ValueHistogram };

/** Settings the extension passes to a run. */
export interface RunOptions {
  /** Probe every N optimiser steps (0 disables probes). */
  probeEvery: number;
  /** Overrides of rule thresholds by rule code and threshold name. */
  thresholds: Record<string, Record<string, number>>;
  /** Optional override of the file's epochs. */
  epochs: number | null;
  /** Stats batches per second the worker may send at most. */
  maxMessagesPerSecond: number;
  /** At most this many threads for the matrix products (0: every core). */
  threads: number;
}

/** A batch of live data, coalesced in the worker. */
export interface ProgressBatch {
  steps: StepMetrics[];
  epochs: EpochMetrics[];
  probes: ProbeSnapshot[];
  findings: Finding[] | null;
  /** Pictures for the panel's views, as `keepPictures` bounds them; absent when the run sends none. */
  visuals?: VisualSnapshot[];
}

/**
 * The pictures worth keeping of a run: the first one (it carries the data points, and the activation
 * distributions at the start that the panel compares against) and the newest. Every holder of a run's
 * history (worker, extension, panel) bounds it this way.
 */
export function keepPictures(kept: readonly VisualSnapshot[], incoming: readonly VisualSnapshot[]): VisualSnapshot[] {
  const all = [...kept, ...incoming];
  if (all.length <= 2) return all;
  return [all[0]!, all[all.length - 1]!];
}

// ---- extension -> worker ---------------------------------------------------------------------------
/** A data file for the worker: its resolved path on disk (the worker streams it), or its text when it has none (virtual workspaces). */
export type DataFileRef = { path: string } | { text: string };

export type ToWorker =
  | {
      type: 'start';
      runId: string;
      modelPath: string;
      modelText: string;
      /** Workspace data files the model refers to, resolved by the extension, keyed by the path in the model. */
      files: Record<string, DataFileRef>;
      options: RunOptions;
    }
  /** Runs the repair loop (engine/repair.ts) instead of one training; `stop` cancels it. */
  | {
      type: 'repair';
      runId: string;
      modelPath: string;
      modelText: string;
      files: Record<string, DataFileRef>;
      options: RunOptions;
      rounds: number;
    }
  | { type: 'stop'; runId: string }
  | { type: 'pause'; runId: string }
  | { type: 'resume'; runId: string }
  /** The extension has handled progress messages up to `seq`: the worker may send more. */
  | { type: 'ack'; runId: string; seq: number };

// ---- worker -> extension ---------------------------------------------------------------------------
export type FromWorker =
  | { type: 'started'; runId: string; model: ModelSummary }
  | { type: 'progress'; runId: string; seq: number; batch: ProgressBatch }
  | { type: 'paused'; runId: string; paused: boolean }
  /** Reading a data file: `bytes` of `total` so far (sent while a large file loads). */
  | { type: 'loading'; runId: string; file: string; bytes: number; total: number }
  | { type: 'finished'; runId: string; summary: RunSummary; findings: Finding[] }
  | { type: 'repair-progress'; runId: string; event: RepairEvent }
  /** The repair loop's result; its last run's summary and findings end the worker run as `finished` would. */
  | { type: 'repaired'; runId: string; result: RepairResult }
  | { type: 'failed'; runId: string; message: string; /** Positioned spec errors, when the model was invalid. */ issues: { message: string; path: (string | number)[] }[] }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

// ---- extension -> webview --------------------------------------------------------------------------
export interface RunInfo {
  runId: string;
  modelPath: string;
  model: ModelSummary;
  seed: number;
  startedAt: number;
}

export type PanelRunState = 'idle' | 'running' | 'paused' | 'finished' | 'stopped' | 'failed';

export type ToWebview =
  | { type: 'run-start'; run: RunInfo }
  | { type: 'progress'; runId: string; batch: ProgressBatch }
  | { type: 'run-state'; runId: string; state: PanelRunState }
  | { type: 'run-end'; runId: string; summary: RunSummary; findings: Finding[] }
  | { type: 'run-failed'; runId: string | null; message: string }
  /** Findings for the current run can no longer be applied (the file changed). */
  | { type: 'stale'; runId: string; stale: boolean };

// ---- webview -> extension --------------------------------------------------------------------------
export type FromWebview =
  | { type: 'ready' }
  | { type: 'apply-fix'; runId: string; fixId: string; code: string; layerIndex: number | null; retrain: boolean }
  | { type: 'reveal-layer'; runId: string; layerIndex: number | null; field: string | null }
  | { type: 'control'; action: 'stop' | 'pause' | 'resume' | 'retrain' }
  /** Repair Automatically, for the model of the run shown. */
  | { type: 'repair'; runId: string };

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

// ---- validation of incoming messages ---------------------------------------------------------------
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number';
const isArr = Array.isArray;

const isPicture = (v: unknown): boolean => isObj(v) && isNum(v.step) && isArr(v.layers) && (v.boundary === null || isObj(v.boundary)) && (v.points === null || isObj(v.points));

function isProgressBatch(v: unknown): v is ProgressBatch {
  return isObj(v) && isArr(v.steps) && isArr(v.epochs) && isArr(v.probes) && (v.findings === null || isArr(v.findings)) && (v.visuals === undefined || (isArr(v.visuals) && v.visuals.every(isPicture)));
}

/** Shape check of a (decoded) message arriving in the webview. */
export function isToWebview(v: unknown): v is ToWebview {
  if (!isObj(v) || !isStr(v.type)) return false;
  switch (v.type) {
    case 'run-start':
      return isObj(v.run) && isStr(v.run.runId) && isObj(v.run.model) && isArr(v.run.model.layers);
    case 'progress':
      return isStr(v.runId) && isProgressBatch(v.batch);
    case 'run-state':
      return isStr(v.runId) && isStr(v.state) && ['idle', 'running', 'paused', 'finished', 'stopped', 'failed'].includes(v.state);
    case 'run-end':
      return isStr(v.runId) && isObj(v.summary) && isArr(v.findings);
    case 'run-failed':
      return (v.runId === null || isStr(v.runId)) && isStr(v.message);
    case 'stale':
      return isStr(v.runId) && typeof v.stale === 'boolean';
    default:
      return false;
  }
}

/** Shape check of a message arriving in the extension from the webview. */
export function isFromWebview(v: unknown): v is FromWebview {
  if (!isObj(v) || !isStr(v.type)) return false;
  switch (v.type) {
    case 'ready':
      return true;
    case 'apply-fix':
      return isStr(v.runId) && isStr(v.fixId) && isStr(v.code) && (v.layerIndex === null || isNum(v.layerIndex)) && typeof v.retrain === 'boolean';
    case 'reveal-layer':
      return isStr(v.runId) && (v.layerIndex === null || isNum(v.layerIndex)) && (v.field === null || isStr(v.field));
    case 'control':
      return isStr(v.action) && ['stop', 'pause', 'resume', 'retrain'].includes(v.action);
    case 'repair':
      return isStr(v.runId);
    default:
      return false;
  }
}

/** Shape check of a message arriving in the extension from the worker (a worker script can be anything). */
export function isFromWorker(v: unknown): v is FromWorker {
  if (!isObj(v) || !isStr(v.type)) return false;
  if (v.type === 'log') return isStr(v.level) && ['info', 'warn', 'error'].includes(v.level) && isStr(v.message);
  if (!isStr(v.runId)) return false;
  switch (v.type) {
    case 'started':
      return isObj(v.model) && isArr(v.model.layers);
    case 'progress':
      return isNum(v.seq) && isProgressBatch(v.batch);
    case 'paused':
      return typeof v.paused === 'boolean';
    case 'loading':
      return isStr(v.file) && isNum(v.bytes) && isNum(v.total);
    case 'finished':
      return isObj(v.summary) && isStr(v.summary.status) && isArr(v.findings);
    case 'repair-progress':
      return isObj(v.event) && isStr(v.event.type);
    case 'repaired':
      return isObj(v.result) && isStr(v.result.text) && isArr(v.result.attempts) && isObj(v.result.summary) && isArr(v.result.findings);
    case 'failed':
      return isStr(v.message) && isArr(v.issues) && v.issues.every((i) => isObj(i) && isStr(i.message) && isArr(i.path));
    default:
      return false;
  }
}

const isDataFileRef = (v: unknown): v is DataFileRef => isObj(v) && (isStr(v.path) || isStr(v.text));

/** Shape check of a message arriving in the worker. */
export function isToWorker(v: unknown): v is ToWorker {
  if (!isObj(v) || !isStr(v.type) || !isStr(v.runId)) return false;
  switch (v.type) {
    case 'start':
      return isStr(v.modelPath) && isStr(v.modelText) && isObj(v.files) && Object.values(v.files).every(isDataFileRef) && isObj(v.options);
    case 'repair':
      return isStr(v.modelPath) && isStr(v.modelText) && isObj(v.files) && Object.values(v.files).every(isDataFileRef) && isObj(v.options) && isNum(v.rounds);
    case 'stop':
    case 'pause':
    case 'resume':
      return true;
    case 'ack':
      return isNum(v.seq);
    default:
      return false;
  }
}
