// New Model: a quick pick of the example models shipped with the extension (healthy ones first, then the
// deliberately broken ones to learn from), copied into the workspace under a name that does not clash.
import * as path from 'node:path';
import { applyEdits, findNodeAtLocation, modify, parseTree } from 'jsonc-parser';
import * as vscode from 'vscode';

const PREFERRED_ORDER = ['spiral', 'circles', 'iris', 'mnist'];

interface Template {
  label: string;
  uri: vscode.Uri;
  broken: boolean;
}

async function modelsIn(dir: vscode.Uri, broken: boolean): Promise<Template[]> {
  let entries: [string, vscode.FileType][] = [];
  try {
    entries = await vscode.workspace.fs.readDirectory(dir);
  } catch {
    return [];
  }
  return entries
    .filter(([name, type]) => type === vscode.FileType.File && name.endsWith('.nn.json'))
    .map(([name]) => ({ label: name.replace(/\.nn\.json$/, ''), uri: vscode.Uri.joinPath(dir, name), broken }));
}

export async function listTemplates(extensionUri: vscode.Uri): Promise<Template[]> {
  const examples = vscode.Uri.joinPath(extensionUri, 'examples');
  const rank = (t: Template) => (PREFERRED_ORDER.includes(t.label) ? PREFERRED_ORDER.indexOf(t.label) : PREFERRED_ORDER.length);
  const healthy = (await modelsIn(examples, false)).sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label));
  const broken = (await modelsIn(vscode.Uri.joinPath(examples, 'broken'), true)).sort((a, b) => a.label.localeCompare(b.label));
  return [...healthy, ...broken];
}

/** Drops a relative "$schema" (it points into the extension's repository); the extension's jsonValidation covers the file. */
export function withoutRelativeSchema(text: string): string {
  const root = parseTree(text);
  const schema = root && findNodeAtLocation(root, ['$schema'])?.value;
  if (typeof schema !== 'string' || /^[a-z][a-z0-9+.-]*:/i.test(schema)) return text;
  return applyEdits(text, modify(text, ['$schema'], undefined, { formattingOptions: { insertSpaces: true, tabSize: 2 } }));
}

async function freeName(folder: vscode.Uri, base: string): Promise<vscode.Uri> {
  for (let i = 0; ; i++) {
    const candidate = vscode.Uri.joinPath(folder, `${base}${i ? `-${i}` : ''}.nn.json`);
    try {
      await vscode.workspace.fs.stat(candidate);
    } catch {
      return candidate;
    }
  }
}

/** Creates a model from a template (picked, or named by `templateName`) and opens it. */
export async function newModel(extensionUri: vscode.Uri, templateName?: string): Promise<vscode.Uri | undefined> {
  const templates = await listTemplates(extensionUri);
  let template = templates.find((t) => t.label === templateName);
  if (!template) {
    type Item = vscode.QuickPickItem & { template?: Template };
    const items: Item[] = [];
    for (const t of templates) {
      if (t.broken && !items.some((i) => i.kind === vscode.QuickPickItemKind.Separator)) {
        items.push({ label: 'Broken models to learn from', kind: vscode.QuickPickItemKind.Separator });
      }
      items.push({ label: t.label, description: t.broken ? 'has a problem for NN Debugger to find' : 'healthy', template: t });
    }
    const picked = await vscode.window.showQuickPick(items, { title: 'NN Debugger: New Model', placeHolder: 'Pick a template' });
    template = picked?.template;
  }
  if (!template) return undefined;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = folder
    ? await freeName(folder, template.label)
    : await vscode.window.showSaveDialog({ filters: { 'NN model': ['nn.json'] }, defaultUri: vscode.Uri.file(path.join(process.cwd(), `${template.label}.nn.json`)) });
  if (!target) return undefined;
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(template.uri));
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(withoutRelativeSchema(text)));
  await vscode.window.showTextDocument(target);
  return target;
}
