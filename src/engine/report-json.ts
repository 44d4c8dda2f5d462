// The JSON report of a run: a contract with CI users (`nn-debugger train --json`), also written by the
// extension's Export Report so both speak the same shape.
import type { Finding, ModelSummary, ProbeSnapshot, RunSummary } from './types';

export interface JsonReport {
  model: string;
  epochs: number;
  steps: number;
  durationMs: number;
  samplesPerSecond: number;
  final: { loss: number | null; accuracy: number | null; valLoss: number | null; valAccuracy: number | null };
  findings: JsonFinding[];
  /** Per layer: the activation std predicted before training from the initialisers, and the one observed at the first probe. */
  layers?: LayerScale[];
}

export interface LayerScale {
  name: string;
  kind: string;
  predictedActivationStd: number | null;
  observedActivationStd: number | null;
}

interface JsonFinding {
  code: string;
  severity: string;
  layer: { index: number; name: string } | null;
  layers: { layer: { index: number; name: string }; value: number | null; note?: string }[];
  field: string | null;
  message: string;
  concept: { title: string; text: string; url: string };
  explainedBy: string | null;
  evidence: Finding['evidence'];
  fixes: { id: string; title: string; preferred: boolean }[];
}

const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);

export function jsonFindings(findings: Finding[]): JsonFinding[] {
  return findings.map((f) => ({
    code: f.code,
    severity: f.severity,
    layer: f.layer ? { index: f.layer.index, name: f.layer.name } : null,
    layers: f.layers.map((a) => ({ layer: { index: a.layer.index, name: a.layer.name }, value: finite(a.value), ...(a.note ? { note: a.note } : {}) })),
    field: f.field,
    message: f.message,
    concept: f.concept,
    explainedBy: f.explainedBy ?? null,
    evidence: f.evidence,
    fixes: f.fixes.map((x) => ({ id: x.id, title: x.title, preferred: x.preferred })),
  }));
}

/**
 * Predicted (before training) against observed (at the first probe, before steps have moved the weights
 * far) activation std per layer: where they part, the initialisers are not doing what they should.
 */
export function layerScales(model: ModelSummary, probes: readonly ProbeSnapshot[]): LayerScale[] {
  const first = probes[0];
  return model.layers.map((l) => ({
    name: l.name,
    kind: l.kind,
    predictedActivationStd: finite(l.predictedActivationStd ?? null),
    observedActivationStd: finite(first?.layers.find((p) => p.position === l.position)?.activationStd ?? null),
  }));
}

export function jsonReport(modelPath: string, summary: RunSummary, findings: Finding[], layers?: LayerScale[]): JsonReport {
  return {
    model: modelPath,
    epochs: summary.epochs,
    steps: summary.steps,
    durationMs: Math.round(summary.durationMs),
    samplesPerSecond: Math.round(summary.samplesPerSecond),
    final: {
      loss: finite(summary.final.loss),
      accuracy: finite(summary.final.accuracy),
      valLoss: finite(summary.final.valLoss),
      valAccuracy: finite(summary.final.valAccuracy),
    },
    findings: jsonFindings(findings),
    ...(layers ? { layers } : {}),
  };
}
