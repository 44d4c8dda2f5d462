// The worker-thread entry: runs one TrainingSession (or one repair loop) at a time for the extension host
// and speaks the ToWorker/FromWorker protocol. Live data goes through the coalescer; the host acknowledges
// each batch. A repair reports its rounds instead of live training data.
import { parentPort } from 'node:worker_threads';
import { isToWorker, type DataFileRef, type FromWorker, type ToWorker } from '../shared/protocol';
import type { DataFiles } from '../engine/data/dataset';
import { openDataFiles } from '../cli/data-files';
import { TrainingSession } from '../engine/session';
import { InvalidModelError } from '../engine/session-api';
import { repairModel } from '../engine/repair';
import { ProgressCoalescer } from './coalescer';

if (!parentPort) throw new Error('dist/worker.js must run as a worker thread');
const port = parentPort;

interface Current {
  runId: string;
  /** Null for a repair, which cannot be paused. */
  session: TrainingSession | null;
  coalescer: ProgressCoalescer | null;
  stop(): void;
}
let current: Current | null = null;
/** The panel's pictures (decision boundary, distributions) refresh a few times per second. */
const PICTURE_EVERY_MS = 250;

const post = (msg: FromWorker): void => port.postMessage(msg);

function busy(runId: string): boolean {
  if (!current) return false;
  post({ type: 'failed', runId, message: `A run (${current.runId}) is already active in this worker`, issues: [] });
  return true;
}

function failure(runId: string, err: unknown): FromWorker {
  if (err instanceof InvalidModelError) return { type: 'failed', runId, message: err.message, issues: err.issues.map((i) => ({ message: i.message, path: i.path })) };
  return { type: 'failed', runId, message: err instanceof Error ? err.message : String(err), issues: [] };
}

/** How often a loading file reports progress; a file read faster than this reports nothing. */
const LOADING_EVERY_MS = 250;

/** Data files by path are streamed from disk here, reporting progress at most every LOADING_EVERY_MS. */
function dataFiles(runId: string, refs: Record<string, DataFileRef>): DataFiles {
  return openDataFiles(refs, (name) => {
    let next = Date.now() + LOADING_EVERY_MS;
    let posted = -1;
    return (bytes, total) => {
      const now = Date.now();
      if (bytes === posted || (now < next && bytes < total)) return;
      next = now + LOADING_EVERY_MS;
      posted = bytes;
      post({ type: 'loading', runId, file: name, bytes, total });
    };
  });
}

/** The run's data files, or null after reporting why they cannot be opened. */
function openFiles(runId: string, refs: Record<string, DataFileRef>): DataFiles | null {
  try {
    return dataFiles(runId, refs);
  } catch (err) {
    post(failure(runId, err));
    return null;
  }
}

function start(msg: Extract<ToWorker, { type: 'start' }>): void {
  if (busy(msg.runId)) return;
  const { runId, options } = msg;
  const files = openFiles(runId, msg.files);
  if (!files) return;
  const coalescer = new ProgressCoalescer((seq, batch) => post({ type: 'progress', runId, seq, batch }), options.maxMessagesPerSecond);
  const session = new TrainingSession(
    msg.modelText,
    msg.modelPath,
    files,
    { probeEvery: options.probeEvery, thresholds: options.thresholds, threads: options.threads, visuals: { everyMs: PICTURE_EVERY_MS }, ...(options.epochs !== null ? { epochs: options.epochs } : {}) },
    {
      onStart: (model) => post({ type: 'started', runId, model }),
      onStep: (m) => coalescer.addStep(m),
      onEpoch: (m) => coalescer.addEpoch(m),
      onProbe: (p) => coalescer.addProbe(p),
      onVisual: (v) => coalescer.addVisual(v),
      onFindings: (f) => coalescer.setFindings(f),
    },
  );
  current = { runId, session, coalescer, stop: () => session.stop() };
  session.run().then(
    (result) => {
      coalescer.flush();
      post({ type: 'finished', runId, summary: result.summary, findings: result.findings });
    },
    (err: unknown) => {
      coalescer.flush();
      post(failure(runId, err));
    },
  ).finally(() => {
    coalescer.dispose();
    current = null;
  });
}

function repair(msg: Extract<ToWorker, { type: 'repair' }>): void {
  if (busy(msg.runId)) return;
  const { runId, options } = msg;
  const files = openFiles(runId, msg.files);
  if (!files) return;
  const abort = new AbortController();
  current = { runId, session: null, coalescer: null, stop: () => abort.abort() };
  repairModel(msg.modelText, msg.modelPath, files, {
    rounds: msg.rounds,
    probeEvery: options.probeEvery,
    thresholds: options.thresholds,
    threads: options.threads,
    ...(options.epochs !== null ? { epochs: options.epochs } : {}),
    signal: abort.signal,
    onRound: (event) => post({ type: 'repair-progress', runId, event }),
  }).then(
    (result) => post({ type: 'repaired', runId, result }),
    (err: unknown) => post(failure(runId, err)),
  ).finally(() => {
    current = null;
  });
}

port.on('message', (msg: unknown) => {
  if (!isToWorker(msg)) {
    post({ type: 'log', level: 'warn', message: `Ignored a malformed message: ${JSON.stringify(msg).slice(0, 200)}` });
    return;
  }
  if (msg.type === 'start') return start(msg);
  if (msg.type === 'repair') return repair(msg);
  if (!current || current.runId !== msg.runId) return; // a message for a run that already ended
  switch (msg.type) {
    case 'stop':
      current.stop();
      break;
    case 'pause':
      if (!current.session) break;
      current.session.pause();
      post({ type: 'paused', runId: msg.runId, paused: true });
      break;
    case 'resume':
      if (!current.session) break;
      current.session.resume();
      post({ type: 'paused', runId: msg.runId, paused: false });
      break;
    case 'ack':
      current.coalescer?.ack(msg.seq);
      break;
  }
});
