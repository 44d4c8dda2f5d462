// Human-readable reports of a run or a check (the JSON shape lives in engine/report-json.ts).
import type { Finding, LayerProbe, ModelSummary, ProbeSnapshot, RunSummary } from '../shared/wire-types';
import { evidenceText, formatNumber, formatPercent } from '../shared/format';

const pct = (x: number | null | undefined) => formatPercent(x, 0);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

const RECENT_PROBES = 5;

/** Median of a layer statistic over the last few probes (one batch alone is noisy); null when not measured. */
function recent(probes: ProbeSnapshot[], position: number, pick: (p: LayerProbe) => number | null): number | null {
  const xs = probes
    .slice(-RECENT_PROBES)
    .map((s) => s.layers.find((l) => l.position === position))
    .map((p) => (p ? pick(p) : null))
    .filter((x): x is number => x !== null && Number.isFinite(x))
    .sort((a, b) => a - b);
  return xs.length ? xs[xs.length >> 1] : null;
}

/** Per-layer table over the last probes, with each layer's findings as its health. */
export function layerTable(model: ModelSummary, probes: ProbeSnapshot[], findings: Finding[]): string {
  // predicted: from the initialisers before training; observed: the first probe's activation std
  const rows = [['layer', 'kind', 'act std pred', 'act std obs', 'grad norm', 'update ratio', 'dead', 'saturated', 'health']];
  const first = probes[0];
  for (const l of model.layers) {
    const at = (pick: (p: LayerProbe) => number | null) => recent(probes, l.position, pick);
    const mine = findings.filter((f) => f.layers.some((a) => a.layer.name === l.name) || f.layer?.name === l.name);
    const health = mine.some((f) => f.severity === 'error') ? 'ERROR' : mine.length ? mine.map((f) => f.code).join(',') : 'ok';
    const observed = first?.layers.find((p) => p.position === l.position)?.activationStd ?? null;
    rows.push([l.name, l.kind, formatNumber(l.predictedActivationStd), formatNumber(observed), formatNumber(at((p) => p.gradNorm)), formatNumber(at((p) => p.updateRatio)), pct(at((p) => p.deadRatio)), pct(at((p) => p.saturationRatio)), health]);
  }
  return table(rows);
}

export function findingsText(findings: Finding[], modelPath: string): string {
  if (findings.length === 0) return 'No problems found.';
  const lines: string[] = [];
  for (const f of findings) {
    const where = f.layer ? ` [layers[${f.layer.index}] ${f.layer.name}]` : f.field ? ` [${f.field}]` : '';
    lines.push(`${f.severity.toUpperCase()} ${f.code}${where}: ${f.message}`);
    lines.push(`  evidence: ${evidenceText(f)}`);
    if (f.layers.length > 1) for (const a of f.layers) lines.push(`    layers[${a.layer.index}] ${a.layer.name}: ${a.note ?? formatNumber(a.value)}`);
    if (f.severity !== 'info') lines.push(`  what it means: ${f.concept.text} (${f.concept.url})`);
    for (const fix of f.fixes) lines.push(`  ${fix.preferred ? '*' : '-'} ${fix.title}: nn-debugger fix ${modelPath} --apply ${fix.id}`);
  }
  return lines.join('\n');
}

export function summaryLine(summary: RunSummary): string {
  const f = summary.final;
  const parts = [`${summary.status} after ${summary.epochs} epoch(s), ${summary.steps} steps in ${(summary.durationMs / 1000).toFixed(1)} s (${Math.round(summary.samplesPerSecond)} samples/s)`];
  parts.push(`loss ${formatNumber(f.loss)}`);
  if (f.accuracy !== null) parts.push(`accuracy ${pct(f.accuracy)}`);
  if (f.valLoss !== null) parts.push(`val loss ${formatNumber(f.valLoss)}`);
  if (f.valAccuracy !== null) parts.push(`val accuracy ${pct(f.valAccuracy)}`);
  if (summary.restoredEpoch !== null) parts.push(`best weights of epoch ${summary.restoredEpoch} restored`);
  return parts.join(', ');
}
