// "NN Debugger: Repair Automatically": runs the engine's repair loop in a worker (never on the extension
// host thread) under a cancellable progress notification, then applies each kept fix to the open document
// as its own undoable edit and retrains, so the panel shows the repaired model. A worker that crashes
// ends the repair with a message; the editor and the document are untouched by it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { attemptText, DEFAULT_REPAIR_ROUNDS, metricName, metricText, type RepairResult } from '../engine/repair';
import { parseModel } from '../engine/spec/parse';
import { readSettings, runOptions } from './config';
import { Disposable } from './dispose';
import { applyFix } from './fixes';
import { estimateRunBytes, formatMb } from './memory-estimate';
import { resolveDataFiles, type ResolvedData, type TrainingRuns } from './runs';
import { errorText, WorkerRun, type RunOutcome } from './worker-host';

export const REPAIR_COMMAND = 'nnDebugger.repair';

/** What the command resolves with (for callers and tests); undefined when the repair never started. */
export interface RepairCommandResult {
  outcome: RunOutcome['kind'];
  result: RepairResult | null;
  /** Kept fixes applied to the document, in order. */
  applied: string[];
}

export class RepairFeature extends Disposable {
  private readonly repairing = new Map<string, WorkerRun>();

  constructor(
    private readonly runs: TrainingRuns,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(
      vscode.commands.registerCommand(REPAIR_COMMAND, async (uri?: vscode.Uri, rounds?: number) => {
        const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
        if (!target || !target.path.endsWith('.nn.json')) {
          void vscode.window.showWarningMessage('NN Debugger: open a .nn.json model to repair it.');
          return undefined;
        }
        return this.repair(target, typeof rounds === 'number' ? rounds : DEFAULT_REPAIR_ROUNDS);
      }),
    );
  }

  override dispose(): void {
    for (const worker of this.repairing.values()) worker.dispose();
    this.repairing.clear();
    super.dispose();
  }

  async repair(uri: vscode.Uri, rounds: number): Promise<RepairCommandResult | undefined> {
    const name = path.basename(uri.path);
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('NN Debugger: repairing trains the model on its data, so it needs a trusted workspace.');
      return undefined;
    }
    const key = uri.toString();
    if (this.repairing.has(key)) {
      void vscode.window.showInformationMessage(`NN Debugger: ${name} is already being repaired.`);
      return undefined;
    }
    if (this.runs.activeFor(uri)) await this.runs.stop(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = doc.getText();
    const parsed = parseModel(text, uri.fsPath);
    if (!parsed.ok) {
      void vscode.window.showErrorMessage(`NN Debugger: ${name} is not a valid model: ${parsed.issues.find((i) => i.severity === 'error')?.message ?? 'see Problems'}`);
      return undefined;
    }
    const settings = readSettings(uri);
    let data: ResolvedData;
    try {
      data = await resolveDataFiles(uri, parsed.spec);
    } catch (err) {
      void vscode.window.showErrorMessage(`NN Debugger: ${errorText(err)}`);
      return undefined;
    }
    const limit = settings.workerMemoryLimitMb * 2 ** 20;
    const estimate = estimateRunBytes(parsed.spec, data.previews);
    if (estimate > limit) {
      void vscode.window.showErrorMessage(`NN Debugger: ${parsed.spec.name} would need about ${formatMb(estimate)}, more than the worker memory limit of ${formatMb(limit)} (setting nnDebugger.workerMemoryLimitMb).`);
      return undefined;
    }

    const runId = `repair-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    let result: RepairResult | null = null;
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Repairing ${name}`, cancellable: true },
      async (progress, token) => {
        const worker = new WorkerRun(this.runs.workerScript, settings.workerMemoryLimitMb, { type: 'repair', runId, modelPath: uri.fsPath, modelText: text, files: data.refs, options: runOptions(settings), rounds }, {
          started: () => undefined,
          progress: () => undefined,
          paused: () => undefined,
          loading: (file, bytes, total) => progress.report({ message: `reading ${file}: ${total > 0 ? Math.floor((100 * bytes) / total) : 100} %` }),
          log: (level, message) => this.log[level](`repair worker: ${message}`),
          repairProgress: (e) => {
            if (e.type === 'baseline') progress.report({ message: 'training the model as it is...' });
            else if (e.type === 'try') progress.report({ message: `round ${e.round}/${e.rounds}: trying ${e.title}...`, increment: 100 / (e.rounds + 1) });
            else this.log.info(`repair ${name}: ${attemptText(e.attempt, e.rounds, e.metric)}`);
          },
          repaired: (r) => (result = r),
        });
        this.repairing.set(key, worker);
        const cancel = token.onCancellationRequested(() => void worker.stop());
        try {
          worker.start();
          return await worker.ended;
        } finally {
          cancel.dispose();
          this.repairing.delete(key);
        }
      },
    );
    if (outcome.kind === 'failed') {
      this.log.error(`repair ${name}: ${outcome.message}`);
      void vscode.window.showErrorMessage(`NN Debugger: the repair of ${name} failed: ${outcome.message}`, 'Show Log').then((c) => c && this.log.show(true));
      return { outcome: outcome.kind, result: null, applied: [] };
    }
    if (!result) {
      void vscode.window.showInformationMessage(`NN Debugger: the repair of ${name} was cancelled; nothing was changed.`);
      return { outcome: outcome.kind, result: null, applied: [] };
    }
    const applied = await this.applyKept(uri, text, result);
    this.report(name, result, applied);
    if (applied.length > 0) void this.runs.train(uri, { restart: true });
    return { outcome: outcome.kind, result, applied };
  }

  /** Applies each kept fix as its own edit, only onto the text the repair started from. */
  private async applyKept(uri: vscode.Uri, startText: string, result: RepairResult): Promise<string[]> {
    const kept = result.attempts.filter((a) => a.kept).map((a) => a.fixId);
    if (kept.length === 0) return [];
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.getText() !== startText) {
      void vscode.window.showWarningMessage(`NN Debugger: ${path.basename(uri.path)} changed during the repair, so its fixes were not applied: ${kept.join(', ')}. Run the repair again.`);
      return [];
    }
    const applied: string[] = [];
    for (const fixId of kept) {
      const current = await vscode.workspace.openTextDocument(uri);
      if (!(await applyFix({ uri: uri.toString(), version: current.version, fixId, retrain: false }, this.runs, this.log))) break;
      applied.push(fixId);
    }
    return applied;
  }

  private report(name: string, result: RepairResult, applied: string[]): void {
    const change = `${metricName(result.metric)} ${metricText(result.initial, result.metric)} -> ${metricText(result.final, result.metric)}`;
    const tried = result.attempts.length;
    const message = applied.length > 0
      ? `NN Debugger: ${name} repaired with ${applied.length} of ${tried} fixes tried (${applied.join(', ')}); ${change}. Each is one undo step; retraining.`
      : `NN Debugger: no fix improved ${name} (${tried} tried${result.cancelled ? ', cancelled' : ''}); the file is unchanged.`;
    this.log.info(message);
    void vscode.window.showInformationMessage(message, 'Show Log').then((c) => c && this.log.show(true));
  }
}
