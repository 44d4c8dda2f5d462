// What a run shows outside the panel: a cancellable progress notification per run and one status bar
// item (epoch, loss, worst health) that reveals the panel when clicked.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Finding } from '../shared/protocol';
import { worstSeverity } from '../shared/severity';
import { Disposable } from './dispose';
import type { RunRecord, TrainingRuns } from './runs';

export function worstHealth(findings: Finding[]): { label: string; icon: string } {
  const worst = worstSeverity(findings);
  if (worst === 'error') return { label: `${findings.length} problem${findings.length > 1 ? 's' : ''}`, icon: '$(error)' };
  if (worst === 'warning') return { label: `${findings.length} warning${findings.length > 1 ? 's' : ''}`, icon: '$(warning)' };
  return { label: 'healthy', icon: '$(pass)' };
}

function describe(run: RunRecord): string {
  const epoch = run.lastEpoch ? `epoch ${run.lastEpoch.epoch}${run.totalEpochs ? `/${run.totalEpochs}` : ''}` : 'starting';
  const loss = run.lastStep ?? run.lastEpoch;
  return `${epoch}${loss ? `, loss ${Number.isFinite(loss.loss) ? loss.loss.toFixed(4) : String(loss.loss)}` : ''}`;
}

export class RunStatusBar extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('nnDebugger.run', vscode.StatusBarAlignment.Left, 10));

  constructor(runs: TrainingRuns, showPanelCommand: string) {
    super();
    this.item.name = 'NN Debugger Training';
    this.item.command = showPanelCommand;
    const update = (run: RunRecord) => runs.current === run && this.render(run);
    this.register(runs.onDidStart(update));
    this.register(runs.onDidChangeState(update));
    this.register(runs.onDidProgress(({ run }) => update(run)));
    this.register(runs.onDidEnd(update));
  }

  private render(run: RunRecord): void {
    const health = worstHealth(run.findings);
    const state = run.state === 'running' ? '$(sync~spin)' : run.state === 'paused' ? '$(debug-pause)' : run.state === 'failed' ? '$(error)' : health.icon;
    this.item.text = `${state} ${run.modelName}: ${run.state === 'failed' ? 'failed' : describe(run)} · ${health.label}`;
    this.item.tooltip = `NN Debugger: ${run.modelName} (${run.state}). Click to show Gradient Health.`;
    this.item.show();
  }
}

export class RunNotifications extends Disposable {
  constructor(runs: TrainingRuns) {
    super();
    this.register(runs.onDidStart((run) => this.track(runs, run)));
  }

  private track(runs: TrainingRuns, run: RunRecord): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${path.basename(run.uri.path)}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          const subs: vscode.Disposable[] = [];
          const done = () => {
            subs.forEach((d) => d.dispose());
            resolve();
          };
          let lastEpoch = 0; // epochs count from 1
          subs.push(
            token.onCancellationRequested(() => void runs.stop(run.uri)),
            runs.onDidProgress(({ run: r }) => {
              if (r !== run || !run.lastEpoch || run.lastEpoch.epoch === lastEpoch) return;
              const increment = run.totalEpochs ? ((run.lastEpoch.epoch - lastEpoch) / run.totalEpochs) * 100 : undefined;
              lastEpoch = run.lastEpoch.epoch;
              progress.report({ message: describe(run), increment });
            }),
            runs.onDidEnd((r) => r === run && done()),
          );
          if (run.outcome) done(); // ended before we subscribed (invalid model)
        }),
    );
  }
}
