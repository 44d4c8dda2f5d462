// Shared by the extension-host tests: the extension's API, workspace files, polling.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { NnDebuggerApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/worker-host';

export const EXTENSION_ID = 'nn-debugger.nn-debugger';

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder (a copy of examples/)');
  return folder.uri;
}

export const workspaceFile = (rel: string): vscode.Uri => vscode.Uri.joinPath(workspaceRoot(), rel);

export async function api(): Promise<NnDebuggerApi> {
  const ext = vscode.extensions.getExtension<NnDebuggerApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  return ext.activate();
}

export async function writeModel(rel: string, text: string): Promise<vscode.Uri> {
  const uri = workspaceFile(rel);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

export async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
}

/** UI state reaches the extension host eventually: poll until `check` returns a value. */
export async function waitFor<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const findingDiagnostics = (uri: vscode.Uri): vscode.Diagnostic[] =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'NN Debugger' && d.code !== 'invalid-model');

export const validationDiagnostics = (uri: vscode.Uri): vscode.Diagnostic[] =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'NN Debugger' && d.code === 'invalid-model');

export function train(uri: vscode.Uri, request: { restart?: boolean; epochs?: number } = {}): Thenable<RunOutcome | undefined> {
  return vscode.commands.executeCommand<RunOutcome | undefined>('nnDebugger.train', uri, { restart: true, ...request });
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('nnDebugger').update(key, value, vscode.ConfigurationTarget.Global);
}

/** Offset -> Range over a text (the same conversion the editor does), to state expected ranges independently. */
export function rangeOf(doc: vscode.TextDocument, offset: number, length: number): vscode.Range {
  return new vscode.Range(doc.positionAt(offset), doc.positionAt(offset + length));
}
