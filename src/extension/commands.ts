// The "NN Debugger" commands. Each resolves its target model (argument, active editor, or a quick pick)
// and delegates; the Train command resolves with the run's outcome so callers (and tests) can await it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from './config';
import { Disposable } from './dispose';
import type { PanelHost } from './panel';
import { exportReport, type ReportFormat } from './report';
import { exportPyTorch } from './export-pytorch';
import type { TrainingRuns, TrainRequest } from './runs';
import { newModel } from './templates';
import { isModelDocument } from './validation';

export const COMMANDS = {
  train: 'nnDebugger.train',
  stop: 'nnDebugger.stop',
  togglePause: 'nnDebugger.togglePause',
  showPanel: 'nnDebugger.showPanel',
  newModel: 'nnDebugger.newModel',
  exportReport: 'nnDebugger.exportReport',
  exportPyTorch: 'nnDebugger.exportPyTorch',
} as const;

const TRAINING_CONTEXT = 'nnDebugger.training';

async function pickModel(): Promise<vscode.Uri | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (editor && isModelDocument(editor.document)) return editor.document.uri;
  const files = await vscode.workspace.findFiles('**/*.nn.json', '**/node_modules/**', 500);
  if (files.length === 1) return files[0];
  const picked = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: path.basename(uri.path), description: vscode.workspace.asRelativePath(uri, false), uri })),
    { title: 'NN Debugger: pick a model', placeHolder: files.length ? 'Model to train' : 'No *.nn.json in this workspace: run "NN Debugger: New Model"' },
  );
  return picked?.uri;
}

export class Commands extends Disposable {
  constructor(extensionUri: vscode.Uri, runs: TrainingRuns, panel: PanelHost) {
    super();
    const setTraining = () => void vscode.commands.executeCommand('setContext', TRAINING_CONTEXT, runs.isTraining);
    this.register(runs.onDidStart(setTraining));
    this.register(runs.onDidEnd(setTraining));
    this.register(
      runs.onDidStart((run) => {
        if (readSettings(run.uri).autoOpenPanel) panel.show(true);
      }),
    );
    const cmd = (id: string, fn: (...args: never[]) => unknown) => this.register(vscode.commands.registerCommand(id, fn));
    cmd(COMMANDS.train, async (uri?: vscode.Uri, request?: TrainRequest) => {
      const target = uri instanceof vscode.Uri ? uri : await pickModel();
      return target ? runs.train(target, request) : undefined;
    });
    cmd(COMMANDS.stop, (uri?: vscode.Uri) => runs.stop(uri instanceof vscode.Uri ? uri : undefined));
    cmd(COMMANDS.togglePause, (uri?: vscode.Uri) => runs.togglePause(uri instanceof vscode.Uri ? uri : undefined));
    cmd(COMMANDS.showPanel, () => panel.show());
    cmd(COMMANDS.newModel, (template?: string) => newModel(extensionUri, typeof template === 'string' ? template : undefined));
    cmd(COMMANDS.exportReport, async (uri?: vscode.Uri, format?: ReportFormat, target?: vscode.Uri) => {
      const model = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      const run = (model && runs.latestFor(model)) || runs.current;
      return exportReport(run, format, target);
    });
    cmd(COMMANDS.exportPyTorch, async (uri?: vscode.Uri, target?: vscode.Uri) => {
      const model = uri instanceof vscode.Uri ? uri : await pickModel();
      return model ? exportPyTorch(model, target instanceof vscode.Uri ? target : undefined) : undefined;
    });
  }
}
