// Records a run from the real engine as the ToWebview messages the extension sends the panel: one progress
// batch per epoch with the run's pictures bounded as the worker bounds them (keepPictures).
import { prepareSpec, TrainingSession } from '../../src/engine/session';
import { keepPictures, type ProgressBatch, type ToWebview } from '../../src/shared/protocol';
import type { Finding } from '../../src/engine/types';

export async function record(runId: string, modelPath: string, text: string, pictureEverySteps = 1): Promise<{ messages: ToWebview[]; findings: Finding[] }> {
  const messages: ToWebview[] = [];
  const empty = (): ProgressBatch => ({ steps: [], epochs: [], probes: [], findings: null, visuals: [] });
  let batch = empty();
  const flush = () => {
    messages.push({ type: 'progress', runId, batch });
    batch = empty();
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
    onProbe: (p) => batch.probes.push(p),
    onVisual: (v) => (batch.visuals = keepPictures(batch.visuals ?? [], [v])),
    onEpoch: (e) => batch.epochs.push(e),
    onFindings: (f) => {
      batch.findings = f;
      flush();
    },
  });
  const result = await session.run();
  if (batch.steps.length || batch.probes.length || batch.visuals?.length) flush();
  messages.push({ type: 'run-state', runId, state: 'finished' }, { type: 'run-end', runId, summary: result.summary, findings: result.findings });
  return { messages, findings: result.findings };
}
