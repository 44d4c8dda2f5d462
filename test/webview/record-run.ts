// Records a run from the real engine as the ToWebview messages the extension sends the panel: one progress
// batch per epoch, bounded as the worker bounds its pending batch (a shared/history.ts RunHistory).
import { prepareSpec, TrainingSession } from '../../src/engine/session';
import type { ToWebview } from '../../src/shared/protocol';
import { RunHistory } from '../../src/shared/history';
import type { Finding } from '../../src/engine/types';

export async function record(runId: string, modelPath: string, text: string, pictureEverySteps = 1): Promise<{ messages: ToWebview[]; findings: Finding[] }> {
  const messages: ToWebview[] = [];
  let batch = new RunHistory();
  const flush = () => {
    messages.push({ type: 'progress', runId, batch: batch.toBatch() });
    batch = new RunHistory();
  };
  const seed = prepareSpec(text, modelPath).seed;
  // pictures by steps, not by time, so a recording is the same on any machine
  let steps = 0;
  const session = new TrainingSession(text, modelPath, {}, { yieldEveryMs: 1000, visuals: { everyMs: pictureEverySteps, clock: () => steps } }, {
    onStart: (model) => {
      messages.push({ type: 'run-start', run: { runId, modelPath, model, seed, startedAt: Date.now() } }, { type: 'run-state', runId, state: 'running' });
    },
    onStep: (m) => {
      batch.steps.push(m);
      steps = m.step;
    },
    onProbe: (p) => batch.absorb({ steps: [], epochs: [], probes: [p], findings: null }),
    onVisual: (v) => batch.absorb({ steps: [], epochs: [], probes: [], findings: null, visuals: [v] }),
    onEpoch: (e) => batch.epochs.push(e),
    onFindings: (f) => {
      batch.findings = f;
      flush();
    },
  });
  const result = await session.run();
  if (!batch.isEmpty) flush();
  messages.push({ type: 'run-state', runId, state: 'finished' }, { type: 'run-end', runId, summary: result.summary, findings: result.findings });
  return { messages, findings: result.findings };
}
