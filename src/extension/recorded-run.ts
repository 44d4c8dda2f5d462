// "NN Debugger: Open Recorded Run": a `.nnd.jsonl` written by python/nn_debugger, shown in the panel with
// the engine's findings, as if it had just run.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RecordedStreamError } from '../engine/recorded/stream';
import { pytorchRunControl } from './external-control';
import { RecordedFeed } from './recorded-feed';
import type { TrainingRuns } from './runs';
import type { RunOutcome } from './worker-host';

async function pickRecording(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && active.path.endsWith('.nnd.jsonl')) return active;
  const picked = await vscode.window.showOpenDialog({ title: 'NN Debugger: open a recorded run', canSelectMany: false, filters: { 'Recorded runs': ['jsonl'] } });
  return picked?.[0];
}

export async function openRecordedRun(runs: TrainingRuns, output: vscode.OutputChannel, uri?: vscode.Uri): Promise<RunOutcome | undefined> {
  const target = uri ?? (await pickRecording());
  if (!target) return undefined;
  let text: string;
  try {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
  } catch (err) {
    void vscode.window.showErrorMessage(`NN Debugger: cannot read ${target.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  let feed: RecordedFeed | null = null;
  const script = () => {
    const file = feed?.recorded?.run.script;
    return file ? vscode.Uri.file(file) : null;
  };
  const run = runs.startExternal(target, path.basename(target.path, '.nnd.jsonl'), pytorchRunControl(script, () => feed?.recorded?.model.layers ?? [], output, () => undefined));
  feed = new RecordedFeed(run, target.fsPath);
  try {
    // a line cut off at the end (a run killed mid-write) is left out, as the CLI does
    const lines = text.split('\n');
    feed.lines(text.endsWith('\n') ? lines : lines.slice(0, -1));
    feed.finish({ status: 'stopped', message: null });
  } catch (err) {
    run.end({ kind: 'failed', message: err instanceof RecordedStreamError ? err.message : String(err), issues: [] });
  }
  return run.record.outcome ?? undefined;
}
