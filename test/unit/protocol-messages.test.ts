// Every message type of every direction has one description (src/shared/protocol.ts); its check accepts a
// well-formed message and rejects a malformed one, saying which message type and which field is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNumbers, encodeNumbers, MESSAGE_TYPES, whyNotFromWebview, whyNotFromWorker, whyNotToWebview, whyNotToWorker } from '../../src/shared/protocol';

const model = { name: 'm', layers: [{ index: 0, name: 'dense_1', position: 0, kind: 'dense' }] };
const summary = { status: 'completed', epochs: 2, steps: 20 };
const options = { probeEvery: 10, thresholds: { 'dead-relu': { maxDead: 0.5 } }, epochs: null, maxMessagesPerSecond: 20, threads: 0 };
const finding = { code: 'dead-relu', severity: 'warning', message: 'm', layers: [{ layer: { index: 0, name: 'dense_1' }, value: 0.9 }], fixes: [{ id: 'lr:0.01', title: 't', preferred: true }] };
const batch = {
  steps: [{ step: 1, epoch: 1, loss: NaN, lr: 0.1 }],
  epochs: [{ epoch: 1, step: 1, loss: 1 }],
  probes: [{ step: 1, layers: [{ position: 0, index: 0, name: 'dense_1', kind: 'dense' }] }],
  findings: [finding],
  visuals: [{ step: 1, layers: [{ position: 0 }], boundary: null, points: null }],
};

const info = { runId: 'r', modelPath: '/m.nn.json', model, seed: 1, startedAt: 0 };
const history = { steps: { items: batch.steps, stride: 2 }, epochs: batch.epochs, probes: { items: batch.probes, stride: 1 }, pictures: { items: batch.visuals, stride: 1 }, findings: null, probeCount: 3 };
const finishedRun = { info, summary, findings: [finding], steps: batch.steps, epochs: batch.epochs };

type Table = Record<string, { ok: Record<string, unknown>; bad: Record<string, unknown>; field: string }>;

// One well-formed message per type, and a malformed variant naming the field that is wrong.
const directions: { name: keyof typeof MESSAGE_TYPES; whyNot: (v: unknown) => string | null; table: Table }[] = [
  {
    name: 'toWorker',
    whyNot: whyNotToWorker,
    table: {
      start: { ok: { runId: 'r', modelPath: 'm.nn.json', modelText: '{}', files: { 'd.csv': { path: '/d.csv' } }, options }, bad: { options: { ...options, threads: '2' } }, field: 'options.threads' },
      repair: { ok: { runId: 'r', modelPath: 'm.nn.json', modelText: '{}', files: {}, options, rounds: 4 }, bad: { rounds: undefined }, field: 'rounds' },
      stop: { ok: { runId: 'r' }, bad: { runId: 1 }, field: 'runId' },
      pause: { ok: { runId: 'r' }, bad: { runId: null }, field: 'runId' },
      resume: { ok: { runId: 'r' }, bad: { runId: undefined }, field: 'runId' },
      ack: { ok: { runId: 'r', seq: 3 }, bad: { seq: '3' }, field: 'seq' },
    },
  },
  {
    name: 'fromWorker',
    whyNot: whyNotFromWorker,
    table: {
      started: { ok: { runId: 'r', model }, bad: { model: { name: 'm', layers: [{ index: 0, position: 0, kind: 'dense' }] } }, field: 'model.layers[0].name' },
      progress: { ok: { runId: 'r', seq: 1, batch }, bad: { batch: { ...batch, probes: [{ step: 1 }] } }, field: 'batch.probes[0].layers' },
      paused: { ok: { runId: 'r', paused: true }, bad: { paused: 'yes' }, field: 'paused' },
      loading: { ok: { runId: 'r', file: 'd.csv', bytes: 1, total: 2 }, bad: { total: undefined }, field: 'total' },
      finished: { ok: { runId: 'r', summary, findings: [finding] }, bad: { findings: [{ ...finding, severity: 'fatal' }] }, field: 'findings[0].severity' },
      'repair-progress': { ok: { runId: 'r', event: { type: 'baseline' } }, bad: { event: {} }, field: 'event.type' },
      repaired: { ok: { runId: 'r', result: { text: '{}', attempts: [], summary, findings: [] } }, bad: { result: { text: '{}', attempts: [], summary: {}, findings: [] } }, field: 'result.summary.status' },
      failed: { ok: { runId: 'r', message: 'bad', issues: [{ message: 'units', path: ['layers', 0] }] }, bad: { issues: [{ message: 'units', path: [true] }] }, field: 'issues[0].path[0]' },
      log: { ok: { level: 'warn', message: 'slow' }, bad: { level: 'debug' }, field: 'level' },
    },
  },
  {
    name: 'toWebview',
    whyNot: whyNotToWebview,
    table: {
      'run-start': { ok: { run: info }, bad: { run: { ...info, seed: undefined } }, field: 'run.seed' },
      replay: { ok: { runId: 'r', history }, bad: { history: { ...history, probes: { items: [] } } }, field: 'history.probes.stride' },
      'finished-runs': { ok: { modelPath: '/m.nn.json', runs: [finishedRun] }, bad: { runs: [{ ...finishedRun, info: { ...info, seed: undefined } }] }, field: 'runs[0].info.seed' },
      progress: { ok: { runId: 'r', batch }, bad: { batch: { ...batch, steps: 'many' } }, field: 'batch.steps' },
      'run-state': { ok: { runId: 'r', state: 'paused' }, bad: { state: 'idle' }, field: 'state' },
      'run-end': { ok: { runId: 'r', summary, findings: [] }, bad: { summary: null }, field: 'summary' },
      'run-failed': { ok: { runId: null, message: 'x' }, bad: { message: 7 }, field: 'message' },
      stale: { ok: { runId: 'r' }, bad: { runId: undefined }, field: 'runId' },
    },
  },
  {
    name: 'fromWebview',
    whyNot: whyNotFromWebview,
    table: {
      ready: { ok: {}, bad: {}, field: '' },
      'apply-fix': { ok: { runId: 'r', fixId: 'lr:0.01', retrain: true }, bad: { retrain: 'yes' }, field: 'retrain' },
      'reveal-layer': { ok: { runId: 'r', layerIndex: 1, field: null }, bad: { field: 3 }, field: 'field' },
      control: { ok: { action: 'retrain' }, bad: { action: 'explode' }, field: 'action' },
      repair: { ok: { runId: 'r' }, bad: { runId: undefined }, field: 'runId' },
    },
  },
];

for (const { name, whyNot, table } of directions) {
  test(`${name}: every message type is described here, and only those`, () => {
    assert.deepEqual(Object.keys(table).sort(), [...MESSAGE_TYPES[name]].sort());
  });

  for (const [type, { ok, bad, field }] of Object.entries(table)) {
    const good = { type, ...ok };
    test(`${name} "${type}": a well-formed one passes, a malformed one is rejected by name`, () => {
      assert.equal(whyNot(good), null);
      if (name === 'toWebview' || name === 'fromWebview') assert.equal(whyNot(decodeNumbers(JSON.parse(JSON.stringify(encodeNumbers(good))))), null, 'survives the JSON trip');
      if (type === 'ready') return; // nothing to get wrong but the type
      const why = whyNot({ ...good, ...bad });
      assert.ok(why !== null, 'rejected');
      assert.ok(why.startsWith(`"${type}" message: ${field}`), why);
    });
  }

  test(`${name}: not an object, no type, an unknown type`, () => {
    assert.match(whyNot('hello') ?? '', /must be an object/);
    assert.match(whyNot([]) ?? '', /must be an object/);
    assert.match(whyNot({ runId: 'r' }) ?? '', /needs a string "type"/);
    assert.match(whyNot({ type: 'launch-missiles' }) ?? '', /unknown message type "launch-missiles"/);
    assert.match(whyNot({ type: 'toString' }) ?? '', /unknown message type/, 'inherited names are not message types');
  });
}
