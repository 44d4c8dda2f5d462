import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { api, findingDiagnostics, open, train, validationDiagnostics, waitFor, workspaceFile } from './helpers';

describe('training a healthy model', () => {
  it('runs spiral to completion with no warning or error diagnostics, and exports the report', async () => {
    const ext = await api();
    const uri = workspaceFile('spiral.nn.json');
    await open(uri);
    const outcome = await train(uri);
    assert.ok(outcome, 'Train Model returned an outcome');
    assert.equal(outcome.kind, 'finished', JSON.stringify(outcome).slice(0, 500));
    assert.ok(outcome.kind === 'finished' && ['completed', 'early-stopped'].includes(outcome.summary.status), `status ${outcome.kind === 'finished' && outcome.summary.status}`);
    assert.ok(outcome.kind === 'finished' && outcome.summary.epochs > 0);
    assert.equal(ext.currentRun()?.state, 'finished');

    const bad = [...findingDiagnostics(uri), ...validationDiagnostics(uri)].filter((d) => d.severity <= vscode.DiagnosticSeverity.Warning);
    assert.deepEqual(bad.map((d) => `${d.code}: ${d.message}`), [], 'a healthy model raises no warnings');
    // Anything else on the file (e.g. the JSON schema) is listed for the log, not judged: it comes from other extensions.
    const others = vscode.languages.getDiagnostics(uri).filter((d) => d.source !== 'NN Debugger');
    if (others.length) console.log('other diagnostics on spiral.nn.json: %s', others.map((d) => `${d.source}: ${d.message}`).join('; '));

    // Export Report writes the CLI's JSON shape.
    const target = workspaceFile('spiral.report.json');
    const written = await vscode.commands.executeCommand<vscode.Uri>('nnDebugger.exportReport', uri, 'json', target);
    assert.equal(written?.toString(), target.toString());
    const report = JSON.parse(readFileSync(target.fsPath, 'utf8'));
    assert.deepEqual(Object.keys(report), ['model', 'epochs', 'steps', 'durationMs', 'samplesPerSecond', 'final', 'findings']);
    assert.deepEqual(Object.keys(report.final), ['loss', 'accuracy', 'valLoss', 'valAccuracy']);
    assert.equal(report.epochs, outcome.kind === 'finished' ? outcome.summary.epochs : -1);
    const md = await vscode.commands.executeCommand<vscode.Uri>('nnDebugger.exportReport', uri, 'markdown', workspaceFile('spiral.report.md'));
    assert.match(readFileSync(md!.fsPath, 'utf8'), /^# Gradient health report: /);

    // The panel was opened for the run (autoOpenPanel).
    await waitFor('the Gradient Health panel tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('nnDebugger.gradientHealth')),
    );
  });
});
