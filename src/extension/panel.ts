// The Gradient Health panel host: one webview panel (restored after a reload by a serializer) that mirrors
// the current run. Messages out are JSON-encoded with NaN/Infinity spelled out; messages in are validated
// against the protocol before anything acts on them.
import * as vscode from 'vscode';
import { decodeNumbers, encodeNumbers, isFromWebview, replayMessages, type FromWebview, type RunInfo, type ToWebview } from '../shared/protocol';
import { Disposable } from './dispose';
import type { FindingDiagnostics } from './findings';
import { applyFix } from './fixes';
import { REPAIR_COMMAND } from './repair';
import { fieldRange, layerRange } from './model-text';
import { createNonce, renderPanelHtml } from './panel-html';
import type { RunRecord, TrainingRuns } from './runs';

export const PANEL_VIEW_TYPE = 'nnDebugger.gradientHealth';

function runInfo(run: RunRecord): RunInfo | null {
  return run.model ? { runId: run.runId, modelPath: run.uri.fsPath, model: run.model, seed: run.seed, startedAt: run.startedAt } : null;
}

export class PanelHost extends Disposable {
  private panel: vscode.WebviewPanel | null = null;
  private panelDisposables: vscode.Disposable[] = [];
  /** Runs the webview has been told about since it (re)loaded. */
  private readonly announced = new Set<string>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: TrainingRuns,
    private readonly findings: FindingDiagnostics,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, { deserializeWebviewPanel: async (panel) => this.adopt(panel) }));
    this.register(runs.onDidChangeState((run) => this.isShown(run) && this.sendState(run)));
    this.register(runs.onDidProgress(({ run, batch }) => this.isShown(run) && this.post({ type: 'progress', runId: run.runId, batch })));
    this.register(runs.onDidEnd((run) => {
      if (!this.isShown(run)) return;
      this.sendEnd(run);
      this.sendFinishedRuns(run);
    }));
    this.register(findings.onDidBecomeStale((run) => this.isShown(run) && this.post({ type: 'stale', runId: run.runId })));
    this.register({ dispose: () => this.panel?.dispose() });
  }

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  show(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Gradient Health', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, {});
    this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    this.panel = panel;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    panel.webview.html = renderPanelHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      nonce: createNonce(),
      title: 'Gradient Health',
    });
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)),
      panel.onDidDispose(() => {
        this.panelDisposables.forEach((d) => d.dispose());
        this.panelDisposables = [];
        if (this.panel === panel) this.panel = null;
      }),
    );
  }

  private isShown(run: RunRecord): boolean {
    return this.panel !== null && this.runs.current === run;
  }

  private post(msg: ToWebview): void {
    void this.panel?.webview.postMessage(encodeNumbers(msg));
  }

  /** Everything the panel needs to draw a run from scratch (first open, reload, or a new run). */
  private replay(run: RunRecord): void {
    const info = runInfo(run);
    const o = run.outcome;
    if (!info) {
      if (o?.kind === 'failed') this.post({ type: 'run-failed', runId: null, message: o.message });
      return;
    }
    this.announced.add(run.runId);
    const end = o?.kind === 'finished' ? { summary: o.summary, findings: o.findings } : null;
    const failure = o?.kind === 'failed' ? o.message : null;
    for (const msg of replayMessages({ info, state: run.state, history: run.history, end, failure, stale: o !== null && this.findings.isStale(run) })) this.post(msg);
  }

  private sendFinishedRuns(run: RunRecord): void {
    this.post({ type: 'finished-runs', modelPath: run.uri.fsPath, runs: [...this.runs.finishedFor(run.uri)] });
  }

  private sendState(run: RunRecord): void {
    const info = runInfo(run);
    if (info && !this.announced.has(run.runId)) {
      this.announced.add(run.runId);
      this.post({ type: 'run-start', run: info });
    }
    if (info) this.post({ type: 'run-state', runId: run.runId, state: run.state });
  }

  private sendEnd(run: RunRecord): void {
    const o = run.outcome;
    if (!o) return;
    if (o.kind === 'finished') {
      this.sendState(run);
      this.post({ type: 'run-end', runId: run.runId, summary: o.summary, findings: o.findings });
    } else if (o.kind === 'failed') this.post({ type: 'run-failed', runId: run.model ? run.runId : null, message: o.message });
    else this.post({ type: 'run-state', runId: run.runId, state: 'stopped' });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const msg = decodeNumbers(raw);
    if (!isFromWebview(msg)) {
      this.log.warn(`panel: ignored a malformed message ${JSON.stringify(raw).slice(0, 200)}`);
      return;
    }
    await this.handle(msg);
  }

  private async handle(msg: FromWebview): Promise<void> {
    const run = this.runs.current;
    switch (msg.type) {
      case 'ready':
        this.announced.clear();
        if (run) {
          this.replay(run);
          this.sendFinishedRuns(run);
        }
        return;
      case 'control':
        if (!run) return;
        if (run.external) {
          if (msg.action === 'stop') run.external.stop();
          return;
        }
        if (msg.action === 'stop') await this.runs.stop(run.uri);
        else if (msg.action === 'retrain') await this.runs.train(run.uri, { restart: true });
        else if ((msg.action === 'pause') !== (run.state === 'paused')) this.runs.togglePause(run.uri);
        return;
      case 'apply-fix': {
        if (!run || run.runId !== msg.runId) return;
        if (run.external) return run.external.showFix(msg.fixId);
        if (this.findings.isStale(run)) {
          void vscode.window.showWarningMessage('NN Debugger: the model changed since this run; retrain before applying its fixes.');
          return;
        }
        const doc = await vscode.workspace.openTextDocument(run.uri);
        await applyFix({ uri: run.uri.toString(), version: doc.version, fixId: msg.fixId, retrain: msg.retrain }, this.runs, this.log);
        return;
      }
      case 'repair':
        if (run && run.runId === msg.runId) await vscode.commands.executeCommand(REPAIR_COMMAND, run.uri);
        return;
      case 'reveal-layer': {
        if (!run) return;
        if (run.external) return run.external.reveal(run.model?.layers.find((l) => l.index === msg.layerIndex)?.name ?? null);
        const doc = await vscode.workspace.openTextDocument(run.uri);
        const text = doc.getText();
        const r = (msg.layerIndex !== null ? layerRange(text, msg.layerIndex) : null) ?? fieldRange(text, msg.field);
        const range = r ? new vscode.Range(doc.positionAt(r.offset), doc.positionAt(r.offset + r.length)) : undefined;
        await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: range });
        return;
      }
    }
  }
}
