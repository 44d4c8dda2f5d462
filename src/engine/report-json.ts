// The JSON report of a run: a contract with CI users (`nn-debugger train --json`), also written by the
// extension's Export Report so both speak the same shape.
import type { Finding, RunSummary } from './types';

export interface JsonReport {
  model: string;
  epochs: number;
  steps: number;
  durationMs: number;
  samplesPerSecond: number;
  final: { loss: number | null; accuracy: number | null; valLoss: number | null; valAccuracy: number | null };
  findings: JsonFinding[];
}

interface JsonFinding {
  code: string;
  severity: string;
  layer: { index: number; name: string } | null;
  message: string;
  evidence: Finding['evidence'];
  fixes: { id: string; title: string; preferred: boolean }[];
}

const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);

export function jsonFindings(findings: Finding[]): JsonFinding[] {
  return findings.map((f) => ({
    code: f.code,
    severity: f.severity,
    layer: f.layer ? { index: f.layer.index, name: f.layer.name } : null,
    message: f.message,
    evidence: f.evidence,
    fixes: f.fixes.map((x) => ({ id: x.id, title: x.title, preferred: x.preferred })),
  }));
}

export function jsonReport(modelPath: string, summary: RunSummary, findings: Finding[]): JsonReport {
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
  };
}
