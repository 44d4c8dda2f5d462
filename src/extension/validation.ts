// Validation while typing: the engine's parser runs on every `.nn.json` (debounced), and each issue
// becomes a diagnostic on the exact range the parser reports. Needs no trust: it only reads the text.
import * as vscode from 'vscode';
import { parseModel } from '../engine/spec/parse';
import { readSettings } from './config';
import { Disposable } from './dispose';

export const DIAGNOSTIC_SOURCE = 'NN Debugger';

export const isModelDocument = (doc: vscode.TextDocument): boolean => doc.uri.path.endsWith('.nn.json');

export class ModelValidator extends Disposable {
  private readonly collection = this.register(vscode.languages.createDiagnosticCollection('nn-debugger.validation'));
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.register(vscode.workspace.onDidOpenTextDocument((d) => this.validateNow(d)));
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)));
    this.register(vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)));
    this.register({ dispose: () => this.pending.forEach((t) => clearTimeout(t)) });
    vscode.workspace.textDocuments.forEach((d) => this.validateNow(d));
  }

  validateNow(doc: vscode.TextDocument): void {
    if (!isModelDocument(doc)) return;
    this.cancel(doc.uri);
    try {
      const result = parseModel(doc.getText(), doc.uri.fsPath);
      this.collection.set(
        doc.uri,
        result.issues.map((issue) => {
          const start = doc.positionAt(issue.offset);
          const end = doc.positionAt(issue.offset + Math.max(issue.length, 1));
          const d = new vscode.Diagnostic(
            new vscode.Range(start, end),
            issue.message,
            issue.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
          );
          d.source = DIAGNOSTIC_SOURCE;
          d.code = 'invalid-model';
          return d;
        }),
      );
    } catch (err) {
      // A parser bug must not take validation down for every other file.
      this.log.error(`validation of ${doc.uri.fsPath} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!isModelDocument(doc)) return;
    this.cancel(doc.uri);
    const delay = readSettings(doc.uri).validationDelayMs;
    this.pending.set(doc.uri.toString(), setTimeout(() => this.validateNow(doc), delay));
  }

  private cancel(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.delete(key);
  }

  private forget(uri: vscode.Uri): void {
    this.cancel(uri);
    this.collection.delete(uri);
  }
}
