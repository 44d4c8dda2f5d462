// "NN Debugger: Export to PyTorch": the model's training as a PyTorch script, with the data (and the
// engine's initial weights) written beside it. Asks where to write, and asks before replacing any file.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { prepareSpec } from '../engine/session';
import { loadDataset } from '../engine/data/load';
import { exportToPyTorch } from '../engine/export/pytorch';
import { resolveDataFiles } from './runs';
import { openDataFiles } from '../cli/data-files';

const exists = async (uri: vscode.Uri) => vscode.workspace.fs.stat(uri).then(() => true, () => false);

/**
 * Exports `model`; `target` (the script) skips the save dialog. Returns the script written, or undefined
 * when the user cancelled or the model could not be exported (the reason is shown).
 */
export async function exportPyTorch(model: vscode.Uri, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('NN Debugger: exporting reads the model\'s data files, which needs a trusted workspace.');
    return undefined;
  }
  const stemOf = (uri: vscode.Uri) => path.basename(uri.path).replace(/\.nn\.json$|\.json$/i, '');
  target ??= await vscode.window.showSaveDialog({
    title: 'NN Debugger: Export to PyTorch',
    defaultUri: vscode.Uri.joinPath(model, '..', `${stemOf(model)}.py`),
    filters: { Python: ['py'] },
  });
  if (!target) return undefined;
  if (!target.path.endsWith('.py')) target = target.with({ path: `${target.path}.py` });
  let result;
  try {
    const text = (await vscode.workspace.openTextDocument(model)).getText();
    const spec = prepareSpec(text, model.fsPath);
    const dataset = loadDataset(spec, openDataFiles((await resolveDataFiles(model, spec)).refs));
    result = exportToPyTorch({ spec, dataset, modelFile: path.basename(model.path), stem: path.basename(target.path, '.py'), sameInit: true });
  } catch (err) {
    void vscode.window.showErrorMessage(`NN Debugger: cannot export ${path.basename(model.path)}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const writes = [
    { uri: target, bytes: new TextEncoder().encode(result.script) },
    ...result.files.map((f) => ({ uri: vscode.Uri.joinPath(target, '..', f.name), bytes: f.bytes })),
  ];
  const existing: string[] = [];
  for (const w of writes) if (await exists(w.uri)) existing.push(path.basename(w.uri.path));
  if (existing.length > 0) {
    const replace = 'Replace';
    const answer = await vscode.window.showWarningMessage(`NN Debugger: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}. Replace?`, { modal: true }, replace);
    if (answer !== replace) return undefined;
  }
  for (const w of writes) await vscode.workspace.fs.writeFile(w.uri, w.bytes);
  void vscode.window.showInformationMessage(`NN Debugger: exported to ${path.basename(target.path)} (run it with python3, or torchrun for several processes).`, 'Open').then((choice) => {
    if (choice) void vscode.window.showTextDocument(target);
  });
  return target;
}
