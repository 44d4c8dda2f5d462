import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, findingDiagnostics, open, train, waitFor, workspaceFile } from './helpers';

describe('Apply and retrain', () => {
  it('applies the preferred fix, trains again, and the finding is gone', async () => {
    const ext = await api();
    const uri = workspaceFile('broken/poor-initialization-constant.nn.json');
    const doc = (await open(uri)).document;
    const original = doc.getText();
    await train(uri, { epochs: 3 });
    const diagnostic = await waitFor('a poor-initialization diagnostic', () => findingDiagnostics(uri).find((d) => d.code === 'poor-initialization'));
    const firstRun = ext.currentRun()!.runId;

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range);
    const retrain = actions.find((a) => a.title.startsWith('Apply and retrain: '));
    assert.ok(retrain?.command, 'an Apply and retrain action');
    assert.equal(await vscode.commands.executeCommand(retrain.command.command, ...(retrain.command.arguments ?? [])), true);
    assert.notEqual(doc.getText(), original);

    await waitFor('the retrained run to finish', () => ext.currentRun()?.runId !== firstRun && ext.currentRun()?.state === 'finished', 60_000);
    assert.deepEqual(findingDiagnostics(uri).filter((d) => d.code === 'poor-initialization').map((d) => d.message), []);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });
});
