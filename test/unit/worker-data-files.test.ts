// The engine worker reads a data file itself, by the path the extension resolved: it reports loading
// progress (at least the end of the file), trains on the file's rows, and names a file it cannot read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FromWorker, ToWorker } from '../../src/shared/protocol';

const entry = JSON.stringify(fileURLToPath(new URL('../../src/worker/main.ts', import.meta.url)));

/** Runs one start message in a fresh worker; resolves with every message up to the run's end. */
async function run(files: Extract<ToWorker, { type: 'start' }>['files'], source: string): Promise<FromWorker[]> {
  const model = JSON.stringify({ seed: 2, data: { source, target: 'label', samples: 300 }, layers: [{ type: 'dense', units: 2 }], loss: 'softmax-cross-entropy', epochs: 1, batchSize: 32 });
  const worker = new Worker(`require('tsx/cjs/api').register(); require(${entry});`, { eval: true });
  const messages: FromWorker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', (m: FromWorker) => {
        messages.push(m);
        if (m.type === 'progress') worker.postMessage({ type: 'ack', runId: 'r1', seq: m.seq } satisfies ToWorker);
        if (m.type === 'finished' || m.type === 'failed') resolve();
      });
      const options = { probeEvery: 0, thresholds: {}, epochs: null, maxMessagesPerSecond: 30, threads: 1 };
      worker.postMessage({ type: 'start', runId: 'r1', modelPath: '/nowhere/m.nn.json', modelText: model, files, options } satisfies ToWorker);
    });
  } finally {
    await worker.terminate();
  }
  return messages;
}

test('the worker streams a data file from its path, reports loading, and trains on the sampled rows', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-worker-data-'));
  const file = path.join(dir, 'd.csv');
  fs.writeFileSync(file, ['a,b,label', ...Array.from({ length: 5000 }, (_, i) => `${(i % 97) / 10},${(i % 13) - 6},${i % 2 ? 'odd' : 'even'}`)].join('\n'));
  const messages = await run({ 'data/d.csv': { path: file } }, 'data/d.csv');
  const loading = messages.filter((m) => m.type === 'loading');
  assert.ok(loading.length >= 1);
  assert.deepEqual(loading.at(-1), { type: 'loading', runId: 'r1', file: 'data/d.csv', bytes: fs.statSync(file).size, total: fs.statSync(file).size });
  const started = messages.find((m) => m.type === 'started');
  assert.ok(started && started.type === 'started');
  assert.equal(started.model.trainSamples + started.model.valSamples, 300);
  assert.equal(messages.at(-1)?.type, 'finished', JSON.stringify(messages.at(-1)));
  assert.ok(messages.indexOf(loading.at(-1)!) < messages.indexOf(started), 'loading comes before the run starts');

  const missing = await run({ 'gone.csv': { path: path.join(dir, 'gone.csv') } }, 'gone.csv');
  const failed = missing.at(-1);
  assert.ok(failed?.type === 'failed', JSON.stringify(failed));
  assert.match(failed.message, /cannot read data file gone\.csv \(ENOENT\)/);
  fs.rmSync(dir, { recursive: true });
});
