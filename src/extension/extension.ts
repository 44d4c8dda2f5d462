// Entry point: builds the features, each owning what it registers, and hands them to VS Code's lifetime.
import * as vscode from 'vscode';
import { Commands } from './commands';
import { FindingDiagnostics } from './findings';
import { FixesFeature } from './fixes';
import { PanelHost } from './panel';
import { RepairFeature } from './repair';
import { PythonRunsFeature } from './python-run';
import { RunNotifications, RunStatusBar } from './run-ui';
import { TrainingRuns } from './runs';
import { ModelValidator } from './validation';

/** What `activate` returns: enough for the extension-host tests to observe runs and inject a failing worker. */
export interface NnDebuggerApi {
  setWorkerScript(script: string | undefined): void;
  currentRun(): { runId: string; state: string; file: string; epoch: number | null } | null;
}

export function activate(context: vscode.ExtensionContext): NnDebuggerApi {
  const log = vscode.window.createOutputChannel('NN Debugger', { log: true });
  const runs = new TrainingRuns({ workerScript: vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath, log });
  const findings = new FindingDiagnostics(runs);
  const panel = new PanelHost(context.extensionUri, runs, findings, log);
  context.subscriptions.push(
    log,
    runs,
    findings,
    panel,
    new ModelValidator(log),
    new FixesFeature(findings, runs, log),
    new RunStatusBar(runs, 'nnDebugger.showPanel'),
    new RunNotifications(runs),
    new Commands(context.extensionUri, runs, panel),
    new RepairFeature(runs, log),
    new PythonRunsFeature(context.extensionUri, runs),
  );
  log.info(`activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'restricted: validation only'})`);
  return {
    setWorkerScript: (script) => runs.setWorkerScript(script),
    currentRun: () => {
      const r = runs.current;
      return r && { runId: r.runId, state: r.state, file: r.uri.fsPath, epoch: r.lastEpoch?.epoch ?? null };
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
