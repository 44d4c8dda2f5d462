import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, open, train, waitFor, workspaceFile } from './helpers';
import type { RunOutcome } from '../../../src/extension/worker-host';

/** Starts spiral for 100 000 epochs and waits for its first epoch; the run ends only when stopped. */
async function startLongRun() {
  const ext = await api();
  const uri = workspaceFile('spiral.nn.json');
  await open(uri);
  const before = ext.currentRun()?.runId;
  const running = train(uri, { epochs: 100_000 });
  const runId = await waitFor('the first epoch of the new run', () => {
    const run = ext.currentRun();
    return run && run.runId !== before && run.state === 'running' && run.epoch !== null && run.runId;
  }, 60_000);
  return { ext, uri, running, runId };
}

function assertStopped(outcome: RunOutcome | undefined): void {
  assert.ok(outcome?.kind === 'stopped' || (outcome?.kind === 'finished' && outcome.summary.status === 'stopped'), JSON.stringify(outcome).slice(0, 300));
}

describe('stopping a long run', () => {
  it('pauses, resumes, and stops within 2 s', async () => {
    const { ext, uri, running } = await startLongRun();

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
    assertStopped(outcome);
    assert.equal(ext.currentRun()?.state, 'stopped');
  });

  it('asks before restarting a model that is already training: a dismissed question keeps the run, Restart replaces it', async () => {
    const { ext, uri, running: first, runId: firstRun } = await startLongRun();
    // the modal question, answered by the test (tests share the extension's API object)
    const window = vscode.window as { showWarningMessage: (message: string, ...rest: unknown[]) => Thenable<unknown> };
    const original = window.showWarningMessage;
    const asked: string[] = [];
    let answer: string | undefined;
    window.showWarningMessage = async (message: string) => {
      asked.push(message);
      return answer;
    };
    try {
      const declined = await vscode.commands.executeCommand('nnDebugger.train', uri, { epochs: 100_000 });
      assert.equal(declined, undefined);
      assert.deepEqual(asked, ['spiral.nn.json is already training. Restart it?']);
      assert.equal(ext.currentRun()?.runId, firstRun, 'the run goes on');
      assert.equal(ext.currentRun()?.state, 'running');

      answer = 'Restart';
      const second = vscode.commands.executeCommand<RunOutcome | undefined>('nnDebugger.train', uri, { epochs: 100_000 });
      assertStopped(await first);
      await waitFor('the restarted run', () => {
        const run = ext.currentRun();
        return run && run.runId !== firstRun && run.state === 'running' && run.epoch !== null;
      }, 60_000);
      assert.equal(asked.length, 2);
      await vscode.commands.executeCommand('nnDebugger.stop', uri);
      await second;
    } finally {
      window.showWarningMessage = original;
    }
  });
});
