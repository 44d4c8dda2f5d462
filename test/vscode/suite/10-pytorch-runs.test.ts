import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/worker-host';
import { api, open, setSetting, waitFor, workspaceFile } from './helpers';

// A PyTorch script with a deep sigmoid stack, watched by python/nn_debugger: run live from the editor, and
// recorded to a .nnd.jsonl that is then opened. Debian's python3-torch is what .ci/run installs.
const PYTHON = process.env.NN_DEBUGGER_TEST_PYTHON ?? '/usr/bin/python3';

const SCRIPT = `import torch
import torch.nn as nn
import nn_debugger


class Deep(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 32)
        self.fc4 = nn.Linear(32, 32)
        self.fc5 = nn.Linear(32, 32)
        self.fc6 = nn.Linear(32, 32)
        self.out = nn.Linear(32, 2)
        self.act = nn.Sigmoid()

    def forward(self, x):
        for fc in (self.fc1, self.fc2, self.fc3, self.fc4, self.fc5, self.fc6):
            x = self.act(fc(x))
        return self.out(x)


torch.manual_seed(0)
x = torch.randn(512, 2)
y = (x[:, 0] * x[:, 1] > 0).long()
model = Deep()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
with nn_debugger.watch(model, opt, every=5) as w:
    for epoch in range(4):
        for i in range(0, 512, 32):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            loss.backward()
            w.record_loss(loss)
            opt.step()
        w.epoch(loss=loss.item())
`;

const panelTab = () =>
  vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('nnDebugger.gradientHealth'));

function vanishingOnFc1(outcome: RunOutcome | undefined): void {
  assert.equal(outcome?.kind, 'finished', JSON.stringify(outcome).slice(0, 500));
  const findings = outcome.kind === 'finished' ? outcome.findings : [];
  const vanishing = findings.find((f) => f.code === 'vanishing-gradients');
  assert.ok(vanishing, `vanishing-gradients among ${findings.map((f) => f.code).join(', ')}`);
  assert.equal(vanishing.layer?.name, 'fc1');
}

describe('PyTorch runs', () => {
  const script = () => workspaceFile('pytorch/deep_sigmoid.py');

  before(async () => {
    await vscode.workspace.fs.writeFile(script(), new TextEncoder().encode(SCRIPT));
    await setSetting('pythonPath', PYTHON);
  });

  it('runs a Python file live into the panel, with its findings', async () => {
    const ext = await api();
    await open(script());
    const outcome = await vscode.commands.executeCommand<RunOutcome>('nnDebugger.runPythonFile', script());
    vanishingOnFc1(outcome);
    assert.equal(ext.currentRun()?.state, 'finished');
    assert.equal(ext.currentRun()?.file, script().fsPath);
    await waitFor('the Gradient Health panel tab', panelTab);
  });

  it('opens a recorded run in the panel', async () => {
    const recording = workspaceFile('pytorch/deep_sigmoid.nnd.jsonl');
    const ext = vscode.extensions.getExtension('nn-debugger.nn-debugger')!;
    const r = spawnSync(PYTHON, [script().fsPath], {
      env: { ...process.env, PYTHONPATH: vscode.Uri.joinPath(ext.extensionUri, 'python').fsPath, NN_DEBUGGER_STREAM: recording.fsPath },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const outcome = await vscode.commands.executeCommand<RunOutcome>('nnDebugger.openRecordedRun', recording);
    vanishingOnFc1(outcome);
    assert.equal((await api()).currentRun()?.file, recording.fsPath);
    await waitFor('the Gradient Health panel tab', panelTab);
  });

  it('shows a crashing script as a failed run with its error', async () => {
    const broken = workspaceFile('pytorch/broken.py');
    await vscode.workspace.fs.writeFile(broken, new TextEncoder().encode('import nn_debugger\nraise SystemExit("no model here")\n'));
    const outcome = await vscode.commands.executeCommand<RunOutcome>('nnDebugger.runPythonFile', broken);
    assert.equal(outcome?.kind, 'failed');
    assert.match(outcome.kind === 'failed' ? outcome.message : '', /broken\.py exited with code 1: no model here/);
  });
});
