import * as assert from 'node:assert/strict';
import { parseTree, findNodeAtLocation } from 'jsonc-parser';
import * as vscode from 'vscode';
import { validationDiagnostics, waitFor, workspaceRoot } from './helpers';

describe('New Model', () => {
  it('copies a template into the workspace under a free name, without the repository-relative $schema, and opens it', async () => {
    const created = await vscode.commands.executeCommand<vscode.Uri>('nnDebugger.newModel', 'circles');
    assert.ok(created, 'a file was created');
    assert.equal(created.toString(), vscode.Uri.joinPath(workspaceRoot(), 'circles-1.nn.json').toString(), 'circles.nn.json exists, so -1');
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(created));
    const root = parseTree(text)!;
    assert.equal(findNodeAtLocation(root, ['$schema']), undefined);
    assert.ok(findNodeAtLocation(root, ['layers']), 'a model with layers');
    await waitFor('the new model in the active editor', () => vscode.window.activeTextEditor?.document.uri.toString() === created.toString());
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(validationDiagnostics(created).filter((d) => d.severity === vscode.DiagnosticSeverity.Error).map((d) => d.message), []);
  });

  it('offers the four healthy templates first and broken ones after', async () => {
    const ext = vscode.extensions.getExtension('nn-debugger.nn-debugger')!;
    const { listTemplates } = await import('../../../src/extension/templates');
    const templates = await listTemplates(ext.extensionUri);
    assert.deepEqual(templates.slice(0, 4).map((t) => t.label), ['spiral', 'circles', 'iris', 'mnist']);
    assert.ok(templates.some((t) => t.broken), 'at least one broken template');
    const firstBroken = templates.findIndex((t) => t.broken);
    assert.ok(templates.slice(firstBroken).every((t) => t.broken), 'broken ones last');
  });
});
