import * as assert from 'node:assert/strict';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import * as vscode from 'vscode';
import { open, rangeOf, train, validationDiagnostics, waitFor, workspaceFile, writeModel } from './helpers';

const INVALID = `{
  // units must be a positive integer
  "name": "invalid",
  "data": { "source": "spiral", "samples": 200, "classes": 3 },
  "layers": [
    { "type": "dense", "units": -3 },
    { "type": "relu" },
    { "type": "dense", "units": 3 }
  ],
  "loss": "softmax-cross-entropy",
  "optimizer": { "type": "adam", "lr": 0.01 },
  "epochs": 2
}
`;

describe('an invalid model', () => {
  it('gets positioned diagnostics while typing, fails to train with a clear message, and breaks nothing', async () => {
    const uri = await writeModel('invalid.nn.json', INVALID);
    const editor = await open(uri);
    const doc = editor.document;
    const units = findNodeAtLocation(parseTree(INVALID)!, ['layers', 0, 'units'])!;
    const unitsRange = rangeOf(doc, units.offset, units.length);
    const onUnits = await waitFor('a diagnostic on layers[0].units', () =>
      validationDiagnostics(uri).find((d) => d.severity === vscode.DiagnosticSeverity.Error && (d.range.contains(unitsRange) || unitsRange.contains(d.range))),
    );
    assert.equal(onUnits.range.start.line, unitsRange.start.line);

    // Typing a syntax error: a diagnostic appears where the text broke, after the debounce.
    const namePos = doc.positionAt(INVALID.indexOf('"invalid"') + '"invalid"'.length);
    await editor.edit((e) => e.delete(new vscode.Range(namePos, namePos.translate(0, 1)))); // drop the comma
    await waitFor('a diagnostic at the missing comma', () => validationDiagnostics(uri).some((d) => Math.abs(d.range.start.line - namePos.line) <= 1));
    await editor.edit((e) => e.insert(namePos, ','));
    await waitFor('the syntax diagnostic to go away', () => !validationDiagnostics(uri).some((d) => d.range.start.line === namePos.line + 1 && !d.range.contains(unitsRange)));

    const outcome = await train(uri);
    assert.equal(outcome?.kind, 'failed');
    assert.ok(outcome?.kind === 'failed' && outcome.issues.some((i) => i.path.join('.') === 'layers.0.units'), JSON.stringify(outcome));
    assert.match(outcome.kind === 'failed' ? outcome.message : '', /invalid\.nn\.json/);

    // The extension still works afterwards.
    const ok = await train(workspaceFile('spiral.nn.json'), { epochs: 1 });
    assert.equal(ok?.kind, 'finished');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
