// The training runs of this window: at most one per model file. Starting a run reads the model (the open
// editor's text, saved or not), its data files through workspace.fs, checks trust and a memory estimate,
// then hands everything to a fresh WorkerRun. Everything else (panel, status bar, diagnostics,
// notifications) listens to the events fired here.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseModel } from '../engine/spec/parse';
import type { ModelSpec } from '../engine/spec/model-spec';
import type { DataFileRef, EpochMetrics, Finding, FinishedRun, ModelSummary, PanelRunState, ProgressBatch, StepMetrics } from '../shared/protocol';
import { RunHistory } from '../shared/history';
import { FinishedRuns } from './finished-runs';
import { readSettings, runOptions } from './config';
import { Disposable } from './dispose';
import { estimateRunBytes, formatMb, type DataPreview } from './memory-estimate';
import { errorText, WorkerRun, type RunOutcome } from './worker-host';

/** How much of a data file is read up front, for the memory estimate (the worker streams the rest). */
const PREVIEW_BYTES = 64 * 1024;

export interface ResolvedData {
  refs: Record<string, DataFileRef>;
  previews: Record<string, DataPreview>;
}

/** A notification with a progress bar while the worker reads a large data file; Cancel stops the run. */
class LoadingNotification {
  private progress: vscode.Progress<{ message?: string; increment?: number }> | null = null;
  private shown = 0;
  private pending: { bytes: number; total: number } | null = null;
  private close!: () => void;

  constructor(file: string, cancel: () => void) {
    const closed = new Promise<void>((resolve) => (this.close = resolve));
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `NN Debugger: loading ${file}`, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(cancel);
      this.progress = progress;
      if (this.pending) this.report(this.pending.bytes, this.pending.total);
      return closed;
    });
  }

  report(bytes: number, total: number): void {
    if (!this.progress) {
      this.pending = { bytes, total };
      return;
    }
    const percent = total > 0 ? (100 * bytes) / total : 100;
    this.progress.report({ increment: percent - this.shown, message: `${formatMb(bytes)} of ${formatMb(total)}` });
    this.shown = percent;
  }

  dispose(): void {
    this.close();
  }
}

export interface TrainRequest {
  /** Skip the "already training, restart?" question (Apply and retrain, tests). */
  restart?: boolean;
  /** Override of the file's epochs. */
  epochs?: number;
}

export interface RunRecord {
  readonly runId: string;
  readonly uri: vscode.Uri;
  readonly modelName: string;
  readonly seed: number;
  readonly totalEpochs: number | null;
  readonly startedAt: number;
  /** The model text and document version the run was started from: findings refer to these. */
  readonly text: string;
  readonly version: number | null;
  state: PanelRunState;
  model: ModelSummary | null;
  findings: Finding[];
  /** Bounded as every holder bounds it (shared/history.ts); the panel is rebuilt from it. */
  history: RunHistory;
  lastStep: StepMetrics | null;
  lastEpoch: EpochMetrics | null;
  outcome: RunOutcome | null;
  /** Set for a run that no worker trains (a Python process, a recorded stream): how the panel acts on it. */
  external: ExternalRunControl | null;
}

/** What the panel does with a run it did not start: stop it, show a layer's source, give a fix's code. */
export interface ExternalRunControl {
  stop(): void;
  reveal(layerName: string | null): Promise<void>;
  showFix(fixId: string): Promise<void>;
}

/** The feed of a run from outside the worker: the same events a worker's run fires. */
export interface ExternalRun {
  readonly record: RunRecord;
  started(model: ModelSummary): void;
  progress(batch: ProgressBatch): void;
  end(outcome: RunOutcome): void;
}

export interface RunsOptions {
  workerScript: string;
  log: vscode.LogOutputChannel;
}

export class TrainingRuns extends Disposable {
  private readonly active = new Map<string, { record: RunRecord; worker: WorkerRun }>();
  /** Models whose run is being prepared (reading files): a second Train must not start a parallel run. */
  private readonly starting = new Set<string>();
  private readonly latest = new Map<string, RunRecord>();
  private readonly finishedRuns = new FinishedRuns<FinishedRun>((r) => r.info.runId);
  private lastRecord: RunRecord | null = null;
  private script: string;

  private readonly startEmitter = this.register(new vscode.EventEmitter<RunRecord>());
  private readonly progressEmitter = this.register(new vscode.EventEmitter<{ run: RunRecord; batch: ProgressBatch }>());
  private readonly stateEmitter = this.register(new vscode.EventEmitter<RunRecord>());
  private readonly endEmitter = this.register(new vscode.EventEmitter<RunRecord>());
  readonly onDidStart = this.startEmitter.event;
  readonly onDidProgress = this.progressEmitter.event;
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidEnd = this.endEmitter.event;

  constructor(private readonly options: RunsOptions) {
    super();
    this.script = options.workerScript;
  }

  /** Lets the extension-host tests run a deliberately crashing worker script; undefined restores the engine's. */
  setWorkerScript(script: string | undefined): void {
    this.script = script ?? this.options.workerScript;
  }

  /** The engine worker's script (the repair runs in the same worker). */
  get workerScript(): string {
    return this.script;
  }

  get isTraining(): boolean {
    return this.active.size > 0;
  }

  /** The most recent run of any model (what the panel shows). */
  get current(): RunRecord | null {
    return this.lastRecord;
  }

  latestFor(uri: vscode.Uri): RunRecord | null {
    return this.latest.get(uri.toString()) ?? null;
  }

  /** The model's last finished runs, newest first (the panel compares two of them). */
  finishedFor(uri: vscode.Uri): readonly FinishedRun[] {
    return this.finishedRuns.of(uri.toString());
  }

  activeFor(uri: vscode.Uri): RunRecord | null {
    return this.active.get(uri.toString())?.record ?? null;
  }

  /** The run a command without a target acts on: the active editor's model, else the latest active run. */
  targetRun(uri?: vscode.Uri): RunRecord | null {
    if (uri) return this.activeFor(uri);
    const editorUri = vscode.window.activeTextEditor?.document.uri;
    const fromEditor = editorUri && this.activeFor(editorUri);
    if (fromEditor) return fromEditor;
    return [...this.active.values()].at(-1)?.record ?? null;
  }

  async train(uri: vscode.Uri, request: TrainRequest = {}): Promise<RunOutcome | undefined> {
    if (!vscode.workspace.isTrusted) {
      const choice = await vscode.window.showErrorMessage(
        'NN Debugger: training reads the model\'s data files and runs the engine on them, so it needs a trusted workspace. Validation works without trust.',
        'Manage Workspace Trust',
      );
      if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    const key = uri.toString();
    const running = this.active.get(key);
    if (running) {
      const ok =
        request.restart ||
        (await vscode.window.showWarningMessage(`${path.basename(uri.path)} is already training. Restart it?`, { modal: true }, 'Restart')) === 'Restart';
      if (!ok) return undefined;
      await running.worker.stop();
    }
    if (this.starting.has(key)) return undefined; // a start of this model is already under way
    this.starting.add(key);
    let prepared: Awaited<ReturnType<TrainingRuns['prepare']>>;
    try {
      prepared = await this.prepare(uri, request);
    } finally {
      this.starting.delete(key);
    }
    if ('kind' in prepared) return prepared;
    const { worker, record } = prepared;
    worker.start();
    const outcome = await worker.ended;
    if (this.active.get(key)?.worker === worker) this.active.delete(key);
    return this.finish(record, outcome);
  }

  /** Reads, checks and announces a run; returns its worker (registered, not started) or why it cannot start. */
  private async prepare(uri: vscode.Uri, request: TrainRequest): Promise<{ worker: WorkerRun; record: RunRecord } | RunOutcome> {
    const log = this.options.log;
    const key = uri.toString();
    const document = await vscode.workspace.openTextDocument(uri);
    const text = document.getText();
    const settings = readSettings(uri);
    const parsed = parseModel(text, uri.fsPath);
    const runId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const spec = parsed.ok ? parsed.spec : null;
    const record: RunRecord = {
      runId,
      uri,
      modelName: spec?.name ?? path.basename(uri.path, '.nn.json'),
      seed: spec?.seed ?? 0,
      totalEpochs: request.epochs ?? spec?.epochs ?? null,
      startedAt: Date.now(),
      text,
      version: document.version,
      state: 'running',
      model: null,
      findings: [],
      history: new RunHistory(),
      lastStep: null,
      lastEpoch: null,
      outcome: null,
      external: null,
    };
    const startError = (message: string, issues: Extract<RunOutcome, { kind: 'failed' }>['issues'] = []) =>
      this.finish(record, { kind: 'failed', message, issues });

    this.latest.set(key, record);
    this.lastRecord = record;
    this.startEmitter.fire(record);
    log.info(`run ${runId}: ${uri.fsPath} (probe every ${settings.probeEvery}, memory limit ${settings.workerMemoryLimitMb} MB)`);

    if (!parsed.ok || !spec) {
      const errors = parsed.issues.filter((i) => i.severity === 'error');
      return startError(`${path.basename(uri.path)} is not a valid model: ${errors[0]?.message ?? 'see Problems'}`, errors.map((i) => ({ message: i.message, path: i.path })));
    }

    let data: ResolvedData;
    try {
      data = await resolveDataFiles(uri, spec);
    } catch (err) {
      return startError(errorText(err));
    }
    const estimate = estimateRunBytes(spec, data.previews);
    const limit = settings.workerMemoryLimitMb * 2 ** 20;
    if (estimate > limit) {
      return startError(
        `${spec.name} would need about ${formatMb(estimate)}, more than the worker memory limit of ${formatMb(limit)} (setting nnDebugger.workerMemoryLimitMb). Make the model or the data smaller.`,
      );
    }

    const options = { ...runOptions(settings), epochs: request.epochs ?? null };
    let loading: LoadingNotification | null = null;
    const endLoading = () => {
      loading?.dispose();
      loading = null;
    };
    const worker = new WorkerRun(this.workerScript, settings.workerMemoryLimitMb, { type: 'start', runId, modelPath: uri.fsPath, modelText: text, files: data.refs, options }, {
      loading: (file, bytes, total) => {
        if (bytes >= total) return endLoading();
        loading ??= new LoadingNotification(file, () => void worker.stop());
        loading.report(bytes, total);
      },
      started: (model) => {
        endLoading();
        record.model = model;
        log.info(`run ${runId}: ${model.name}, ${model.paramCount} parameters, kernel ${model.kernel}, ${model.trainSamples}/${model.valSamples} samples`);
        this.stateEmitter.fire(record);
      },
      progress: (batch) => this.absorb(record, batch),
      paused: (paused) => {
        record.state = paused ? 'paused' : 'running';
        this.stateEmitter.fire(record);
      },
      log: (level, message) => log[level](`worker: ${message}`),
    });
    void worker.ended.finally(endLoading);
    this.active.set(key, { record, worker });
    return { worker, record };
  }

  /** Announces a run fed from outside (src/extension/python-run.ts, recorded-run.ts); `uri` is its source file. */
  startExternal(uri: vscode.Uri, name: string, control: ExternalRunControl): ExternalRun {
    const record: RunRecord = {
      runId: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      uri, modelName: name, seed: 0, totalEpochs: null, startedAt: Date.now(),
      // not a model text: findings are placed at the file's start and cannot be applied as edits
      text: '', version: null,
      state: 'running', model: null, findings: [], history: new RunHistory(),
      lastStep: null, lastEpoch: null, outcome: null, external: control,
    };
    this.latest.set(uri.toString(), record);
    this.lastRecord = record;
    this.startEmitter.fire(record);
    let ended = false;
    return {
      record,
      started: (model) => {
        record.model = model;
        this.stateEmitter.fire(record);
      },
      progress: (batch) => this.absorb(record, batch),
      end: (outcome) => {
        if (ended) return;
        ended = true;
        this.finish(record, outcome);
      },
    };
  }

  async stop(uri?: vscode.Uri): Promise<RunOutcome | undefined> {
    const run = this.targetRun(uri);
    return run ? this.active.get(run.uri.toString())?.worker.stop() : undefined;
  }

  togglePause(uri?: vscode.Uri): void {
    const run = this.targetRun(uri);
    const worker = run && this.active.get(run.uri.toString())?.worker;
    if (!run || !worker) return;
    if (run.state === 'paused') worker.resume();
    else worker.pause();
  }

  override dispose(): void {
    for (const { worker } of this.active.values()) worker.dispose();
    this.active.clear();
    super.dispose();
  }

  private absorb(record: RunRecord, batch: ProgressBatch): void {
    record.history.absorb(batch);
    if (batch.findings) record.findings = batch.findings;
    record.lastStep = batch.steps.at(-1) ?? record.lastStep;
    record.lastEpoch = batch.epochs.at(-1) ?? record.lastEpoch;
    this.progressEmitter.fire({ run: record, batch });
  }

  private finish(record: RunRecord, outcome: RunOutcome): RunOutcome {
    const log = this.options.log;
    record.outcome = outcome;
    if (outcome.kind === 'finished') {
      record.findings = record.history.findings = outcome.findings;
      if (record.model) {
        const info = { runId: record.runId, modelPath: record.uri.fsPath, model: record.model, seed: record.seed, startedAt: record.startedAt };
        this.finishedRuns.add(record.uri.toString(), { info, summary: outcome.summary, findings: outcome.findings, steps: record.history.comparedSteps(), epochs: [...record.history.epochs] });
      }
      const s = outcome.summary.status;
      record.state = s === 'stopped' ? 'stopped' : s === 'failed' ? 'failed' : 'finished';
      log.info(`run ${record.runId}: ${s} after ${outcome.summary.epochs} epochs, ${outcome.findings.length} findings, loss ${outcome.summary.final.loss}`);
    } else if (outcome.kind === 'stopped') {
      record.state = 'stopped';
      log.warn(`run ${record.runId}: stopped${outcome.forced ? ' (forced: the worker did not stop in time)' : ''}`);
    } else {
      record.state = 'failed';
      log.error(`run ${record.runId}: ${outcome.message}`);
      void vscode.window.showErrorMessage(`NN Debugger: ${outcome.message}`, 'Show Log').then((c) => c && log.show(true));
    }
    this.endEmitter.fire(record);
    return outcome;
  }
}

/**
 * The data file a model reads, relative to the model's folder (as the CLI reads it), else to the workspace
 * root. A file on disk is passed by path (the worker streams it); one without (a virtual workspace) as text.
 */
export async function resolveDataFiles(uri: vscode.Uri, spec: ModelSpec): Promise<ResolvedData> {
  if (!spec.data.isFile) return { refs: {}, previews: {} };
  const file = spec.data.source;
  // an untitled model has no folder of its own: its files are looked up in the first workspace folder
  const folder = (vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0])?.uri;
  const candidates = [...(uri.scheme === 'untitled' ? [] : [vscode.Uri.joinPath(uri, '..', file)]), ...(folder ? [vscode.Uri.joinPath(folder, file)] : [])];
  for (const candidate of candidates) {
    let stat: vscode.FileStat;
    try {
      stat = await vscode.workspace.fs.stat(candidate);
    } catch {
      continue; // try the next location
    }
    if (!(stat.type & vscode.FileType.File)) continue;
    if (candidate.scheme === 'file') {
      return { refs: { [file]: { path: candidate.fsPath } }, previews: { [file]: { head: await readHead(candidate.fsPath), bytes: stat.size } } };
    }
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(candidate));
    return { refs: { [file]: { text } }, previews: { [file]: { head: text.slice(0, PREVIEW_BYTES), bytes: text.length } } };
  }
  throw new Error(`Data file "${file}" of ${path.basename(uri.path)} was not found next to the model or in the workspace root`);
}

async function readHead(file: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(PREVIEW_BYTES), 0, PREVIEW_BYTES, 0);
    return new TextDecoder().decode(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
