// Findings of a run as diagnostics on the model file: one on each layer a finding affects (related
// information points every one of them at the finding's primary layer), or on the key of the top-level
// field a whole-model finding concerns. Cleared when a run starts, replaced as live findings
// arrive, and marked stale (not removed) once the file changes, since the evidence is still worth reading.
import * as vscode from 'vscode';
import { evidenceText, formatNumber } from '../shared/format';
import type { Finding } from '../shared/protocol';
import { Disposable } from './dispose';
import { fieldRange, layerRange } from './model-text';
import type { RunRecord, TrainingRuns } from './runs';
import { DIAGNOSTIC_SOURCE } from './validation';

export const STALE_PREFIX = '(stale: the file changed since this run) ';

export interface PlacedFinding {
  finding: Finding;
  diagnostic: vscode.Diagnostic;
}

interface Entry {
  run: RunRecord;
  placed: PlacedFinding[];
  stale: boolean;
}

const SEVERITY: Record<Finding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export class FindingDiagnostics extends Disposable {
  private readonly collection = this.register(vscode.languages.createDiagnosticCollection('nn-debugger.findings'));
  private readonly entries = new Map<string, Entry>();
  private readonly staleEmitter = this.register(new vscode.EventEmitter<RunRecord>());
  /** Fires when a run's findings stop matching the file. */
  readonly onDidBecomeStale = this.staleEmitter.event;

  constructor(runs: TrainingRuns) {
    super();
    this.register(runs.onDidStart((run) => this.show(run, [])));
    this.register(runs.onDidProgress(({ run, batch }) => batch.findings && this.show(run, batch.findings)));
    this.register(runs.onDidEnd((run) => this.show(run, run.findings)));
    this.register(vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length && this.markStale(e.document.uri)));
  }

  /** The placed findings of a model's latest run (what code actions offer fixes for). */
  placedFor(uri: vscode.Uri): { run: RunRecord; placed: PlacedFinding[]; stale: boolean } | null {
    return this.entries.get(uri.toString()) ?? null;
  }

  isStale(run: RunRecord): boolean {
    const e = this.entries.get(run.uri.toString());
    return !e || e.run.runId !== run.runId || e.stale;
  }

  private show(run: RunRecord, findings: Finding[]): void {
    const key = run.uri.toString();
    const prior = this.entries.get(key);
    if (prior && prior.run.startedAt > run.startedAt) return; // an older run ending late
    // Edited while it trained: the findings describe text that is gone.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    const stale = !!open && run.version !== null && open.version !== run.version;
    const placed = findings.flatMap((finding) => this.toDiagnostics(run, finding, stale).map((diagnostic) => ({ finding, diagnostic })));
    this.entries.set(key, { run, placed, stale });
    this.collection.set(run.uri, placed.map((p) => p.diagnostic));
    if (stale && findings.length) this.staleEmitter.fire(run);
  }

  private markStale(uri: vscode.Uri): void {
    const entry = this.entries.get(uri.toString());
    if (!entry || entry.stale || entry.run.state === 'running' || entry.run.state === 'paused') return;
    entry.stale = true;
    entry.placed = [...new Set(entry.placed.map((p) => p.finding))].flatMap((finding) => this.toDiagnostics(entry.run, finding, true).map((diagnostic) => ({ finding, diagnostic })));
    this.collection.set(uri, entry.placed.map((p) => p.diagnostic));
    this.staleEmitter.fire(entry.run);
  }

  /** One diagnostic per affected layer (the primary first), or one on the field of a whole-model finding. */
  private toDiagnostics(run: RunRecord, f: Finding, stale: boolean): vscode.Diagnostic[] {
    // Ranges come from the text the run was started from: that is what the finding is about.
    const doc = new TextOffsets(run.text);
    const rangeOf = (index: number | null) => {
      const r = (index !== null ? layerRange(run.text, index) : null) ?? fieldRange(run.text, f.field) ?? { offset: 0, length: 1 };
      return new vscode.Range(doc.positionAt(r.offset), doc.positionAt(r.offset + r.length));
    };
    const affected = f.layers?.length ? f.layers : f.layer ? [{ layer: f.layer, value: f.evidence.value }] : [];
    const primary = rangeOf(f.layer?.index ?? affected[0]?.layer.index ?? null);
    const primaryLocation = new vscode.Location(run.uri, primary);
    const shared = [
      new vscode.DiagnosticRelatedInformation(primaryLocation, `Evidence: ${evidenceText(f)}`),
      ...Object.entries(f.evidence.details).map(([k, v]) => new vscode.DiagnosticRelatedInformation(primaryLocation, `${k}: ${typeof v === 'number' ? formatNumber(v) : v}`)),
      ...(f.concept ? [new vscode.DiagnosticRelatedInformation(primaryLocation, `What it means: ${f.concept.text} ${f.concept.url}`)] : []),
    ];
    const make = (range: vscode.Range, where: string, extra: vscode.DiagnosticRelatedInformation[]) => {
      const d = new vscode.Diagnostic(range, `${stale ? STALE_PREFIX : ''}${where}${f.message}`, SEVERITY[f.severity]);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = f.code;
      d.relatedInformation = [...extra, ...shared];
      return d;
    };
    if (affected.length === 0) return [make(primary, '', [])];
    const others = affected.filter((a) => a.layer.index !== (f.layer?.index ?? affected[0].layer.index));
    const otherInfo = others.map((a) => new vscode.DiagnosticRelatedInformation(new vscode.Location(run.uri, rangeOf(a.layer.index)), `Also affected: ${a.layer.name}${a.note ? ` (${a.note})` : ''}`));
    const head = f.layer ?? affected[0].layer;
    return [
      make(primary, `layers[${head.index}] (${head.name}): `, otherInfo),
      // the other layers carry the same finding (and so the same quick fixes), pointing back at its primary layer
      ...others.map((a) => make(rangeOf(a.layer.index), `layers[${a.layer.index}] (${a.layer.name}): `, [
        new vscode.DiagnosticRelatedInformation(primaryLocation, `One finding for ${affected.length} layers: see ${head.name}${a.note ? `; here: ${a.note}` : ''}`),
      ])),
    ];
  }
}

/** Offset -> position over a text snapshot (the document itself may have moved on). */
class TextOffsets {
  private readonly lineStarts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }
  positionAt(offset: number): vscode.Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return new vscode.Position(lo, offset - this.lineStarts[lo]!);
  }
}
