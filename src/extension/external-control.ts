// How the panel acts on a PyTorch run: a layer name opens the Python line that defines it, a fix is given
// as PyTorch code (copied, and shown in the output channel), since there is no model file to edit.
import * as vscode from 'vscode';
import { pytorchFix } from '../engine/recorded/pytorch-fixes';
import { fixTitle } from '../engine/fixes';
import { definitionLine } from './python-source';
import type { ExternalRunControl } from './runs';

export function pytorchRunControl(script: () => vscode.Uri | null, layers: () => { name: string; kind: string }[], output: vscode.OutputChannel, stop: () => void): ExternalRunControl {
  return {
    stop,
    async reveal(layerName) {
      const uri = script();
      if (!uri) return;
      const doc = await vscode.workspace.openTextDocument(uri);
      const line = layerName ? definitionLine(doc.getText(), layerName) : null;
      const selection = line === null ? undefined : doc.lineAt(line).range;
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection });
    },
    async showFix(fixId) {
      const code = pytorchFix(fixId, layers());
      output.appendLine(`# ${fixTitle(fixId)}\n${code}\n`);
      await vscode.env.clipboard.writeText(code);
      void vscode.window.showInformationMessage(`NN Debugger: PyTorch code for "${fixTitle(fixId)}" copied to the clipboard.`, 'Show').then((c) => c && output.show(true));
    },
  };
}
