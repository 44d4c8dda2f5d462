// `nn-debugger diagnose <run.nnd.jsonl>`: the engine's rules over a PyTorch run recorded by
// python/nn_debugger, with each fix written as PyTorch code (there is no model file to edit).
import * as fs from 'fs';
import { UsageError } from './args';
import { layerTable } from './report';
import { jsonFindings } from '../engine/report-json';
import { parseRecordedRun } from '../engine/recorded/stream';
import { diagnoseRecorded } from '../engine/recorded/diagnose';
import { pytorchFix, type FixLayer } from '../engine/recorded/pytorch-fixes';
import type { Finding } from '../shared/wire-types';
import { evidenceText } from '../shared/format';

function fixesText(findings: Finding[], layers: readonly FixLayer[]): string {
  if (findings.length === 0) return 'No problems found.';
  const lines: string[] = [];
  for (const f of findings) {
    const where = f.layer ? ` [${f.layer.name}]` : f.field ? ` [${f.field}]` : '';
    lines.push(`${f.severity.toUpperCase()} ${f.code}${where}: ${f.message}`);
    lines.push(`  evidence: ${evidenceText(f)}`);
    for (const fix of f.fixes) {
      lines.push(`  ${fix.preferred ? '*' : '-'} ${fix.title}:`);
      for (const code of pytorchFix(fix.id, layers).split('\n')) lines.push(`      ${code}`);
    }
  }
  return lines.join('\n');
}

/** Exit code as for `train`: 1 when a finding is an error. */
export function diagnoseCommand(file: string, json: boolean, write: (s: string) => void): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const run = parseRecordedRun(text, file);
  const findings = diagnoseRecorded(run);
  if (json) {
    const withCode = jsonFindings(findings).map((f) => ({ ...f, fixes: f.fixes.map((x) => ({ ...x, pytorch: pytorchFix(x.id, run.model.layers) })) }));
    write(JSON.stringify({ run: file, model: run.model.name, status: run.summary?.status ?? 'running', steps: run.summary?.steps ?? run.probes[run.probes.length - 1]?.step ?? 0, epochs: run.epochs.length, findings: withCode }));
  } else {
    const status = run.summary ? `${run.summary.status} after ${run.summary.epochs} epoch(s), ${run.summary.steps} steps` : 'no end line (still running, or cut off)';
    write(`${run.model.name} (${run.model.kernel}): ${status}, ${run.probes.length} probes`);
    write('');
    write(layerTable(run.model, run.probes, findings));
    write('');
    write(fixesText(findings, run.model.layers));
  }
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}
