// The worker-thread entry: runs one TrainingSession at a time for the extension host and speaks the
// ToWorker/FromWorker protocol. Live data goes through the coalescer; the host acknowledges each batch.
import { parentPort } from 'node:worker_threads';
import { isToWorker, type FromWorker, type ToWorker } from '../protocol';
import { TrainingSession } from '../engine/session';
import { InvalidModelError } from '../engine/session-api';
import { ProgressCoalescer } from './coalescer';

if (!parentPort) throw new Error('dist/worker.js must run as a worker thread');
const port = parentPort;

interface Current {
  runId: string;
  session: TrainingSession;
  coalescer: ProgressCoalescer;
}
let current: Current | null = null;

const post = (msg: FromWorker): void => port.postMessage(msg);

function start(msg: Extract<ToWorker, { type: 'start' }>): void {
  if (current) {
    post({ type: 'failed', runId: msg.runId, message: `A run (${current.runId}) is already active in this worker`, issues: [] });
    return;
  }
  const { runId, options } = msg;
  const coalescer = new ProgressCoalescer((seq, batch) => post({ type: 'progress', runId, seq, batch }), options.maxMessagesPerSecond);
  const session = new TrainingSession(
    msg.modelText,
    msg.modelPath,
    msg.files,
    { probeEvery: options.probeEvery, thresholds: options.thresholds, threads: options.threads, ...(options.epochs !== null ? { epochs: options.epochs } : {}) },
    {
      onStart: (model) => post({ type: 'started', runId, model }),
      onStep: (m) => coalescer.addStep(m),
      onEpoch: (m) => coalescer.addEpoch(m),
      onProbe: (p) => coalescer.addProbe(p),
      onFindings: (f) => coalescer.setFindings(f),
    },
  );
  current = { runId, session, coalescer };
  session.run().then(
    (result) => {
      coalescer.flush();
      post({ type: 'finished', runId, summary: result.summary, findings: result.findings });
    },
    (err: unknown) => {
      coalescer.flush();
      if (err instanceof InvalidModelError) {
        post({ type: 'failed', runId, message: err.message, issues: err.issues.map((i) => ({ message: i.message, path: i.path })) });
      } else {
        post({ type: 'failed', runId, message: err instanceof Error ? err.message : String(err), issues: [] });
      }
    },
  ).finally(() => {
    coalescer.dispose();
    current = null;
  });
}

port.on('message', (msg: unknown) => {
  if (!isToWorker(msg)) {
    post({ type: 'log', level: 'warn', message: `Ignored a malformed message: ${JSON.stringify(msg).slice(0, 200)}` });
    return;
  }
  if (msg.type === 'start') return start(msg);
  if (!current || current.runId !== msg.runId) return; // a message for a run that already ended
  switch (msg.type) {
    case 'stop':
      current.session.stop();
      break;
    case 'pause':
      current.session.pause();
      post({ type: 'paused', runId: msg.runId, paused: true });
      break;
    case 'resume':
      current.session.resume();
      post({ type: 'paused', runId: msg.runId, paused: false });
      break;
    case 'ack':
      current.coalescer.ack(msg.seq);
      break;
  }
});
