import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RepairCommandResult } from '../../../src/extension/repair';
import { api, findingDiagnostics, open, waitFor, workspaceFile } from './helpers';

const repair = (uri: vscode.Uri, rounds: number) => vscode.commands.executeCommand<RepairCommandResult | undefined>('nnDebugger.repair', uri, rounds);

describe('Repair Automatically', () => {
  afterEach(async () => {
    (await api()).setWorkerScript(undefined);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('keeps the fix that repairs the model, as one undoable edit, and retrains', async () => {
    const ext = await api();
    const uri = workspaceFile('broken/missing-activation-circles.nn.json');
    const doc = (await open(uri)).document;
    const original = doc.getText();
    const before = ext.currentRun()?.runId;
    const r = await repair(uri, 2);
    assert.ok(r?.result, JSON.stringify(r).slice(0, 300));
    assert.equal(r.outcome, 'finished');
    assert.equal(r.result.attempts[0].code, 'missing-activation');
    assert.deepEqual(r.applied, r.result.attempts.filter((a) => a.kept).map((a) => a.fixId));
    assert.ok(r.applied.includes('insert-activation:dense_1:relu'), r.result.attempts.map((a) => `${a.fixId}: ${a.why}`).join('; '));
    assert.equal(doc.getText(), r.result.text, 'the document holds exactly the kept edits');
    assert.ok(doc.isDirty, 'applied as editor edits, not written behind the editor\'s back');

    await waitFor('the retrain of the repaired model', () => ext.currentRun()?.runId !== before && ext.currentRun()?.state === 'finished', 60_000);
    assert.deepEqual(findingDiagnostics(uri).filter((d) => d.code === 'missing-activation').map((d) => d.message), []);

    await open(uri);
    for (let i = 0; i < r.applied.length; i++) await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), original, 'one undo step per kept edit');
  });

  it('a worker that crashes ends the repair with an error and leaves the document alone', async () => {
    const ext = await api();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nn-repair-'));
    const crash = path.join(dir, 'crash.js');
    writeFileSync(crash, "throw new Error('deliberate repair worker crash');\n");
    const uri = workspaceFile('broken/missing-activation-circles.nn.json');
    const doc = (await open(uri)).document;
    const original = doc.getText();
    ext.setWorkerScript(crash);
    const r = await repair(uri, 2);
    assert.equal(r?.outcome, 'failed');
    assert.deepEqual(r?.applied, []);
    assert.equal(doc.getText(), original);
    assert.equal(doc.isDirty, false);
  });
});
