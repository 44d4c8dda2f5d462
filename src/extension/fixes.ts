// Quick-fixes for findings. Each fix of a finding becomes a code action (exactly one preferred), plus
// "Apply and retrain" for the preferred one. Applying goes through a command that refuses a document
// version other than the one the action was offered for, then makes one WorkspaceEdit (undoable).
import * as vscode from 'vscode';
import { computeFixEdits } from '../engine/fixes';
import { preferredFirst } from '../shared/severity';
import type { FixRef } from '../shared/wire-types';
import { Disposable } from './dispose';
import type { FindingDiagnostics } from './findings';
import type { TrainingRuns } from './runs';
import { DIAGNOSTIC_SOURCE } from './validation';

export const APPLY_FIX_COMMAND = 'nnDebugger.applyFix';

export interface ApplyFixArgs {
  uri: string;
  /** The document version the fix was offered for. */
  version: number;
  fixId: string;
  retrain: boolean;
}

export class FindingFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly findings: FindingDiagnostics) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const entry = this.findings.placedFor(doc.uri);
    // Stale findings describe text that has changed: retrain before fixing (the panel says the same).
    if (!entry || entry.stale) return [];
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
      // The diagnostics handed in are copies: match ours by code, range and message.
      const match = entry.placed.find(
        (p) => p.diagnostic.code === diagnostic.code && p.diagnostic.range.isEqual(diagnostic.range) && p.diagnostic.message === diagnostic.message,
      );
      if (!match) continue;
      const fixes = preferredFirst(match.finding.fixes);
      for (const fix of fixes) actions.push(this.action(doc, diagnostic, fix, fix.title, fix.preferred, false));
      const preferred = fixes.find((f) => f.preferred);
      if (preferred) actions.push(this.action(doc, diagnostic, preferred, `Apply and retrain: ${preferred.title}`, false, true));
    }
    return actions;
  }

  private action(doc: vscode.TextDocument, diagnostic: vscode.Diagnostic, fix: FixRef, title: string, preferred: boolean, retrain: boolean): vscode.CodeAction {
    const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    action.diagnostics = [diagnostic];
    action.isPreferred = preferred;
    const args: ApplyFixArgs = { uri: doc.uri.toString(), version: doc.version, fixId: fix.id, retrain };
    action.command = { command: APPLY_FIX_COMMAND, title, arguments: [args] };
    return action;
  }
}

/** Applies a fix as one undoable edit; returns whether the document was changed. */
export async function applyFix(args: ApplyFixArgs, runs: TrainingRuns, log: vscode.LogOutputChannel): Promise<boolean> {
  const uri = vscode.Uri.parse(args.uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.version !== args.version) {
    void vscode.window.showWarningMessage('NN Debugger: the model changed after this fix was offered; it was not applied. Look at the light bulb again.');
    return false;
  }
  let edits: { offset: number; length: number; content: string }[];
  try {
    edits = computeFixEdits(doc.getText(), args.fixId);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error(`fix ${args.fixId} on ${uri.fsPath}: ${message}`);
    void vscode.window.showErrorMessage(`NN Debugger: could not apply "${args.fixId}": ${message}`);
    return false;
  }
  const edit = new vscode.WorkspaceEdit();
  for (const e of edits) edit.replace(uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
  const applied = await vscode.workspace.applyEdit(edit);
  log.info(`fix ${args.fixId} on ${uri.fsPath}: ${applied ? `applied (${edits.length} edits)` : 'refused by the editor'}`);
  if (applied && args.retrain) void runs.train(uri, { restart: true });
  return applied;
}

export class FixesFeature extends Disposable {
  constructor(findings: FindingDiagnostics, runs: TrainingRuns, log: vscode.LogOutputChannel) {
    super();
    const selector: vscode.DocumentSelector = [{ pattern: '**/*.nn.json' }];
    this.register(vscode.languages.registerCodeActionsProvider(selector, new FindingFixProvider(findings), FindingFixProvider.metadata));
    this.register(vscode.commands.registerCommand(APPLY_FIX_COMMAND, (args: ApplyFixArgs) => applyFix(args, runs, log)));
  }
}
