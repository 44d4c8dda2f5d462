// Export Report: the last finished run of a model as Markdown (for people) or as the exact JSON object
// `nn-debugger train --json` prints (for CI scripts that already read the CLI's output).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { evidenceText } from '../shared/format';
import { jsonReport, type JsonReport } from '../engine/report-json';
import type { RunRecord } from './runs';
import { worstHealth } from './run-ui';

export type ReportFormat = 'markdown' | 'json';

export function reportJson(run: RunRecord): JsonReport | null {
  const o = run.outcome;
  return o?.kind === 'finished' ? jsonReport(run.modelName, o.summary, o.findings) : null;
}

const num = (v: number | null, digits = 4) => (v === null ? '–' : Number.isFinite(v) ? v.toFixed(digits) : String(v));

export function reportMarkdown(run: RunRecord): string | null {
  const o = run.outcome;
  if (o?.kind !== 'finished') return null;
  const s = o.summary;
  const lines = [
    `# Gradient health report: ${run.modelName}`,
    '',
    `Model file: \`${path.basename(run.uri.path)}\` · seed ${run.seed} · status **${s.status}** · ${worstHealth(o.findings).label}`,
    '',
    '| epochs | steps | duration | samples/s | loss | accuracy | val loss | val accuracy |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${s.epochs} | ${s.steps} | ${(s.durationMs / 1000).toFixed(1)} s | ${Math.round(s.samplesPerSecond)} | ${num(s.final.loss)} | ${num(s.final.accuracy, 3)} | ${num(s.final.valLoss)} | ${num(s.final.valAccuracy, 3)} |`,
    '',
  ];
  if (run.model) {
    lines.push('## Layers', '', '| # | name | kind | in | out | parameters |', '|---:|---|---|---:|---:|---:|');
    for (const l of run.model.layers) lines.push(`| ${l.index} | ${l.name} | ${l.kind} | ${l.inputSize} | ${l.outputSize} | ${l.paramCount} |`);
    lines.push('');
  }
  lines.push('## Findings', '');
  if (!o.findings.length) lines.push('None: the gradients look healthy.');
  for (const f of o.findings) {
    lines.push(`### ${f.severity}: \`${f.code}\`${f.layer ? ` on layers[${f.layer.index}] (${f.layer.name})` : f.field ? ` on \`${f.field}\`` : ''}`, '', f.message, '', `Evidence: ${evidenceText(f)}`, '');
    for (const fix of f.fixes) lines.push(`- ${fix.preferred ? '**(preferred)** ' : ''}${fix.title} (\`${fix.id}\`)`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Writes the report; asks for the format and the file unless given. Returns the file written. */
export async function exportReport(run: RunRecord | null, format?: ReportFormat, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (!run?.outcome || run.outcome.kind !== 'finished') {
    void vscode.window.showWarningMessage('NN Debugger: no finished run to report on. Train the model first.');
    return undefined;
  }
  format ??= (
    await vscode.window.showQuickPick(
      [
        { label: 'Markdown', format: 'markdown' as const },
        { label: 'JSON', description: 'the shape of `nn-debugger train --json`', format: 'json' as const },
      ],
      { title: 'NN Debugger: Export Report' },
    )
  )?.format;
  if (!format) return undefined;
  const ext = format === 'json' ? 'json' : 'md';
  target ??= await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(run.uri, '..', `${path.basename(run.uri.path, '.nn.json')}.report.${ext}`),
    filters: format === 'json' ? { JSON: ['json'] } : { Markdown: ['md'] },
  });
  if (!target) return undefined;
  const body = format === 'json' ? `${JSON.stringify(reportJson(run), null, 2)}\n` : reportMarkdown(run)!;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(body));
  return target;
}
