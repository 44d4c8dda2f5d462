// The extension trusts nothing a worker script sends: every message is shape-checked before it is used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFromWebview, isFromWorker, isToWorker } from '../../src/shared/protocol';

const batch = { steps: [], epochs: [], probes: [], findings: null };
const model = { name: 'm', layers: [] };
const summary = { status: 'completed', epochs: 1, steps: 10 };
const options = { probeEvery: 10, thresholds: {}, epochs: null, maxMessagesPerSecond: 20, threads: 0 };

test('well-formed worker messages pass', () => {
  for (const m of [
    { type: 'started', runId: 'r', model },
    { type: 'progress', runId: 'r', seq: 3, batch },
    { type: 'paused', runId: 'r', paused: true },
    { type: 'loading', runId: 'r', file: 'data/big.csv', bytes: 1024, total: 4096 },
    { type: 'finished', runId: 'r', summary, findings: [] },
    { type: 'failed', runId: 'r', message: 'bad', issues: [{ message: 'units must be >= 1', path: ['layers', 0, 'units'] }] },
    { type: 'log', level: 'warn', message: 'slow' },
    { type: 'repair-progress', runId: 'r', event: { type: 'baseline' } },
    { type: 'repaired', runId: 'r', result: { text: '{}', attempts: [], summary, findings: [] } },
  ]) assert.ok(isFromWorker(m), JSON.stringify(m));
});

test('malformed worker messages are refused: wrong types, missing fields, unknown kinds, no object', () => {
  for (const m of [
    'not an object',
    null,
    [],
    { type: 'progress', runId: 'r', batch: 'garbage' },
    { type: 'progress', runId: 'r', batch },
    { type: 'failed', runId: 'r' },
    { type: 'failed', runId: 'r', message: 'bad', issues: [{ message: 1 }] },
    { type: 'finished', runId: 'r', summary: {}, findings: [] },
    { type: 'started', model },
    { type: 'started', runId: 'r', model: { layers: [] } },
    { type: 'finished', runId: 'r', summary: { status: 'done', epochs: 1, steps: 1 }, findings: [] },
    { type: 'paused', runId: 'r', paused: 'yes' },
    { type: 'loading', runId: 'r', file: 'big.csv', bytes: '1' , total: 2 },
    { type: 'loading', runId: 'r', bytes: 1, total: 2 },
    { type: 'log', level: 'debug', message: 'x' },
    { type: 'exploded', runId: 'r' },
    { type: 'repair-progress', runId: 'r' },
    { type: 'repaired', runId: 'r', result: { text: 1, attempts: [], summary: {}, findings: [] } },
    { type: 'repaired', runId: 'r', result: { text: '{}', summary: {}, findings: [] } },
  ]) assert.equal(isFromWorker(m), false, JSON.stringify(m));
});

test('repair requests are shape-checked on their way to the worker and from the panel', () => {
  assert.ok(isToWorker({ type: 'repair', runId: 'r', modelPath: 'm.nn.json', modelText: '{}', files: {}, options, rounds: 4 }));
  assert.equal(isToWorker({ type: 'repair', runId: 'r', modelPath: 'm.nn.json', modelText: '{}', files: {}, options }), false, 'rounds missing');
  assert.ok(isFromWebview({ type: 'repair', runId: 'r' }));
  assert.equal(isFromWebview({ type: 'repair' }), false);
});

test('a start message carries each data file as a resolved path or as text, nothing else', () => {
  const start = (files: unknown) => ({ type: 'start', runId: 'r', modelPath: '/w/m.nn.json', modelText: '{}', files, options });
  assert.ok(isToWorker(start({})));
  assert.ok(isToWorker(start({ 'd.csv': { path: '/w/d.csv' }, 'e.json': { text: '[]' } })));
  for (const files of [{ 'd.csv': 'a,b\n1,2' }, { 'd.csv': { path: 3 } }, { 'd.csv': null }, []]) assert.equal(isToWorker(start(files)), false, JSON.stringify(files));
});
