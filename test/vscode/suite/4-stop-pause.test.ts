import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, open, train, waitFor, workspaceFile } from './helpers';

describe('stopping a long run', () => {
  it('pauses, resumes, and stops within 2 s', async () => {
    const ext = await api();
    const uri = workspaceFile('spiral.nn.json');
    await open(uri);
    const before = ext.currentRun()?.runId;
    const running = train(uri, { epochs: 100_000 });
    await waitFor('the first epoch of the new run', () => {
      const run = ext.currentRun();
      return run && run.runId !== before && run.state === 'running' && run.epoch !== null;
    }, 60_000);

    await vscode.commands.executeCommand('nnDebugger.togglePause', uri);
    await waitFor('paused', () => ext.currentRun()?.state === 'paused', 5_000);
    const pausedAt = ext.currentRun()!.epoch;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(ext.currentRun()!.epoch, pausedAt, 'no epochs while paused');
    await vscode.commands.executeCommand('nnDebugger.togglePause', uri);
    await waitFor('running again', () => ext.currentRun()?.state === 'running', 5_000);

    const t0 = Date.now();
    await vscode.commands.executeCommand('nnDebugger.stop', uri);
    const outcome = await running;
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 2000, `stopped in ${elapsed} ms`);
    assert.ok(outcome?.kind === 'stopped' || (outcome?.kind === 'finished' && outcome.summary.status === 'stopped'), JSON.stringify(outcome).slice(0, 300));
    assert.equal(ext.currentRun()?.state, 'stopped');
  });
});
