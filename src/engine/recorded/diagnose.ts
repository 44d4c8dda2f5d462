// The engine's runtime rules over a recorded PyTorch run. Static rules are about a `.nn.json` file's text
// (its initialisers, its data), which a recorded run does not have.
import { diagnose, type ThresholdOverrides } from '../diagnosis';
import type { Finding, ProbeSnapshot, RunSummary } from '../types';
import { recordedSpec, ruleKind } from './spec';
import type { RecordedRun } from './stream';

/** Probes with the kinds the rules read (a convolution is a weight layer, as dense is). */
function ruleProbes(probes: readonly ProbeSnapshot[]): ProbeSnapshot[] {
  return probes.map((s) => ({ ...s, layers: s.layers.map((l) => ({ ...l, kind: ruleKind(l.kind) })) }));
}

/** The run's summary with the first non-finite report, also while the run is going. */
function summaryOf(run: RecordedRun): RunSummary | null {
  if (run.summary) return run.summary;
  if (!run.nonFinite) return null;
  return { status: 'non-finite', epochs: run.epochs.length, steps: run.probes[run.probes.length - 1]?.step ?? 0, durationMs: 0, samplesPerSecond: 0, final: { loss: null, accuracy: null, valLoss: null, valAccuracy: null }, nonFinite: run.nonFinite, restoredEpoch: null };
}

export function diagnoseRecorded(run: RecordedRun, overrides: ThresholdOverrides = {}): Finding[] {
  return diagnose({ spec: recordedSpec(run), dataset: null, probes: ruleProbes(run.probes), epochs: run.epochs, summary: summaryOf(run) }, overrides, ['runtime']);
}
