import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, setSetting, train, waitFor, workspaceFile, writeModel } from './helpers';

// Real worker scripts that fail the two ways a worker can: an exception at start, and a heap that
// outgrows the worker's resourceLimits.
const dir = mkdtempSync(path.join(os.tmpdir(), 'nn-worker-'));
const THROWS = path.join(dir, 'throws.js');
const OOM = path.join(dir, 'oom.js');
writeFileSync(THROWS, "throw new Error('deliberate worker crash');\n");
writeFileSync(OOM, 'const keep = [];\nfor (;;) keep.push(Array.from({ length: 1e5 }, (_, i) => ({ i })));\n');
// A worker that talks nonsense (wrong shapes, another run's id, no object at all) and then exits.
const GARBLED = path.join(dir, 'garbled.js');
writeFileSync(GARBLED, [
  "const { parentPort } = require('node:worker_threads');",
  "parentPort.once('message', (start) => {",
  "  parentPort.postMessage('not an object');",
  "  parentPort.postMessage({ type: 'progress', runId: start.runId, batch: 'garbage' });",
  "  parentPort.postMessage({ type: 'finished', runId: 'another run', summary: {}, findings: [] });",
  "  parentPort.postMessage({ type: 'failed', runId: start.runId });",
  "  setTimeout(() => process.exit(3), 100);",
  "});",
].join('\n'));
// A worker stuck in a loop never sees the cooperative stop: only terminate() ends it.
const STUCK = path.join(dir, 'stuck.js');
writeFileSync(STUCK, 'for (;;) {}\n');

describe('worker failures', () => {
  afterEach(async () => {
    (await api()).setWorkerScript(undefined);
    await setSetting('workerMemoryLimitMb', undefined);
  });

  it('reports a worker that throws, and the next run works', async () => {
    const ext = await api();
    const model = workspaceFile('spiral.nn.json');
    ext.setWorkerScript(THROWS);
    const failed = await train(model);
    assert.equal(failed?.kind, 'failed');
    assert.match(failed?.kind === 'failed' ? failed.message : '', /deliberate worker crash/);
    assert.equal(ext.currentRun()?.state, 'failed');

    ext.setWorkerScript(undefined);
    const ok = await train(model, { epochs: 1 });
    assert.equal(ok?.kind, 'finished', JSON.stringify(ok).slice(0, 300));
  });

  it('reports a worker that runs out of memory, and the next run works', async () => {
    const ext = await api();
    const model = workspaceFile('spiral.nn.json');
    await setSetting('workerMemoryLimitMb', 64);
    ext.setWorkerScript(OOM);
    const failed = await train(model);
    assert.equal(failed?.kind, 'failed');
    assert.match(failed?.kind === 'failed' ? failed.message : '', /out of memory/);

    ext.setWorkerScript(undefined);
    await setSetting('workerMemoryLimitMb', undefined);
    const ok = await train(model, { epochs: 1 });
    assert.equal(ok?.kind, 'finished', JSON.stringify(ok).slice(0, 300));
  });

  it('ignores malformed worker messages and reports the exit, and the next run works', async () => {
    const ext = await api();
    const model = workspaceFile('spiral.nn.json');
    ext.setWorkerScript(GARBLED);
    const failed = await train(model);
    assert.equal(failed?.kind, 'failed', JSON.stringify(failed).slice(0, 300));
    assert.match(failed?.kind === 'failed' ? failed.message : '', /exited unexpectedly \(exit code 3\)/);
    assert.equal(ext.currentRun()?.state, 'failed');

    ext.setWorkerScript(undefined);
    const ok = await train(model, { epochs: 1 });
    assert.equal(ok?.kind, 'finished', JSON.stringify(ok).slice(0, 300));
  });

  it('terminates a worker that ignores stop, within 2 s', async () => {
    const ext = await api();
    ext.setWorkerScript(STUCK);
    const before = ext.currentRun()?.runId;
    const running = train(workspaceFile('spiral.nn.json'));
    await waitFor('the stuck run to start', () => ext.currentRun()?.runId !== before && ext.currentRun()?.state === 'running');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await vscode.commands.executeCommand('nnDebugger.stop');
    const outcome = await running;
    assert.ok(Date.now() - t0 < 2000, `stopped in ${Date.now() - t0} ms`);
    assert.deepEqual(outcome, { kind: 'stopped', forced: true });
  });

  it('refuses a model estimated to need more memory than the limit, before starting a worker', async () => {
    await setSetting('workerMemoryLimitMb', 64);
    const uri = await writeModel(
      'huge.nn.json',
      JSON.stringify({
        name: 'huge',
        data: { source: 'mnist', samples: 1000 },
        layers: [{ type: 'dense', units: 4096, activation: 'relu' }, { type: 'dense', units: 4096, activation: 'relu' }, { type: 'dense', units: 10 }],
        loss: 'softmax-cross-entropy',
        optimizer: { type: 'adam', lr: 0.001 },
        epochs: 1,
      }),
    );
    const refused = await train(uri);
    assert.equal(refused?.kind, 'failed');
    assert.match(refused?.kind === 'failed' ? refused.message : '', /memory limit of 64 MB/);
  });
});
