import * as assert from 'node:assert/strict';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import * as vscode from 'vscode';
import { applyFix as engineApplyFix } from '../../../src/engine/fixes';
import { findingDiagnostics, open, rangeOf, train, waitFor, workspaceFile } from './helpers';

// A deliberately broken example and what NN Debugger must say about it.
const BROKEN = { file: 'broken/poor-initialization-zeros.nn.json', code: 'poor-initialization', layerIndex: 1 };

describe('a broken model', () => {
  it('gets the expected finding on the layer, a preferred quick-fix that edits the file, and undo restores it', async () => {
    const uri = workspaceFile(BROKEN.file);
    const editor = await open(uri);
    const doc = editor.document;
    const original = doc.getText();
    const outcome = await train(uri, { epochs: 3 });
    assert.equal(outcome?.kind, 'finished', JSON.stringify(outcome).slice(0, 400));

    const node = findNodeAtLocation(parseTree(original)!, ['layers', BROKEN.layerIndex])!;
    const expectedRange = rangeOf(doc, node.offset, node.length);
    const diagnostic = await waitFor(`a ${BROKEN.code} diagnostic`, () => findingDiagnostics(uri).find((d) => d.code === BROKEN.code));
    assert.ok(diagnostic.range.isEqual(expectedRange), `range ${JSON.stringify(diagnostic.range)} is layers[${BROKEN.layerIndex}] ${JSON.stringify(expectedRange)}`);
    assert.ok(diagnostic.severity <= vscode.DiagnosticSeverity.Warning);
    assert.ok(diagnostic.relatedInformation?.some((r) => r.message.startsWith('Evidence: ')), 'evidence in related information');

    const offered = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range);
    const actions = offered.filter((a) => a.command?.command === 'nnDebugger.applyFix');
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, `exactly one preferred fix among [${offered.map((a) => `${a.title} (${a.command?.command}, ${a.diagnostics?.map((d) => d.code)})`).join(' | ')}]`);
    assert.ok(actions.some((a) => a.title.startsWith('Apply and retrain')), 'an "Apply and retrain" action');

    const args = preferred[0]!.command!.arguments![0] as { fixId: string; version: number };
    assert.equal(await vscode.commands.executeCommand('nnDebugger.applyFix', args), true, 'the fix was applied');
    assert.equal(doc.getText(), engineApplyFix(original, args.fixId), 'the document holds exactly the fix');
    assert.notEqual(doc.getText(), original);
    await waitFor('findings marked stale', () => findingDiagnostics(uri).every((d) => d.message.startsWith('(stale')));

    // The same action again targets a version that no longer exists: refused, nothing changes.
    const afterFix = doc.getText();
    assert.equal(await vscode.commands.executeCommand('nnDebugger.applyFix', args), false);
    assert.equal(doc.getText(), afterFix);

    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    await waitFor('undo to restore the original text', () => doc.getText() === original);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });
});
