import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, open, waitFor, workspaceFile } from './helpers';

describe('activation', () => {
  it('activates when a .nn.json model is opened and contributes its commands', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'extension installed');
    const editor = await open(workspaceFile('spiral.nn.json'));
    assert.equal(editor.document.languageId, 'jsonc', '*.nn.json files are JSON with comments');
    await waitFor('activation', () => ext.isActive, 30_000);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['train', 'stop', 'togglePause', 'showPanel', 'newModel', 'exportReport', 'exportPyTorch']) {
      assert.ok(commands.includes(`nnDebugger.${id}`), `nnDebugger.${id} registered`);
    }
  });
});
